/**
 * The one check every response header, reason phrase and status goes through before
 * `ctx.response` records it: names are tokens, values hold no CR, LF, NUL or other
 * control (nothing can end a line of the head early), statuses are final (200–599).
 * Must never store or send anything: it only answers, or throws a coded SluiceError.
 */

import { FIELD_VALUE, TOKEN } from './chars.js';
import { responseError } from './errors.js';

/**
 * Whether `name` is an HTTP token (RFC 9110 §5.6.2), i.e. a valid header field name.
 * The same character table the request parser uses.
 */
export function isHeaderName(name: string): boolean {
  const length = name.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TOKEN[c] === 0) return false;
  }
  return true;
}

/**
 * Whether `value` may be sent as a header field value or a reason phrase (RFC 9110 §5.5,
 * RFC 9112 §4): visible ASCII, SP, HTAB and obs-text (0x80–0xFF) only. CR, LF, NUL, DEL,
 * other controls and characters above U+00FF (they cannot be sent as one byte) fail.
 */
export function isHeaderValue(value: string): boolean {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) return false;
  }
  return true;
}

/** A short printable form of what the app gave, for error messages (never the raw bytes). */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text);
}

/** The first character `isHeaderValue` refuses, as `U+000D at 3`. */
function firstBad(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) return `U+${c.toString(16).toUpperCase().padStart(4, '0')} at ${i}`;
  }
  return '';
}

/**
 * Checks a header name and returns it lowercased (the header table's key). Throws
 * `SLUICE_ERR_INVALID_HEADER_NAME` (500) for anything but a token, and for `__proto__`.
 */
export function checkHeaderName(name: string): string {
  if (typeof name !== 'string' || !isHeaderName(name) || name === '__proto__') {
    throw responseError('INVALID_HEADER_NAME', `invalid header name ${shown(String(name))}`);
  }
  return name.toLowerCase();
}

/**
 * Checks a header value (after `String()`) and returns it. Throws
 * `SLUICE_ERR_INVALID_HEADER_VALUE` (500) naming the header and the first bad character.
 * `Content-Length` must also be a decimal number (RFC 9110 §8.6).
 */
export function checkHeaderValue(name: string, value: unknown): string {
  const text = String(value);
  if (!isHeaderValue(text)) {
    throw responseError('INVALID_HEADER_VALUE', `invalid character ${firstBad(text)} in the value of header ${shown(name)}`);
  }
  if (name.length === 14 && name.toLowerCase() === 'content-length' && !/^\d{1,16}$/.test(text)) {
    throw responseError('INVALID_HEADER_VALUE', `Content-Length must be a non-negative integer, got ${shown(text)}`);
  }
  return text;
}

/**
 * Checks a reason phrase for the status line; same characters as a header value.
 * Throws `SLUICE_ERR_INVALID_STATUS_MESSAGE` (500).
 */
export function checkReasonPhrase(value: unknown): string {
  const text = String(value);
  if (!isHeaderValue(text)) {
    throw responseError('INVALID_STATUS_MESSAGE', `invalid character ${firstBad(text)} in the status message`);
  }
  return text;
}

/**
 * Checks a final response status: an integer from 200 to 599. 1xx are interim answers the
 * engine sends itself (`100 Continue`); as a final status a client or proxy would take the
 * connection for switched (101) or still waiting. Throws `SLUICE_ERR_INVALID_STATUS` (500).
 */
export function checkStatus(code: unknown): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 200 || code > 599) {
    throw responseError('INVALID_STATUS', `invalid response status ${typeof code === 'number' ? code : shown(String(code))}: a final status is 200-599`);
  }
  return code;
}
