/**
 * Starting a response from what `ctx.response` recorded: the only place that hands the status,
 * the reason phrase and the header table to the exchange (for `respond`, `ctx.flushHeaders()`
 * and `ctx.res`). Knows the exchange contract and the recorded head, never ctx or a socket.
 */

import type { Readable } from 'node:stream';
import type { HttpExchange } from './http-exchange.js';
import { kHeaders } from './symbols.js';

/** A response header value as stored. */
export type HeaderValue = string | string[];

/** What `ctx.response` records about the head: status, custom reason phrase, header table. */
export interface RecordedHead {
  status: number;
  /** The reason phrase set with `message`, or undefined for the standard one. */
  readonly customMessage: string | undefined;
  readonly [kHeaders]: Record<string, HeaderValue>;
}

/** Sends a whole response: the recorded head with `status`, and `body` (null: none). */
export function sendWhole(exchange: HttpExchange, head: RecordedHead, status: number, body: string | Uint8Array | null): void {
  exchange.respond(status, head[kHeaders], body, head.customMessage);
}

/** Starts a streamed response with the recorded head; `length` is the body length or -1. */
export function sendHead(exchange: HttpExchange, head: RecordedHead, status: number, length: number): void {
  exchange.writeHead(status, head[kHeaders], length, head.customMessage);
}

/** Streams `source` as the body after the recorded head; `length` is the body length or -1. */
export function sendStream(exchange: HttpExchange, head: RecordedHead, status: number, source: Readable, length: number): void {
  exchange.pipeFrom(source, status, head[kHeaders], length, head.customMessage);
}

/**
 * Sends the status line and headers now (`ctx.flushHeaders()`, `ctx.res.writeHead()`), with
 * Content-Length if one was set, else chunked (1.1) or close-delimited (1.0) framing.
 * The body follows through `respond` or `ctx.res.write()`.
 */
export function flushHead(exchange: HttpExchange, head: RecordedHead, status: number): void {
  if (exchange.headersSent || exchange.finished) return;
  // Setting the same status again would drop a custom reason phrase set just before.
  if (head.status !== status) head.status = status;
  sendHead(exchange, head, status, declaredLength(head[kHeaders]['content-length']));
}

/** The Content-Length the app set, or -1 when none (or not a valid length). */
export function declaredLength(value: HeaderValue | undefined): number {
  if (value === undefined || Array.isArray(value)) return -1;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}
