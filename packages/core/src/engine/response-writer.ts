/**
 * Serialises response heads: status line, app headers, Date, framing headers.
 * Hot path: status lines and canonical header names are cached strings, the Date
 * value is rebuilt at most once a second, and the head is one string written
 * together with the body. Must never write to a socket itself or decide framing:
 * the exchange decides, this file only spells it out.
 */

import statuses from 'statuses';
import type { OutgoingHeaders } from '../http-exchange.js';
import { hasCloseToken, isEngineWritten } from '../owned-headers.js';

let dateValue = '';

/**
 * The current `Date` header value (IMF-fixdate), cached until the next second starts.
 * A timer clears the cache instead of each response calling Date.now() and comparing:
 * the profile showed that check at ~0.7% of busy CPU on the hello benchmark.
 */
export function httpDate(): string {
  if (dateValue === '') {
    const now = Date.now();
    dateValue = new Date(now).toUTCString();
    setTimeout(clearDate, 1000 - (now % 1000)).unref();
  }
  return dateValue;
}

function clearDate(): void {
  dateValue = '';
}

const statusLines: [Map<number, string>, Map<number, string>] = [new Map(), new Map()];

/** Reason phrase for a status (empty for unregistered codes, as RFC 9112 allows). */
export function reasonPhrase(status: number): string {
  return (statuses.message as Record<number, string | undefined>)[status] ?? '';
}

/** `HTTP/1.x <status> <reason>\r\n`, cached per version and status. */
export function statusLine(versionMinor: number, status: number): string {
  const cache = statusLines[versionMinor === 0 ? 0 : 1];
  let line = cache.get(status);
  if (line === undefined) {
    line = `HTTP/1.${versionMinor === 0 ? 0 : 1} ${status} ${reasonPhrase(status)}\r\n`;
    if (cache.size < 1000) cache.set(status, line);
  }
  return line;
}

// Names whose usual spelling is not simple Title-Case.
const SPECIAL_NAMES: Record<string, string> = {
  etag: 'ETag',
  'www-authenticate': 'WWW-Authenticate',
  'content-md5': 'Content-MD5',
  te: 'TE',
  dnt: 'DNT',
  'x-xss-protection': 'X-XSS-Protection',
  'content-security-policy': 'Content-Security-Policy',
};
const canonicalNames = new Map<string, string>();

/** Canonical spelling of a lowercased header name ("content-type" → "Content-Type"), cached. */
export function canonicalName(lower: string): string {
  let name = canonicalNames.get(lower);
  if (name !== undefined) return name;
  name = SPECIAL_NAMES[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
  if (canonicalNames.size < 2000) canonicalNames.set(lower, name);
  return name;
}

/** How the body of a response is delimited. */
export const enum Framing {
  /** No body at all (HEAD, 1xx, 204, 304). */
  None,
  /** Content-Length given. */
  Length,
  /** Transfer-Encoding: chunked (HTTP/1.1 only). */
  Chunked,
  /** Body ends when the connection closes (HTTP/1.0 with unknown length). */
  Close,
}

/** What the app's headers say that the engine must act on. */
export interface HeaderFacts {
  /** The app set `Connection: close`. */
  close: boolean;
  /** The app set its own Date. */
  hasDate: boolean;
}

/**
 * Appends the app's headers to `head`, skipping those the engine writes itself (the
 * `framing` and `connection` rows of owned-headers.ts), and reports what it saw.
 */
export function appendHeaders(head: string, headers: OutgoingHeaders, facts: HeaderFacts): string {
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    if (key === 'date') facts.hasDate = true;
    else if (isEngineWritten(key)) {
      if (key === 'connection' && hasCloseToken(String(value))) facts.close = true;
      continue;
    }
    const name = canonicalName(key);
    if (typeof value === 'object') {
      for (let i = 0; i < value.length; i++) head += name + ': ' + value[i] + '\r\n';
    } else {
      head += name + ': ' + value + '\r\n';
    }
  }
  return head;
}
