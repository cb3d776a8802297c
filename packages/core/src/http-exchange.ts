/**
 * The one contract between the framework and whatever carries the bytes: the engine's
 * `Exchange` (its own HTTP/1.x on sockets) and `NodeHttpExchange` (node:http, node:https and
 * node:http2's compatibility API, for `app.callback()`) implement it, and so does an HTTP/2 stream
 * (`Http2Exchange`). Must never hold code: only the types both sides agree on.
 */

import type { Duplex, Readable } from 'node:stream';

/** Addresses of the connection a request arrived on. */
export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True over TLS. */
  readonly encrypted: boolean;
}

/** Response header values as the framework keeps them (lowercased names). */
export type OutgoingHeaders = Record<string, string | number | readonly string[] | undefined>;

/** A request body: a Readable with the length its head announced (-1 when unknown). */
export type ExchangeBody = Readable & { readonly declaredLength: number };

/** The request as received, read-only: request line and header fields. */
export interface RequestView {
  /** The method, case-sensitive ('' when the request line could not be parsed). */
  readonly method: string;
  /** The request target as sent ('' when the request line could not be parsed). */
  readonly target: string;
  /** 1 for HTTP/1.x, 2 for HTTP/2. */
  readonly versionMajor: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1; 0 for HTTP/2 (shown as `HTTP/2.0`). */
  readonly versionMinor: number;
  /** Declared Content-Length, or -1. */
  readonly contentLength: number;
  /** The values of field `name` (lowercase) joined with ", ", or undefined when absent. */
  header(name: string): string | undefined;
  /** Calls `visit` for every field in arrival order, with the lowercased name. */
  forEachHeader(visit: (name: string, value: string) => void): void;
  /** Names as the client spelled them and values, alternating, as Node's `rawHeaders`. */
  readonly rawHeaders: readonly string[];
}

/** A connection handed over by `ctx.takeover()`: the raw socket and the bytes read past the request head. */
export interface TakenConnection {
  /** The connection's socket (a `net.Socket`, or a `tls.TLSSocket` over TLS), now owned by the caller. */
  readonly socket: Duplex;
  /** Bytes the client sent after the request head (pipelined): they belong to the new protocol. */
  readonly head: Buffer;
}

/** One request and its response, as the framework (ctx, respond, the access log) sees it. */
export interface HttpExchange {
  /** The request line and header fields. */
  readonly request: RequestView;
  /** The request body, or null when the request has none. */
  readonly body: ExchangeBody | null;
  /** Trailer fields of a chunked request, once its body is complete. */
  readonly trailers: ReadonlyArray<[string, string]> | null;
  /**
   * The whole request body when it is already at hand and `body` has not been read: `body`
   * then ends without data. Null otherwise (no body, not all arrived, already being read):
   * read `body`. Lets whole-body readers skip the stream machinery.
   */
  takeWholeBody(): Buffer | null;
  /** Whether the status line and headers were written. */
  readonly headersSent: boolean;
  /** Whether the response was handed over whole (or abandoned). */
  readonly finished: boolean;
  /** Whether the response was cut short: the client went away, or the server aborted it. */
  readonly aborted: boolean;
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
  /**
   * Sends a whole response at once; false if a response was already started. `reason`
   * replaces the standard reason phrase (checked by the framework: no CR/LF).
   */
  respond(status: number, headers: OutgoingHeaders, body: string | Uint8Array | null, reason?: string): boolean;
  /** Starts a streamed response; `length` is the body length or -1. `reason` as in `respond`. */
  writeHead(status: number, headers: OutgoingHeaders, length: number, reason?: string): void;
  /** Writes a body chunk; false when the client is not keeping up (wait for `onDrain`). */
  write(chunk: string | Uint8Array): boolean;
  /** Calls `listener` once more can be written. */
  onDrain(listener: () => void): void;
  /** Ends the response, optionally with a last chunk. */
  end(chunk?: string | Uint8Array): void;
  /** Streams `source` as the body with backpressure; aborts if it fails. `reason` as in `respond`. */
  pipeFrom(source: Readable, status: number, headers: OutgoingHeaders, length: number, reason?: string): void;
  /** Hands the output to `source` verbatim (a whole HTTP response: CGI NPH). */
  sendRaw(source: Readable): void;
  /** Drops the response: for failures after the head was sent. */
  abort(): void;
  /**
   * Hands the connection over for a protocol that is not HTTP (an Upgrade, a CONNECT tunnel):
   * the transport stops reading it as HTTP for good. Throws a coded error when the request did
   * not ask for it, has a body, or a response was started. Absent where the transport cannot
   * hand over a connection (node:http under `app.callback()`, an HTTP/2 stream).
   */
  takeover?(): TakenConnection;
}
