/**
 * One request/response exchange on a connection: the parsed request, its body
 * stream, and the methods that write the response with the right framing
 * (Content-Length, chunked, close-delimited, none). The framework talks to the
 * engine only through this object. Must never run middleware or interpret bodies
 * beyond bytes.
 */

import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { statusAllowsContent } from '../content-rule.js';
import { coreError } from '../errors.js';
import { pumpBody } from '../pump-body.js';
import type { ConnectionInfo, HttpExchange, OutgoingHeaders, RequestView, TakenConnection } from '../http-exchange.js';
import { RequestHead } from './parser.js';
import type { RequestBody } from './request-body.js';
import { appendHeaders, Framing, httpDate, statusLine, type HeaderFacts } from './response-writer.js';

/** What an exchange needs from its connection. */
export interface ExchangeOwner {
  readonly socket: Socket;
  readonly info: ConnectionInfo;
  /** Whether the connection may stay open after this response. */
  keepAliveAllowed(exchange: Exchange): boolean;
  /** Sends `100 Continue` if the request expects it and it was not sent yet. */
  sendContinue(exchange: Exchange): void;
  /** The response was handed to the socket whole. */
  exchangeFinished(exchange: Exchange, keepAlive: boolean): void;
  /** The response cannot be completed: drop the connection. */
  exchangeAborted(exchange: Exchange): void;
  /** The socket's buffer is full: start the clock on a client that does not read. */
  writeStalled(): void;
  /** Leaves HTTP for good: returns the socket and the unread input, stops reading it. */
  takeover(exchange: Exchange): TakenConnection;
}

// Small bodies are copied next to the head so both leave in one write.
const COALESCE_LIMIT = 16 * 1024;
const CRLF = '\r\n';
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const headerFacts: HeaderFacts = { close: false, hasDate: false };

function uncork(socket: Socket): void {
  socket.uncork();
}

type Latin1Writable = Buffer & { latin1Write(s: string, offset: number): number; utf8Write(s: string, offset: number): number };

/**
 * One request and its response. Write the response with `respond()` (whole, one write),
 * or `writeHead()` + `write()` + `end()`, or `pipeFrom()` (a stream), or `sendRaw()`.
 */
export class Exchange implements HttpExchange {
  /** The request body, or null when the request has none. */
  readonly body: RequestBody | null;
  /** When the request's first byte arrived (ms since epoch), as nginx's `$request_time` counts. */
  readonly startTime: number;

  readonly #owner: ExchangeOwner;
  readonly #head: RequestHead;
  #trailers: Array<[string, string]> | null = null;
  #headersSent = false;
  #finished = false;
  #aborted = false;
  #forceClose = false;
  #takenOver = false;
  #status = 0;
  #bytesWritten = 0;
  #framing = Framing.None;
  #length = -1;
  #keepAlive = false;
  #closeListeners: Array<() => void> | null = null;
  #finishListeners: Array<() => void> | null = null;

  constructor(owner: ExchangeOwner, head: RequestHead, body: RequestBody | null, startTime = Date.now()) {
    this.#owner = owner;
    this.#head = head;
    this.body = body;
    this.startTime = startTime;
  }

  /**
   * An exchange for a request the engine refuses: it exists only so that the error can be
   * answered (and the connection closed). `parsed` is the head when it was readable
   * (e.g. a body too large), so the error page can see the method and URL.
   */
  static forError(owner: ExchangeOwner, parsed: RequestHead | null = null): Exchange {
    const head = parsed ?? new RequestHead();
    head.keepAlive = false;
    const exchange = new Exchange(owner, head, null);
    exchange.#forceClose = true;
    return exchange;
  }

  /** The request line and header fields, read-only. */
  get request(): RequestView {
    return this.#head;
  }

  /** Whether the client waits for `100 Continue` before sending its body. */
  get expectsContinue(): boolean {
    return this.#head.expectContinue;
  }

  /** Trailer fields of a chunked request, once its body is complete. */
  get trailers(): ReadonlyArray<[string, string]> | null {
    return this.#trailers;
  }

  /** The whole body if it arrived with the head and nothing read it yet (see RequestBody.takeWhole). */
  takeWholeBody(): Buffer | null {
    return this.body === null ? null : this.body.takeWhole();
  }

  /** Set by the connection when the chunked body ended. */
  receivedTrailers(trailers: Array<[string, string]>): void {
    this.#trailers = trailers;
  }

  /** Whether the status line and headers were written. */
  get headersSent(): boolean {
    return this.#headersSent;
  }

  /** Whether the response was handed to the socket whole (or abandoned). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Whether the response was cut short: the client went away, or the server aborted it. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Status written, once headersSent. */
  get status(): number {
    return this.#status;
  }

  /** Body bytes written so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Set by the engine: the response must close the connection. */
  closeAfterResponse(): void {
    this.#forceClose = true;
  }

  /** Addresses of the underlying connection. */
  get connection(): ConnectionInfo {
    return this.#owner.info;
  }

  /** Calls `listener` once if the client disconnects before the response finished. */
  onClose(listener: () => void): void {
    if (this.#aborted) {
      listener();
      return;
    }
    (this.#closeListeners ??= []).push(listener);
  }

  /** Calls `listener` once when the whole response has been handed to the socket. */
  onFinish(listener: () => void): void {
    if (this.#finished && !this.#aborted) {
      listener();
      return;
    }
    (this.#finishListeners ??= []).push(listener);
  }

  /** Called by the connection when the socket closed under an unfinished response. */
  notifyAborted(): void {
    if (this.#finished || this.#aborted) return;
    this.#aborted = true;
    this.#finished = true;
    const listeners = this.#closeListeners;
    this.#closeListeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }

  /** Sends `100 Continue` now if the client is waiting for it (normally done on first body read). */
  sendContinue(): void {
    this.#owner.sendContinue(this);
  }

  /**
   * Builds the head and decides framing. `length` is the body length, or -1 if unknown.
   * Returns the head string; the caller writes it (with the body when it can).
   */
  #writeHeadString(status: number, headers: OutgoingHeaders, length: number, reason: string | undefined): string {
    this.#headersSent = true;
    this.#status = status;
    const minor = this.#head.versionMinor;
    // One facts object reused for every response: appendHeaders fills it synchronously.
    const facts = headerFacts;
    facts.close = false;
    facts.hasDate = false;
    const line = reason === undefined ? statusLine(minor, status) : `HTTP/1.${minor === 0 ? 0 : 1} ${status} ${reason}\r\n`;
    let out = appendHeaders(line, headers, facts);
    if (!facts.hasDate) out += 'Date: ' + httpDate() + CRLF;
    let framing: Framing;
    if (!statusAllowsContent(status)) {
      framing = Framing.None;
    } else if (this.#head.method === 'HEAD') {
      framing = Framing.None;
      if (length >= 0) out += 'Content-Length: ' + length + CRLF;
    } else if (length >= 0) {
      framing = Framing.Length;
      out += 'Content-Length: ' + length + CRLF;
    } else if (minor === 1) {
      framing = Framing.Chunked;
      out += 'Transfer-Encoding: chunked\r\n';
    } else {
      framing = Framing.Close;
    }
    const keepAlive =
      !facts.close && !this.#forceClose && framing !== Framing.Close && this.#head.keepAlive && this.#owner.keepAliveAllowed(this);
    this.#keepAlive = keepAlive;
    if (!keepAlive) out += 'Connection: close\r\n\r\n';
    else if (minor === 0) out += 'Connection: keep-alive\r\n\r\n';
    else out += CRLF;
    this.#framing = framing;
    this.#length = length;
    return out;
  }

  /**
   * Sends a whole response at once: head and body in one write.
   * Returns false if a response was already started.
   */
  respond(status: number, headers: OutgoingHeaders, body: string | Uint8Array | null, reason?: string): boolean {
    if (this.#headersSent || this.#finished) return false;
    const socket = this.#owner.socket;
    if (body === null) {
      const head = this.#writeHeadString(status, headers, this.#head.method === 'HEAD' ? -1 : 0, reason);
      if (!socket.destroyed) socket.write(head, 'latin1');
    } else if (typeof body === 'string') {
      const length = Buffer.byteLength(body);
      const head = this.#writeHeadString(status, headers, length, reason);
      if (!socket.destroyed) {
        if (this.#framing === Framing.None) {
          socket.write(head, 'latin1');
        } else if (length === body.length) {
          // ASCII (as many bytes as characters): one string write, which Node encodes into
          // a stack buffer and sends without allocating a Buffer for it.
          socket.write(head + body, 'latin1');
          this.#bytesWritten = length;
        } else {
          const out = Buffer.allocUnsafe(head.length + length) as Latin1Writable;
          out.latin1Write(head, 0);
          out.utf8Write(body, head.length);
          socket.write(out);
          this.#bytesWritten = length;
        }
      }
    } else {
      const head = this.#writeHeadString(status, headers, body.byteLength, reason);
      if (!socket.destroyed) {
        if (this.#framing === Framing.None) {
          socket.write(head, 'latin1');
        } else if (body.byteLength <= COALESCE_LIMIT) {
          const out = Buffer.allocUnsafe(head.length + body.byteLength) as Latin1Writable;
          out.latin1Write(head, 0);
          out.set(body, head.length);
          socket.write(out);
        } else {
          socket.cork();
          socket.write(head, 'latin1');
          socket.write(body);
          socket.uncork();
        }
        this.#bytesWritten = body.byteLength;
      }
    }
    this.#finish();
    return true;
  }

  /**
   * Starts a streamed response. `length` is the body length or -1 (then chunked on
   * HTTP/1.1, close-delimited on HTTP/1.0). Follow with `write()` and `end()`.
   */
  writeHead(status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    if (this.#headersSent || this.#finished) return;
    const head = this.#writeHeadString(status, headers, length, reason);
    const socket = this.#owner.socket;
    if (socket.destroyed) return;
    if (this.#framing === Framing.None) {
      socket.write(head, 'latin1');
      return;
    }
    // Hold the head until this event-loop turn ends: body bytes already at hand (a
    // stream's buffer, a CGI program's first output), and the last chunk if the body
    // ends this turn, leave in the same write. Separate writes cost a syscall and a
    // wakeup of the client each; a late first chunk still gets its head one turn later.
    socket.cork();
    setImmediate(uncork, socket);
    socket.write(head, 'latin1');
  }

  /** Whether body bytes written now would reach the wire (false for HEAD, 204, 304). */
  get expectsBody(): boolean {
    return this.#framing !== Framing.None;
  }

  /**
   * Writes a body chunk with the framing chosen by `writeHead`. Returns false when
   * the socket's buffer is full: wait for `onDrain` before writing more.
   */
  write(chunk: string | Uint8Array): boolean {
    if (this.#finished) return false;
    if (!this.#headersSent) this.writeHead(200, {}, -1);
    const socket = this.#owner.socket;
    if (socket.destroyed) return false;
    const framing = this.#framing;
    if (framing === Framing.None) return true;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.byteLength === 0) return !socket.writableNeedDrain;
    if (framing === Framing.Length && this.#bytesWritten + data.byteLength > this.#length) {
      // More than announced: the framing would be corrupted, so the connection goes.
      this.abort();
      return false;
    }
    this.#bytesWritten += data.byteLength;
    if (framing === Framing.Chunked) {
      socket.cork();
      socket.write(data.byteLength.toString(16) + CRLF, 'latin1');
      socket.write(data);
      const ok = socket.write(CRLF, 'latin1');
      socket.uncork();
      return ok;
    }
    return socket.write(data);
  }

  /** Calls `listener` once the socket can take more (after `write` returned false). */
  onDrain(listener: () => void): void {
    const socket = this.#owner.socket;
    if (socket.destroyed) return;
    socket.once('drain', listener);
    this.#owner.writeStalled();
  }

  /** Ends the response, optionally writing a last chunk. */
  end(chunk?: string | Uint8Array): void {
    if (this.#finished) return;
    if (!this.#headersSent) {
      this.respond(200, {}, chunk ?? null);
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    if (this.#finished) return;
    const socket = this.#owner.socket;
    if (this.#framing === Framing.Chunked) {
      if (!socket.destroyed) socket.write(LAST_CHUNK);
    } else if (this.#framing === Framing.Length && this.#bytesWritten !== this.#length) {
      // Fewer bytes than announced: the client would wait forever for the rest.
      this.abort();
      return;
    }
    this.#finish();
  }

  /**
   * Streams `source` as the response body with backpressure; ends the response when
   * it ends, aborts the connection if it fails, destroys it if the client leaves.
   */
  pipeFrom(source: Readable, status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    this.writeHead(status, headers, length, reason);
    if (!this.expectsBody || this.#finished) {
      source.destroy();
      this.end();
      return;
    }
    pumpBody(source, this);
  }

  /**
   * Hands the connection's output to `source` verbatim: its bytes are the whole
   * HTTP response (CGI "non-parsed headers"). The connection closes when it ends.
   */
  sendRaw(source: Readable): void {
    if (this.#headersSent || this.#finished) {
      source.destroy();
      return;
    }
    this.#headersSent = true;
    this.#framing = Framing.Close;
    this.#keepAlive = false;
    const socket = this.#owner.socket;
    source.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      if (!socket.write(chunk)) {
        source.pause();
        socket.once('drain', () => source.resume());
        this.#owner.writeStalled();
      }
    });
    source.once('end', () => this.#finish());
    source.once('error', () => this.abort());
    this.onClose(() => source.destroy());
  }

  /**
   * Hands the connection over (an Upgrade or CONNECT request, no body, no response started):
   * the exchange is finished, as the access log sees it with status 101 (200 for CONNECT),
   * and the connection reads no more HTTP. Throws a coded error otherwise.
   */
  takeover(): TakenConnection {
    if (this.#headersSent || this.#finished) throw coreError('TAKEOVER_TOO_LATE');
    const head = this.#head;
    if (!head.asksTakeover) throw coreError('TAKEOVER_NOT_REQUESTED');
    if (this.body !== null) throw coreError('TAKEOVER_WITH_BODY');
    const taken = this.#owner.takeover(this);
    this.#takenOver = true;
    this.#headersSent = true;
    this.#status = head.method === 'CONNECT' ? 200 : 101;
    this.#finished = true;
    const listeners = this.#finishListeners;
    this.#finishListeners = null;
    this.#closeListeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
    return taken;
  }

  /**
   * Drops the connection: for failures after the head was sent. Whoever waits through
   * `onClose` (a CGI program, a WSGI call, the access log) is told, as when the client leaves.
   * After a takeover, the middleware that took the connection failed: its socket is destroyed.
   */
  abort(): void {
    if (this.#takenOver) {
      this.#owner.socket.destroy();
      return;
    }
    if (this.#finished) return;
    this.#finished = true;
    this.#aborted = true;
    const listeners = this.#closeListeners;
    this.#closeListeners = null;
    this.#owner.exchangeAborted(this);
    if (listeners !== null) for (const listener of listeners) listener();
  }

  #finish(): void {
    this.#finished = true;
    this.#owner.exchangeFinished(this, this.#keepAlive);
    const listeners = this.#finishListeners;
    if (listeners !== null) {
      this.#finishListeners = null;
      for (const listener of listeners) listener();
    }
  }
}
