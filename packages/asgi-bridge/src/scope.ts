/**
 * Builds the REQUEST frame of an ASGI `http` request (or `websocket` handshake, flagged): the scope's values, encoded once as
 * latin-1 `value\0value\0...` after a flags byte, then the headers as `name\0value` pairs
 * (names lower-cased, repeats kept, order kept). The worker splits it with one `str.split`
 * and builds the scope dict. Must never read the request body or decide anything about the response.
 */

import type { Context } from '@sluice/core';
import { HEADER_BYTES, ToWorker } from '@sluice/python-workers';

type Latin1Buffer = Buffer & { latin1Write(s: string, offset: number): number };

/** REQUEST flag: the request has a body, which `receive()` pulls. */
export const FLAG_HAS_BODY = 1;
/** REQUEST flag: a WebSocket handshake; the worker builds a `websocket` scope (scheme ws/wss, subprotocols). */
export const FLAG_WEBSOCKET = 2;

/**
 * Encodes the REQUEST frame for `ctx`. `rootPath` is the mount prefix (the scope's
 * `root_path`) and `rest` the remaining, still percent-encoded path (decoded into `path`
 * by the worker); `raw_path` is the request target's path as received.
 */
export function encodeScope(ctx: Context, id: number, rootPath: string, rest: string, flags = 0): Buffer {
  const request = ctx.request;
  const socket = ctx.socket;
  const target = ctx.originalUrl;
  const query = target.indexOf('?');
  const rawPath = query === -1 ? target : target.slice(0, query);
  // ASGI names the versions "1.0", "1.1" and "2"; Node's (and core's) name for HTTP/2 is "2.0".
  const version = request.httpVersion === '2.0' ? '2' : request.httpVersion;
  let fields = ctx.method +
    '\0' + ctx.protocol +
    '\0' + version +
    '\0' + rawPath +
    '\0' + rest +
    '\0' + (query === -1 ? '' : target.slice(query + 1)) +
    '\0' + rootPath +
    '\0' + ctx.ip +
    '\0' + socket.remotePort +
    '\0' + socket.localAddress +
    '\0' + socket.localPort;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) fields += '\0' + raw[i].toLowerCase() + '\0' + raw[i + 1];
  const payloadLength = 1 + fields.length;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadLength) as Latin1Buffer;
  frame.writeUInt32BE(payloadLength, 0);
  frame[4] = ToWorker.Request;
  frame.writeUInt32BE(id, 5);
  frame[9] = flags | (request.hasBody ? FLAG_HAS_BODY : 0);
  frame.latin1Write(fields, 10);
  return frame;
}
