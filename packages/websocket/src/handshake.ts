/**
 * The WebSocket opening handshake as HTTP sees it (RFC 6455 §4.2.1): which requests are
 * WebSocket handshakes, and the checks answered as ordinary HTTP responses before the
 * connection is taken over (`ws` would otherwise write a bare error and drop the connection).
 * Must never write to the connection: it only reads the request and throws coded errors.
 */

import type { Context } from '@sluice/core';
import { websocketError } from './errors.js';

// RFC 6455 §4.1: a base64-encoded 16-byte value.
const KEY = /^[+/0-9A-Za-z]{22}==$/;
// RFC 9110 §5.6.2 token, for subprotocol names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// The versions ws speaks; a 426 lists them (RFC 6455 §4.4).
const VERSIONS = new Set(['13', '8']);

/** Lowercased members of a comma-separated header list. */
function members(value: string): string[] {
  return value.split(',').map((part) => part.trim().toLowerCase());
}

/** Whether the request asks for a WebSocket: `Upgrade` lists `websocket`. Anything else is left to the next middleware. */
export function isWebSocketRequest(ctx: Context): boolean {
  const upgrade = ctx.get('Upgrade');
  return upgrade !== '' && members(upgrade).includes('websocket');
}

/**
 * Checks a WebSocket handshake request; throws the error to answer with (405, 400, 426)
 * when it is not one the server can accept.
 */
export function checkHandshake(ctx: Context): void {
  if (ctx.method !== 'GET') throw websocketError('BAD_METHOD', { Allow: 'GET' });
  const hasBody = ctx.get('Content-Length') !== '' && ctx.get('Content-Length') !== '0';
  if (
    ctx.req.httpVersionMinor !== 1 || !members(ctx.get('Connection')).includes('upgrade') ||
    hasBody || ctx.get('Transfer-Encoding') !== ''
  ) {
    throw websocketError('NOT_UPGRADE');
  }
  if (!VERSIONS.has(ctx.get('Sec-WebSocket-Version'))) {
    throw websocketError('BAD_VERSION', { 'Sec-WebSocket-Version': '13, 8', Upgrade: 'websocket' });
  }
  if (!KEY.test(ctx.get('Sec-WebSocket-Key'))) throw websocketError('BAD_KEY');
  const protocols = ctx.get('Sec-WebSocket-Protocol');
  if (protocols !== '' && !protocols.split(',').every((name) => TOKEN.test(name.trim()))) {
    throw websocketError('BAD_PROTOCOL');
  }
}
