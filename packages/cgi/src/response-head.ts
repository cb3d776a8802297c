/**
 * The CGI response header block (RFC 3875 §6.3): finds its end in the program's
 * output (LF or CRLF line ends) and parses it into status, Location and headers,
 * split by core's forwardedFields (hop-by-hop fields dropped, Content-Length and
 * `Connection: close` reported). Pure functions on bytes and strings; must never
 * touch a stream or a response.
 */

import { forwardedFields, isHeaderName, isHeaderValue, type ForwardedFields } from '@sluice/core';
import { CgiError } from './errors.js';

/** A parsed CGI header block: the fields to forward, with what core's split reported. */
export interface CgiHead extends ForwardedFields {
  /** From the `Status` field, if any. */
  readonly status: number | undefined;
  /** Reason phrase from `Status`, if any. */
  readonly reason: string | undefined;
  /** The `Location` field, if any. */
  readonly location: string | undefined;
}

/** Where the header block ends in `buf`: the index of the first body byte, or -1 if not yet. */
export function headEnd(buf: Uint8Array, from = 0): number {
  for (let i = buf.indexOf(0x0a, from); i !== -1; i = buf.indexOf(0x0a, i + 1)) {
    // A line that is empty or only "\r": the blank line ending the block. Also at offset 0.
    if (i === 0) return 1;
    if (buf[i - 1] === 0x0a) return i + 1;
    if (buf[i - 1] === 0x0d && (i === 1 || buf[i - 2] === 0x0a)) return i + 1;
  }
  return -1;
}

const STATUS_RE = /^([2-5]\d\d)(?:[ \t]+(.*))?$/;

/**
 * Parses a header block (latin1 text up to and including its blank line). Throws a 502
 * `SLUICE_ERR_CGI_BAD_HEADER` error naming the problem for anything malformed.
 */
export function parseHead(block: string): CgiHead {
  const lines = block.split('\n');
  let status: number | undefined;
  let reason: string | undefined;
  let location: string | undefined;
  const headers: Array<readonly [string, string]> = [];
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new CgiError('BAD_HEADER', `CGI program sent an invalid response: not a header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!isHeaderName(name)) throw new CgiError('BAD_HEADER', `CGI program sent an invalid response: bad header name: ${JSON.stringify(name.slice(0, 80))}`);
    if (!isHeaderValue(value)) throw new CgiError('BAD_HEADER', `CGI program sent an invalid response: bad character in header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = STATUS_RE.exec(value);
      if (m === null || status !== undefined) throw new CgiError('BAD_HEADER', `CGI program sent an invalid response: bad Status: ${JSON.stringify(value.slice(0, 80))}`);
      status = Number(m[1]);
      reason = m[2] === undefined || m[2] === '' ? undefined : m[2];
    } else if (lower === 'location') {
      if (location !== undefined || value === '') throw new CgiError('BAD_HEADER', 'CGI program sent an invalid response: bad or repeated Location');
      location = value;
    } else if (lower === 'content-length' && !/^\d{1,15}$/.test(value)) {
      throw new CgiError('BAD_HEADER', `CGI program sent an invalid response: bad Content-Length: ${JSON.stringify(value.slice(0, 80))}`);
    } else {
      headers.push([name, value]);
    }
  }
  if (status === undefined && location === undefined && headers.length === 0) throw new CgiError('BAD_HEADER', 'CGI program sent an invalid response: empty header block');
  return { status, reason, location, ...forwardedFields(headers) };
}
