/**
 * One client connection: feeds bytes to the head scanner and body decoders,
 * dispatches one exchange at a time (pipelined input waits, answered in order),
 * drains or refuses unread bodies, applies the timeouts, and closes in stages
 * (last response, half-close, brief drain, close) so no response is lost to a reset.
 * Must never know about middleware: it hands exchanges to the engine's handler.
 */

import type { Socket } from 'node:net';
import { ProtocolError, RequestAbortedError, protocolError } from '../errors.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { Exchange, type ConnectionInfo, type ExchangeOwner } from './exchange.js';
import type { EngineOptions } from './limits.js';
import { HeadScanner, parseHead } from './parser.js';
import { RequestBody, type BodySource } from './request-body.js';

/** The engine as a connection sees it. */
export interface ConnectionHost {
  readonly options: EngineOptions;
  /** True once the engine is shutting down. */
  readonly closing: boolean;
  dispatch(exchange: Exchange): void;
  dispatchError(error: ProtocolError, exchange: Exchange): void;
  connectionClosed(connection: Connection): void;
}

const enum State {
  /** Waiting for the first byte of a request. */
  Idle,
  /** Part of a request head has arrived. */
  Head,
  /** An exchange is in progress. */
  Active,
  /** Half-closed after the last response; discarding input until the client closes. */
  Closing,
  Closed,
}

// Why reading is paused; reading resumes when no reason is left.
const PAUSE_BODY = 1;
const PAUSE_PIPELINE = 2;
const PAUSE_DRAIN = 4;

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

export class Connection implements ExchangeOwner, BodySource {
  readonly socket: Socket;
  /** Deadline (ms since epoch) checked by the engine's sweep; 0 = none. */
  deadline = 0;
  readonly #host: ConnectionHost;
  readonly #options: EngineOptions;
  readonly #scanner: HeadScanner;
  readonly #encrypted: boolean;
  #info: ConnectionInfo | null = null;
  #state = State.Idle;
  #buf: Buffer | null = null;
  #off = 0;
  #current: Exchange | null = null;
  #body: RequestBody | null = null;
  /** Body bytes still expected: >0 fixed length, -1 chunked, 0 none. */
  #bodyRemaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** Unread body being discarded after the response (bytes so far). */
  #discarding = false;
  #drained = 0;
  #continueSent = false;
  #requests = 0;
  #requestStart = 0;
  #paused = 0;
  #processing = false;
  /** Input is no longer read as requests (after an error or the last response). */
  #inputClosed = false;
  readonly #deliver = (chunk: Buffer): void => this.#deliverBody(chunk);

  constructor(host: ConnectionHost, socket: Socket, encrypted: boolean) {
    this.#host = host;
    this.#options = host.options;
    this.socket = socket;
    this.#encrypted = encrypted;
    this.#scanner = new HeadScanner(host.options);
    this.deadline = Date.now() + host.options.headersTimeoutMs;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
  }

  get info(): ConnectionInfo {
    if (this.#info === null) {
      const s = this.socket;
      this.#info = {
        remoteAddress: s.remoteAddress ?? '',
        remotePort: s.remotePort ?? 0,
        localAddress: s.localAddress ?? '',
        localPort: s.localPort ?? 0,
        encrypted: this.#encrypted,
      };
    }
    return this.#info;
  }

  /** True while no request is in progress (safe to close at once on shutdown). */
  get idle(): boolean {
    return this.#state === State.Idle;
  }

  // ---- input -------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#state === State.Closing || this.#state === State.Closed || this.#inputClosed) return;
    if (this.#buf === null || this.#off >= this.#buf.length) {
      this.#buf = chunk;
      this.#off = 0;
    } else {
      // Rare: a head split across segments, or pipelined input waiting.
      this.#buf = Buffer.concat([this.#buf.subarray(this.#off), chunk]);
      this.#off = 0;
    }
    this.#process();
  }

  /** Parses and dispatches as far as the buffered input allows. Never re-entered. */
  #process(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#buf !== null && this.#off < this.#buf.length && !this.#inputClosed) {
        if (this.#state === State.Active) {
          if (this.#bodyRemaining !== 0) {
            this.#feedBody();
            continue;
          }
          // Pipelined input: wait for the current response, but not without bound.
          if (this.#buf.length - this.#off > this.#options.maxPipelineBufferBytes) this.#pause(PAUSE_PIPELINE);
          break;
        }
        if (this.#state !== State.Idle && this.#state !== State.Head) break;
        if (!this.#readHead()) break;
      }
      if (this.#buf !== null && this.#off >= this.#buf.length) {
        this.#buf = null;
        this.#off = 0;
      }
    } finally {
      this.#processing = false;
    }
  }

  /** Tries to complete a head; returns true when an exchange was dispatched. */
  #readHead(): boolean {
    const buf = this.#buf as Buffer;
    const start = this.#off;
    if (this.#state === State.Idle) {
      this.#state = State.Head;
      this.#requestStart = Date.now();
      this.deadline = this.#requestStart + this.#options.headersTimeoutMs;
    }
    let end: number;
    let exchange: Exchange;
    try {
      end = this.#scanner.scan(buf, start);
      if (end === -1) return false;
      const head = parseHead(buf, start + this.#scanner.headOffset, end);
      this.#scanner.reset();
      this.#off = end;
      let body: RequestBody | null = null;
      if (head.chunked) {
        body = new RequestBody(this, -1);
        this.#chunked = new ChunkedDecoder(this.#options);
        this.#bodyRemaining = -1;
      } else if (head.contentLength > 0) {
        if (head.contentLength > this.#options.maxBodyBytes) throw protocolError('BODY_TOO_LARGE');
        body = new RequestBody(this, head.contentLength);
        this.#bodyRemaining = head.contentLength;
      }
      exchange = new Exchange(this, head, body);
      this.#body = body;
    } catch (error) {
      this.#protocolFailure(error);
      return false;
    }
    this.#state = State.Active;
    this.#current = exchange;
    this.#continueSent = false;
    this.#requests++;
    this.deadline = this.#bodyRemaining !== 0 ? this.#requestStart + this.#options.requestTimeoutMs : 0;
    this.#host.dispatch(exchange);
    return true;
  }

  #feedBody(): void {
    const buf = this.#buf as Buffer;
    if (this.#bodyRemaining > 0) {
      const n = Math.min(this.#bodyRemaining, buf.length - this.#off);
      const chunk = buf.subarray(this.#off, this.#off + n);
      this.#off += n;
      this.#bodyRemaining -= n;
      this.#deliverBody(chunk);
      if (this.#bodyRemaining === 0) this.#bodyComplete();
      return;
    }
    let end: number;
    try {
      end = (this.#chunked as ChunkedDecoder).decode(buf, this.#off, this.#deliver);
    } catch (error) {
      this.#bodyFailure(error as ProtocolError);
      return;
    }
    if (end === -1) {
      this.#off = buf.length;
    } else {
      this.#off = end;
      this.#bodyRemaining = 0;
      if (this.#current !== null) this.#current.trailers = (this.#chunked as ChunkedDecoder).trailers;
      this.#chunked = null;
      this.#bodyComplete();
    }
  }

  #deliverBody(chunk: Buffer): void {
    if (this.#discarding) {
      this.#drained += chunk.length;
      return;
    }
    const body = this.#body;
    if (body === null || body.destroyed) return;
    if (!body.push(chunk)) this.#pause(PAUSE_BODY);
  }

  #bodyComplete(): void {
    this.deadline = 0;
    const body = this.#body;
    this.#body = null;
    if (body !== null && !body.destroyed && !this.#discarding) body.push(null);
    this.#resume(PAUSE_BODY);
    if (this.#discarding) {
      this.#discarding = false;
      this.#nextRequest();
    }
  }

  /** A malformed chunked body: the body stream fails, and the connection will close. */
  #bodyFailure(error: ProtocolError): void {
    this.#inputClosed = true;
    this.#bodyRemaining = 0;
    const exchange = this.#current;
    const body = this.#body;
    this.#body = null;
    if (body !== null && !body.destroyed) body.destroy(error);
    if (exchange === null || exchange.finished) {
      this.#closeGracefully();
      return;
    }
    exchange.forceClose = true;
    if (!exchange.headersSent) this.#host.dispatchError(error, exchange);
  }

  /** A head that cannot be parsed: answer it (through the handler) and close. */
  #protocolFailure(error: unknown): void {
    this.#inputClosed = true;
    this.#scanner.reset();
    const err = error instanceof ProtocolError ? error : protocolError('BAD_REQUEST_LINE');
    this.#state = State.Active;
    const exchange = Exchange.forError(this);
    exchange.forceClose = true;
    this.#current = exchange;
    this.#host.dispatchError(err, exchange);
  }

  // ---- BodySource ----------------------------------------------------------

  bodyWanted(): void {
    const exchange = this.#current;
    if (exchange !== null) this.sendContinue(exchange);
    this.#resume(PAUSE_BODY);
  }

  bodyDestroyed(): void {
    // The app gave up on the body: stop buffering it; what is left is drained or refused later.
    this.#body = null;
    if (this.#bodyRemaining !== 0) this.#discarding = true;
    this.#resume(PAUSE_BODY);
  }

  // ---- ExchangeOwner -------------------------------------------------------

  sendContinue(exchange: Exchange): void {
    if (
      exchange === this.#current && exchange.head.expectContinue && !this.#continueSent &&
      !exchange.headersSent && this.#bodyRemaining !== 0 && !this.socket.destroyed
    ) {
      this.#continueSent = true;
      this.socket.write(CONTINUE);
    }
  }

  keepAliveAllowed(exchange: Exchange): boolean {
    if (this.#host.closing || this.#inputClosed) return false;
    const max = this.#options.maxRequestsPerConnection;
    if (max > 0 && this.#requests >= max) return false;
    if (this.#bodyRemaining === 0 || exchange !== this.#current) return true;
    // Unread body: keep the connection only if what is left is small enough to drain.
    if (exchange.head.expectContinue && !this.#continueSent) return false;
    return this.#bodyRemaining > 0 && this.#bodyRemaining <= this.#options.maxDrainBytes;
  }

  exchangeFinished(exchange: Exchange, keepAlive: boolean): void {
    if (exchange !== this.#current) return;
    if (!keepAlive) {
      this.#current = null;
      this.#inputClosed = true;
      this.#closeGracefully();
      return;
    }
    if (this.#bodyRemaining !== 0) {
      // Drain the unread rest of the body, then go on with the next request.
      this.#discarding = true;
      const body = this.#body;
      this.#body = null;
      if (body !== null && !body.destroyed) body.destroy();
      this.#resume(PAUSE_BODY);
      if (this.#buf !== null) this.#process();
      return;
    }
    this.#nextRequest();
  }

  exchangeAborted(exchange: Exchange): void {
    if (exchange !== this.#current) return;
    this.#current = null;
    this.socket.destroy();
  }

  #nextRequest(): void {
    this.#current = null;
    this.#state = State.Idle;
    this.deadline = Date.now() + this.#options.keepAliveTimeoutMs;
    if (this.#host.closing || this.#inputClosed) {
      this.#inputClosed = true;
      this.#closeGracefully();
      return;
    }
    this.#resume(PAUSE_PIPELINE);
    if (this.#buf === null) return;
    // Answer pipelined requests only as fast as the client reads the answers.
    if (this.socket.writableNeedDrain) {
      this.#pause(PAUSE_DRAIN);
      this.socket.once('drain', () => {
        this.#resume(PAUSE_DRAIN);
        this.#process();
      });
      return;
    }
    this.#process();
  }

  // ---- closing and timeouts ------------------------------------------------

  /** Half-closes after the last response, then discards input briefly before closing. */
  #closeGracefully(): void {
    if (this.#state === State.Closing || this.#state === State.Closed) return;
    this.#state = State.Closing;
    this.#buf = null;
    this.#body = null;
    this.deadline = Date.now() + this.#options.lingerMs;
    this.#paused = 0;
    this.socket.resume();
    // Once our FIN is out and the client's has arrived, the socket closes itself (autoDestroy).
    this.socket.end();
  }

  /** Called by the engine's sweep when `deadline` has passed. */
  timeout(): void {
    this.deadline = 0;
    switch (this.#state) {
      case State.Idle:
        this.#inputClosed = true;
        this.#closeGracefully();
        return;
      case State.Head:
        this.#protocolFailure(protocolError('HEADERS_TIMEOUT'));
        return;
      case State.Active: {
        const exchange = this.#current;
        this.#inputClosed = true;
        if (this.#body !== null && !this.#body.destroyed) this.#body.destroy(protocolError('REQUEST_TIMEOUT'));
        this.#body = null;
        this.#bodyRemaining = 0;
        if (exchange === null || exchange.finished) this.#closeGracefully();
        else if (!exchange.headersSent) {
          exchange.forceClose = true;
          this.#host.dispatchError(protocolError('REQUEST_TIMEOUT'), exchange);
        } else this.socket.destroy();
        return;
      }
      default:
        this.socket.destroy();
    }
  }

  /** Engine shutdown: close now if idle, else after the response in progress. */
  shutdown(): void {
    if (this.#state === State.Idle) {
      this.#inputClosed = true;
      this.#closeGracefully();
    }
  }

  #onEnd(): void {
    // The client half-closed. Finish the response in progress, then close.
    this.#inputClosed = true;
    if (this.#state === State.Closing) return;
    if (this.#state === State.Idle || this.#state === State.Head) {
      this.#closeGracefully();
      return;
    }
    if (this.#bodyRemaining !== 0) {
      this.#bodyRemaining = 0;
      const body = this.#body;
      this.#body = null;
      if (body !== null && !body.destroyed) body.destroy(new RequestAbortedError());
    }
  }

  #onClose(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.deadline = 0;
    const body = this.#body;
    this.#body = null;
    if (body !== null && !body.destroyed) body.destroy(new RequestAbortedError());
    const exchange = this.#current;
    this.#current = null;
    if (exchange !== null) exchange.notifyAborted();
    this.#buf = null;
    this.#host.connectionClosed(this);
  }

  #pause(reason: number): void {
    if (this.#paused === 0) this.socket.pause();
    this.#paused |= reason;
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0) this.socket.resume();
  }
}
