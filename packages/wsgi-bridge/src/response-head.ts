/**
 * Applies a WSGI response head (`status\0name\0value...`, latin-1) to `ctx`: status,
 * headers (repeated names kept), hop-by-hop headers dropped with a warning; a status
 * outside 200-599, CR/LF and malformed names refused (core's setters check); Content-Length
 * recorded so the body can be held to it. Must never send anything: the middleware chain's respond does.
 */

import type { Context, Logger } from '@sluice/core';
import { WsgiError } from './errors.js';

// RFC 9110 §7.6.1 hop-by-hop fields (and the old `Keep-Alive`, `Proxy-Connection`):
// they describe the Node-to-client connection, which the engine owns, not the app.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** What the head said that the body forwarding must enforce. */
export interface HeadFacts {
  /** The declared Content-Length, or -1. */
  declaredLength: number;
  /** Whether the application set a Content-Type (core must not invent one). */
  hasType: boolean;
}

/** Warns about a dropped hop-by-hop header once per header name and logger, not once per response. */
const warned = new WeakMap<Logger, Set<string>>();

function warnHopByHop(logger: Logger, name: string): void {
  let names = warned.get(logger);
  if (names === undefined) warned.set(logger, (names = new Set()));
  if (names.has(name)) return;
  names.add(name);
  logger.warn(`wsgi: the application set the hop-by-hop header "${name}"; dropped (the server manages the connection). Logged once.`);
}

/** Parses `head` into `ctx`; throws a WsgiError (500) on an invalid status or header. */
export function applyHead(ctx: Context, head: string, logger: Logger): HeadFacts {
  const parts = head.split('\0');
  const status = parts[0];
  const code = status.length >= 3 ? Number(status.slice(0, 3)) : NaN;
  // A final status only: a 1xx (`101 Switching Protocols`) would tell a client or a front
  // proxy that the connection changed protocol or that the answer is still to come.
  if (!/^\d{3}$/.test(status.slice(0, 3)) || code < 200 || code > 599 || (status.length > 3 && status.charCodeAt(3) !== 0x20)) {
    throw new WsgiError('BAD_RESPONSE', `invalid WSGI status ${JSON.stringify(status.slice(0, 80))} (a final status is 200-599)`, { expose: false });
  }
  const facts: HeadFacts = { declaredLength: -1, hasType: false };
  try {
    ctx.status = code;
    // PEP 3333's status carries the reason phrase: sent as the application gave it.
    if (status.length > 4) ctx.message = status.slice(4);
    for (let i = 1; i + 1 < parts.length; i += 2) {
      const name = parts[i];
      const value = parts[i + 1];
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection' && /\bclose\b/i.test(value)) ctx.set('Connection', 'close');
        else warnHopByHop(logger, lower);
        continue;
      }
      if (lower === 'content-length') {
        const length = Number(value);
        if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(length)) {
          throw new WsgiError('BAD_RESPONSE', `invalid Content-Length ${JSON.stringify(value)}`, { expose: false });
        }
        facts.declaredLength = length;
        continue;
      }
      if (lower === 'content-type') facts.hasType = true;
      if (ctx.response.has(lower)) ctx.append(name, value);
      else ctx.set(name, value);
    }
  } catch (error) {
    if (error instanceof WsgiError) throw error;
    throw new WsgiError('BAD_RESPONSE', `invalid header from the WSGI application: ${(error as Error).message}`, { expose: false, cause: error });
  }
  return facts;
}
