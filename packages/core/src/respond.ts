/**
 * Sends what the middleware chain left in `ctx`. The rules, row by row (each tested):
 *
 * | condition                          | what is sent                                          |
 * |------------------------------------|-------------------------------------------------------|
 * | `ctx.respond === false`            | nothing (the app wrote through `ctx.res`)             |
 * | response finished                  | nothing                                               |
 * | head already sent (`flushHeaders`) | the body below, with the framing chosen then          |
 * | status 204, 205, 304               | head only, no body, no Content-Length (205: length 0) |
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
import { responseCarriesContent } from './content-rule.js';
import type { Context } from './context.js';
import type { HttpExchange } from './http-exchange.js';
import { declaredLength, sendHead, sendStream, sendWhole } from './response-head.js';
import { kExchange, kHeaders } from './symbols.js';

const TEXT = 'text/plain; charset=utf-8';

/** Sends the response `ctx` describes, following the table above. */
export function respond(ctx: Context): void {
  if (!ctx.respond) return;
  const exchange = ctx[kExchange];
  if (exchange.finished) return;
  const response = ctx.response;
  const body = response.body;
  if (exchange.headersSent) {
    sendAfterHead(exchange, body);
    return;
  }
  const headers = response[kHeaders];
  const status = response.status;

  if (statuses.empty[status]) {
    discard(body);
    sendWhole(exchange, response, status, null);
    return;
  }
  // Left: HEAD, whose answer announces GET's length without content (content-rule.ts).
  if (!responseCarriesContent(ctx.method, status)) {
    const length = response.length;
    discard(body);
    sendHead(exchange, response, status, length ?? -1);
    exchange.end();
    return;
  }
  if (body === null || body === undefined) {
    if (response.explicitNullBody) {
      delete headers['content-type'];
      sendWhole(exchange, response, status, null);
      return;
    }
    headers['content-type'] = TEXT;
    sendWhole(exchange, response, status, response.message || String(status));
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    sendWhole(exchange, response, status, body);
    return;
  }
  const stream = streamOf(body);
  if (stream === undefined) {
    sendWhole(exchange, response, status, JSON.stringify(body));
    return;
  }
  const length = body instanceof Blob ? body.size : declaredLength(headers['content-length']);
  if (stream === null) sendWhole(exchange, response, status, null);
  else sendStream(exchange, response, status, stream, length);
}

/** The head went out early: the body follows with the framing chosen then. */
function sendAfterHead(exchange: HttpExchange, body: unknown): void {
  if (body === null || body === undefined) {
    exchange.end();
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    exchange.end(body);
    return;
  }
  const stream = streamOf(body);
  if (stream === undefined) exchange.end(JSON.stringify(body));
  else if (stream === null) exchange.end();
  else exchange.pipeFrom(stream, exchange.status, {}, -1);
}

/** The Readable behind a stream-like body; null for a fetch Response without a body; undefined for JSON. */
function streamOf(body: unknown): Readable | null | undefined {
  if (isStream(body)) return body;
  if (isAsyncIterable(body)) return Readable.from(body);
  if (body instanceof Blob) return Readable.fromWeb(body.stream() as WebReadableStream);
  if (body instanceof globalThis.Response) return body.body === null ? null : Readable.fromWeb(body.body as WebReadableStream);
  return undefined;
}

/** Releases a body that will not be sent (HEAD, 204, 304). */
function discard(body: unknown): void {
  if (isStream(body)) body.destroy();
  else if (body instanceof globalThis.Response && body.body !== null) void body.body.cancel().catch(() => {});
}
