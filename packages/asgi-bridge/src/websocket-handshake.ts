/**
 * Which requests are ASGI `websocket` connections, and the RFC 6455 §4.2.1 checks answered
 * as plain HTTP (400, 426) before the application hears of them. Must never write to the
 * connection or take it over: it only reads the request and throws coded errors.
 */

import type { Context } from '@sluice/core';
import { AsgiError } from './errors.js';

// A base64-encoded 16-byte nonce.
const NONCE = /^[+/0-9A-Za-z]{22}==$/;
// An RFC 9110 token: what a subprotocol name is.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function listHas(header: string, member: string): boolean {
  return header.split(',').some((part) => part.trim().toLowerCase() === member);
}

/**
 * Whether `ctx` opens a WebSocket: an HTTP/1.1 GET with `Connection: upgrade` and
 * `Upgrade: websocket`. Anything else (HTTP/2, other methods) stays an `http` request.
 */
export function isWebSocketHandshake(ctx: Context): boolean {
  return ctx.method === 'GET' && ctx.req.httpVersion === '1.1' &&
    listHas(ctx.get('Upgrade'), 'websocket') && listHas(ctx.get('Connection'), 'upgrade');
}

/** The requested subprotocols, in the client's order; throws (400, 426) on a handshake no server could accept. */
export function checkHandshake(ctx: Context): string[] {
  if (ctx.get('Sec-WebSocket-Version') !== '13') {
    throw new AsgiError('WS_BAD_VERSION', undefined, { headers: { 'Sec-WebSocket-Version': '13' } });
  }
  if (!NONCE.test(ctx.get('Sec-WebSocket-Key'))) throw new AsgiError('WS_BAD_HANDSHAKE', 'Sec-WebSocket-Key is missing or malformed');
  if (ctx.request.hasBody) throw new AsgiError('WS_BAD_HANDSHAKE', 'a WebSocket handshake has no body');
  const header = ctx.get('Sec-WebSocket-Protocol');
  if (header === '') return [];
  const protocols = header.split(',').map((name) => name.trim());
  if (!protocols.every((name) => TOKEN.test(name))) throw new AsgiError('WS_BAD_HANDSHAKE', 'Sec-WebSocket-Protocol is malformed');
  return protocols;
}
