/**
 * Sends what the middleware chain left in `ctx`. The rules, row by row (each tested):
 *
 * | condition                          | what is sent                                          |
 * |------------------------------------|-------------------------------------------------------|
 * | `ctx.respond === false`            | nothing (the app wrote through `ctx.res`)             |
 * | head already sent / finished       | nothing                                               |
 * | status 1xx, 204, 205, 304          | head only, no body, no Content-Length (205: length 0) |
 * | HEAD request                       | GET's headers (Content-Length if known), no body      |
 * | body null (set on purpose)         | empty body, Content-Length: 0                         |
 * | body undefined                     | status message as text/plain                          |
 * | string, Buffer, Uint8Array         | Content-Length, head and body in one write            |
 * | Readable stream                    | declared Content-Length, else chunked (1.1) / close-delimited (1.0) |
 * | async iterable (web ReadableStream too) | as a stream                                      |
 * | Blob                               | streamed with its size as Content-Length              |
 * | fetch Response                     | its body streamed (empty if it has none)              |
 * | anything else                      | JSON.stringify, Content-Length                        |
 *
 * Must never decide status or headers beyond these rows: middleware and the error handler do that.
 */

import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import statuses from 'statuses';
import { isAsyncIterable, isStream } from './body-types.js';
import type { Context } from './context.js';
import { kExchange, kHeaders } from './symbols.js';

const TEXT = 'text/plain; charset=utf-8';

/** Sends the response `ctx` describes, following the table above; nothing if it was sent already. */
export function respond(ctx: Context): void {
  if (!ctx.respond) return;
  const exchange = ctx[kExchange];
  if (exchange.headersSent || exchange.finished) return;
  const response = ctx.response;
  const headers = response[kHeaders];
  const status = response.status;
  const body = response.body;

  if (statuses.empty[status]) {
    discard(body);
    exchange.respond(status, headers, null);
    return;
  }
  if (ctx.method === 'HEAD') {
    const length = response.length;
    discard(body);
    exchange.writeHead(status, headers, length ?? -1);
    exchange.end();
    return;
  }
  if (body === null || body === undefined) {
    if (response.explicitNullBody) {
      delete headers['content-type'];
      exchange.respond(status, headers, null);
      return;
    }
    headers['content-type'] = TEXT;
    exchange.respond(status, headers, response.message || String(status));
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    exchange.respond(status, headers, body);
    return;
  }
  if (isStream(body)) {
    exchange.pipeFrom(body, status, headers, declaredLength(headers['content-length']));
    return;
  }
  if (isAsyncIterable(body)) {
    exchange.pipeFrom(Readable.from(body), status, headers, declaredLength(headers['content-length']));
    return;
  }
  if (body instanceof Blob) {
    exchange.pipeFrom(Readable.fromWeb(body.stream() as WebReadableStream), status, headers, body.size);
    return;
  }
  if (body instanceof globalThis.Response) {
    if (body.body === null) exchange.respond(status, headers, null);
    else exchange.pipeFrom(Readable.fromWeb(body.body as WebReadableStream), status, headers, declaredLength(headers['content-length']));
    return;
  }
  exchange.respond(status, headers, JSON.stringify(body));
}

/** Releases a body that will not be sent (HEAD, 204, 304). */
function discard(body: unknown): void {
  if (isStream(body)) body.destroy();
  else if (body instanceof globalThis.Response && body.body !== null) void body.body.cancel().catch(() => {});
}

function declaredLength(value: string | string[] | undefined): number {
  if (value === undefined || Array.isArray(value)) return -1;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}
