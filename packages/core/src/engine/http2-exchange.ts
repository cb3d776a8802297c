/**
 * One HTTP/2 stream as an exchange: the same contract the HTTP/1 engine's `Exchange` gives the
 * framework, written onto node:http2's core stream API (HEADERS, DATA and flow control are
 * nghttp2's). Connection-specific response fields are dropped; HEAD, 1xx, 204 and 304 carry no
 * DATA (content-rule.ts decides). Must never run middleware, touch the session or its socket.
 */

import http2, { type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import { responseCarriesContent, statusAllowsContent } from '../content-rule.js';
import { coreError } from '../errors.js';
import type { ConnectionInfo, ExchangeBody, HttpExchange, OutgoingHeaders, RequestView } from '../http-exchange.js';
import { http2ConnectionSpecific, isEngineWritten } from '../owned-headers.js';
import { pumpBody } from '../pump-body.js';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

const END_STREAM = { endStream: true } as const;
const MORE_TO_COME = { endStream: false } as const;

/** What a stream's exchange needs from its session. */
export interface Http2ExchangeOwner {
  readonly info: ConnectionInfo;
  /** How long output may wait for a client that opens no window before the stream is reset. */
  readonly sendTimeoutMs: number;
}

/** One request and its response on an HTTP/2 stream. */
export class Http2Exchange implements HttpExchange {
  readonly request: RequestView;
  readonly body: ExchangeBody | null;
  readonly startTime: number;
  /** Slot in its connection's list of exchanges in progress; -1 when not listed. */
  listIndex = -1;
  readonly #stream: ServerHttp2Stream;
  readonly #owner: Http2ExchangeOwner;
  #headersSent = false;
  #finished = false;
  #aborted = false;
  #resetByUs = false;
  #carries = true;
  #status = 0;
  #length = -1;
  #bytesWritten = 0;
  #sendTimer: NodeJS.Timeout | null = null;
  #closeListeners: Array<() => void> | null = null;
  #finishListeners: Array<() => void> | null = null;

  constructor(owner: Http2ExchangeOwner, stream: ServerHttp2Stream, request: RequestView, body: ExchangeBody | null, startTime: number) {
    this.#owner = owner;
    this.#stream = stream;
    this.request = request;
    this.body = body;
    this.startTime = startTime;
  }

  /** Always null: an HTTP/2 body arrives in DATA frames under flow control; read `body`. */
  takeWholeBody(): Buffer | null {
    return null;
  }

  /** HTTP/2 has no chunked trailers the framework reads (trailers are ignored, as on HTTP/1). */
  get trailers(): ReadonlyArray<[string, string]> | null {
    return null;
  }

  get headersSent(): boolean {
    return this.#headersSent;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get status(): number {
    return this.#status;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  get connection(): ConnectionInfo {
    return this.#owner.info;
  }

  /** Whether this side reset the stream (abort), as opposed to the client. */
  get resetByServer(): boolean {
    return this.#resetByUs;
  }

  onClose(listener: () => void): void {
    if (this.#aborted) {
      listener();
      return;
    }
    if (!this.#finished) (this.#closeListeners ??= []).push(listener);
  }

  onFinish(listener: () => void): void {
    if (this.#finished && !this.#aborted) {
      listener();
      return;
    }
    if (!this.#finished) (this.#finishListeners ??= []).push(listener);
  }

  /** The HEADERS of the response: the app's fields minus what HTTP/2 forbids or the engine writes. */
  #head(status: number, headers: OutgoingHeaders, length: number): OutgoingHttpHeaders {
    this.#headersSent = true;
    this.#status = status;
    this.#length = length;
    this.#carries = responseCarriesContent(this.request.method, status);
    const out: OutgoingHttpHeaders = { ':status': status };
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      const lower = name.toLowerCase();
      if (http2ConnectionSpecific.has(lower) || isEngineWritten(lower)) continue;
      out[lower] = value as string | number | string[];
    }
    // No length on 1xx, 204 and 304 (RFC 9110 §8.6); HEAD gets GET's when known.
    if (length >= 0 && statusAllowsContent(status)) out['content-length'] = length;
    return out;
  }

  /** Sends HEADERS; false (and the stream reset) when node:http2 refuses them. */
  #sendHead(head: OutgoingHttpHeaders, endStream: boolean): boolean {
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      this.#closed();
      return false;
    }
    try {
      stream.respond(head, endStream ? END_STREAM : MORE_TO_COME);
      return true;
    } catch {
      // A field value node:http2 will not encode: the stream goes, the session stays.
      this.abort();
      return false;
    }
  }

  respond(status: number, headers: OutgoingHeaders, body: string | Uint8Array | null, reason?: string): boolean {
    void reason; // HTTP/2 has no reason phrase (RFC 9113 §8.3.2).
    if (this.#headersSent || this.#finished) return false;
    const length = body === null ? (this.request.method === 'HEAD' ? -1 : 0) : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const head = this.#head(status, headers, length);
    const withData = this.#carries && body !== null && length > 0;
    if (!this.#sendHead(head, !withData)) return true;
    if (withData) {
      this.#bytesWritten = length;
      this.#stream.end(body);
    }
    this.#finish();
    return true;
  }

  writeHead(status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    void reason;
    if (this.#headersSent || this.#finished) return;
    const head = this.#head(status, headers, length);
    if (!this.#sendHead(head, !this.#carries)) return;
    if (!this.#carries) this.#finish();
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#finished) return false;
    if (!this.#headersSent) this.writeHead(200, {}, -1);
    if (this.#finished) return !this.#aborted;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.byteLength === 0) return !this.#stream.writableNeedDrain;
    if (this.#length >= 0 && this.#bytesWritten + data.byteLength > this.#length) {
      // More than the announced Content-Length: nghttp2 would fail the stream anyway.
      this.abort();
      return false;
    }
    this.#bytesWritten += data.byteLength;
    return this.#stream.write(data);
  }

  onDrain(listener: () => void): void {
    const stream = this.#stream;
    if (this.#finished || stream.destroyed) return;
    stream.once('drain', listener);
    // A client that opens no window for sendTimeoutMs holds our buffers: its stream is reset.
    if (this.#sendTimer === null) {
      this.#sendTimer = setTimeout(() => {
        this.#sendTimer = null;
        if (stream.writableNeedDrain) this.abort();
      }, this.#owner.sendTimeoutMs);
      this.#sendTimer.unref();
      stream.once('drain', () => this.#clearSendTimer());
    }
  }

  #clearSendTimer(): void {
    if (this.#sendTimer !== null) clearTimeout(this.#sendTimer);
    this.#sendTimer = null;
  }

  end(chunk?: string | Uint8Array): void {
    if (this.#finished) return;
    if (!this.#headersSent) {
      this.respond(200, {}, chunk ?? null);
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    if (this.#finished) return;
    if (this.#length >= 0 && this.#bytesWritten !== this.#length) {
      // Fewer bytes than announced: the client would wait for the rest.
      this.abort();
      return;
    }
    this.#stream.end();
    this.#finish();
  }

  pipeFrom(source: Readable, status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    this.writeHead(status, headers, length, reason);
    if (!this.#carries || this.#finished) {
      source.destroy();
      this.end();
      return;
    }
    pumpBody(source, this);
  }

  /** A raw HTTP/1 response has no meaning on an HTTP/2 stream: refused with 501. */
  sendRaw(source: Readable): void {
    source.destroy();
    throw coreError('RAW_RESPONSE_HTTP2', undefined, { expose: false });
  }

  /** Resets the stream (RST_STREAM INTERNAL_ERROR); the session stays. */
  abort(): void {
    if (this.#finished) return;
    this.#resetByUs = true;
    const stream = this.#stream;
    if (!stream.destroyed && !stream.closed) stream.close(NGHTTP2_INTERNAL_ERROR);
    this.#closed();
  }

  /**
   * Called by the session when the stream closed. Before the response was handed over, that is
   * the client leaving (RST_STREAM, or the connection gone): whoever waits through `onClose` is told.
   */
  streamClosed(): void {
    this.#clearSendTimer();
    this.#closed();
  }

  #closed(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#aborted = true;
    const listeners = this.#closeListeners;
    this.#closeListeners = null;
    this.#finishListeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }

  #finish(): void {
    this.#finished = true;
    this.#closeListeners = null;
    const stream = this.#stream;
    // The response is complete while the client still sends a body nobody read (or one refused
    // before it was read, a 413): tell it to stop once our DATA is out (RFC 9113 §8.1,
    // RST_STREAM NO_ERROR; node:http2 waits for 'finish'), rather than leave it blocked on a window.
    const body = this.body;
    if (!stream.closed && !stream.endAfterHeaders && !stream.readableEnded && (body === null || !body.readableEnded)) {
      body?.destroy();
      stream.close(NGHTTP2_NO_ERROR);
    }
    const listeners = this.#finishListeners;
    this.#finishListeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }
}
