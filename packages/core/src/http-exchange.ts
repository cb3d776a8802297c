/**
 * What the framework needs of one request/response exchange: the engine's `Exchange`
 * (its own HTTP/1.x on sockets) and `NodeHttpExchange` (node:http, node:https and
 * node:http2's compatibility API, for `app.callback()`) both provide it.
 * Must never hold code: it is the seam between the framework and whatever carries the bytes.
 */

import type { Readable } from 'node:stream';
import type { ConnectionInfo } from './engine/exchange.js';
import type { RequestHead } from './engine/parser.js';
import type { OutgoingHeaders } from './engine/response-writer.js';

/** A request body: a Readable with the length its head announced (-1 when unknown). */
export type ExchangeBody = Readable & { readonly declaredLength: number };

/** One request and its response, as the framework (ctx, respond, the access log) sees it. */
export interface HttpExchange {
  /** The parsed request head: method, target, version, fields. */
  readonly head: RequestHead;
  /** The request body, or null when the request has none. */
  readonly body: ExchangeBody | null;
  /** Trailer fields of a chunked request, once its body is complete. */
  readonly trailers: Array<[string, string]> | null;
  /** Whether the status line and headers were written. */
  readonly headersSent: boolean;
  /** Whether the response was handed over whole (or abandoned). */
  readonly finished: boolean;
  /** Whether the response was cut short: the client went away, or the server aborted it. */
  readonly aborted: boolean;
  /** Reason phrase instead of the standard one (checked by the framework: no CR/LF). */
  reason: string | undefined;
  /** Status written, once headersSent. */
  readonly status: number;
  /** Body bytes written so far. */
  readonly bytesWritten: number;
  /** When the request's first byte arrived (ms since epoch). */
  readonly startTime: number;
  /** Addresses of the underlying connection. */
  readonly connection: ConnectionInfo;
  /** Calls `listener` once if the client disconnects before the response finished. */
  onClose(listener: () => void): void;
  /** Calls `listener` once when the whole response has been handed over. */
  onFinish(listener: () => void): void;
  /** Sends a whole response at once; false if a response was already started. */
  respond(status: number, headers: OutgoingHeaders, body: string | Uint8Array | null): boolean;
  /** Starts a streamed response; `length` is the body length or -1. */
  writeHead(status: number, headers: OutgoingHeaders, length: number): void;
  /** Writes a body chunk; false when the client is not keeping up (wait for `onDrain`). */
  write(chunk: string | Uint8Array): boolean;
  /** Calls `listener` once more can be written. */
  onDrain(listener: () => void): void;
  /** Ends the response, optionally with a last chunk. */
  end(chunk?: string | Uint8Array): void;
  /** Streams `source` as the body with backpressure; aborts if it fails. */
  pipeFrom(source: Readable, status: number, headers: OutgoingHeaders, length: number): void;
  /** Hands the output to `source` verbatim (a whole HTTP response: CGI NPH). */
  sendRaw(source: Readable): void;
  /** Drops the response: for failures after the head was sent. */
  abort(): void;
}
