/**
 * Builds the REQUEST frame: the PEP 3333 / CGI environ of one request, encoded once as
 * latin-1 `key\0value\0...` after a flags byte and the length-prefixed PATH_INFO (the
 * only value that may hold a NUL, from %00). Python splits it with one `str.split`.
 * Must never read the request body or decide anything about the response.
 */

import type { Context } from '@sluice/core';
import { FLAG_HAS_BODY, HEADER_BYTES, ToWorker } from './framing.js';

type Latin1Buffer = Buffer & { latin1Write(s: string, offset: number): number };

// Header name → environ key, cached (names repeat from request to request).
const keyCache = new Map<string, string | null>();
const KEY_CACHE_LIMIT = 1000;

/**
 * The environ key of a request header, or null when it must not be passed:
 * `Proxy` (httpoxy: it would become HTTP_PROXY) and names containing "_" (they
 * would be indistinguishable from their "-" twin, a header-spoofing trick).
 */
export function environKey(name: string): string | null {
  let key = keyCache.get(name);
  if (key !== undefined) return key;
  if (name === 'content-type') key = 'CONTENT_TYPE';
  else if (name === 'content-length') key = 'CONTENT_LENGTH';
  else if (name === 'proxy' || name.includes('_')) key = null;
  else key = 'HTTP_' + name.toUpperCase().replaceAll('-', '_');
  if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(name, key);
  return key;
}

/** PATH_INFO: the percent-decoded path, its bytes carried as latin-1 characters (PEP 3333). */
export function pathInfo(rawPath: string): string {
  let percent = rawPath.indexOf('%');
  if (percent === -1) return rawPath;
  let out = '';
  let copied = 0;
  while (percent !== -1) {
    const byte = percent + 2 < rawPath.length ? hexByte(rawPath.charCodeAt(percent + 1), rawPath.charCodeAt(percent + 2)) : -1;
    if (byte === -1) {
      // A "%" not followed by two hex digits stays as it is (as gunicorn and wsgiref do).
      percent = rawPath.indexOf('%', percent + 1);
      continue;
    }
    out += rawPath.slice(copied, percent) + String.fromCharCode(byte);
    copied = percent + 3;
    percent = rawPath.indexOf('%', copied);
  }
  return out + rawPath.slice(copied);
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

function hexByte(high: number, low: number): number {
  const h = hexDigit(high);
  const l = hexDigit(low);
  return h === -1 || l === -1 ? -1 : h * 16 + l;
}

// One request's headers as environ keys and values, filled by collectHeader during one
// encodeRequest (module-level: no closure or arrays per request; emptied after each use).
const headerKeys: string[] = [];
const headerValues: string[] = [];

/**
 * Adds a request header to headerKeys/headerValues; a repeated field joins the value already
 * there with ", " (one environ entry per name, as CGI and gunicorn do), Cookie with "; " (RFC
 * 9113 §8.2.3: HTTP/2 clients send cookies as separate fields). The keys come from
 * environKey's cache, so `indexOf` mostly compares identical strings.
 */
function collectHeader(name: string, value: string | string[]): void {
  const key = environKey(name);
  if (key === null) return;
  const text = typeof value === 'string' ? value : value.join(', ');
  const at = headerKeys.indexOf(key);
  if (at === -1) {
    headerKeys.push(key);
    headerValues.push(text);
  } else {
    headerValues[at] += (key === 'HTTP_COOKIE' ? '; ' : ', ') + text;
  }
}

/**
 * Encodes the REQUEST frame for `ctx`. `scriptName` is the mount prefix and `rawPath`
 * the rest of the (still encoded) path; `bufferedLength` the size of a body read whole
 * beforehand (-1: none), announced as CONTENT_LENGTH when the request was chunked.
 */
export function encodeRequest(ctx: Context, id: number, scriptName: string, rawPath: string, bufferedLength = -1): Buffer {
  const request = ctx.request;
  const socket = ctx.socket;
  const host = ctx.hostname;
  let fields = 'REQUEST_METHOD\0' + ctx.method +
    '\0SCRIPT_NAME\0' + scriptName +
    '\0QUERY_STRING\0' + ctx.querystring +
    '\0REQUEST_URI\0' + ctx.originalUrl +
    '\0SERVER_NAME\0' + (host === '' ? socket.localAddress : host) +
    '\0SERVER_PORT\0' + socket.localPort +
    '\0SERVER_PROTOCOL\0HTTP/' + (request.httpVersion === '2.0' ? '2' : request.httpVersion) +
    '\0REMOTE_ADDR\0' + ctx.ip +
    '\0REMOTE_PORT\0' + socket.remotePort +
    '\0wsgi.url_scheme\0' + ctx.protocol;
  request.forEachHeader(collectHeader);
  for (let i = 0; i < headerKeys.length; i++) fields += '\0' + headerKeys[i] + '\0' + headerValues[i];
  headerKeys.length = 0;
  headerValues.length = 0;
  if (bufferedLength >= 0 && request.length === undefined) fields += '\0CONTENT_LENGTH\0' + bufferedLength;
  const path = pathInfo(rawPath);
  const payloadLength = 5 + path.length + fields.length;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadLength) as Latin1Buffer;
  frame.writeUInt32BE(payloadLength, 0);
  frame[4] = ToWorker.Request;
  frame.writeUInt32BE(id, 5);
  frame[9] = request.hasBody ? FLAG_HAS_BODY : 0;
  frame.writeUInt32BE(path.length, 10);
  frame.latin1Write(path, 14);
  frame.latin1Write(fields, 14 + path.length);
  return frame;
}
