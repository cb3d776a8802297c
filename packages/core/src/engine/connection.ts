/**
 * One client connection: feeds bytes to the head scanner and body decoders,
 * dispatches one exchange at a time (pipelined input waits, answered in order),
 * drains or refuses unread bodies, applies the timeouts, and closes in stages
 * (last response flushed, half-close, brief drain, close) so no response is lost to a reset.
 * Must never know about middleware: it hands exchanges to the engine's handler.
 */

import type { Socket } from 'node:net';
import { ProtocolError, RequestAbortedError, protocolError } from '../errors.js';
import { BodyPace } from './body-pace.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import type { ConnectionInfo, TakenConnection } from '../http-exchange.js';
import { Exchange, type ExchangeOwner } from './exchange.js';
import type { EngineOptions } from './limits.js';
import { HeadScanner, parseHead, type RequestHead } from './parser.js';
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
  /** Handed over (`takeover`): another protocol owns the socket; only its close is watched. */
  TakenOver,
  Closed,
}

// Why reading is paused; reading resumes when no reason is left.
const PAUSE_BODY = 1;
const PAUSE_PIPELINE = 2;
const PAUSE_DRAIN = 4;

// Smallest buffer allocated when input has to be accumulated (a head split across segments).
const MIN_INPUT_CAPACITY = 4096;
/** On shutdown, how long a just-accepted connection may still deliver its first request. */
const FIRST_REQUEST_GRACE_MS = 1000;

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

type HandleWithQueue = { writeQueueSize?: number } | null | undefined;

/** Output bytes not yet accepted by the kernel (stream buffer plus libuv's queue). */
function pendingOutput(socket: Socket): number {
  const handle = (socket as unknown as { _handle: HandleWithQueue })._handle;
  return socket.writableLength + (handle?.writeQueueSize ?? 0);
}

/** One client connection and its state machine (Idle → Head → Active → … → Closing → Closed). */
export class Connection implements ExchangeOwner, BodySource {
  readonly socket: Socket;
  /** Earliest deadline (ms since epoch) checked by the engine's sweep; 0 = none. */
  deadline = 0;
  /** Slot in the engine's ConnectionList; -1 once removed. */
  listIndex = -1;
  readonly #host: ConnectionHost;
  readonly #options: EngineOptions;
  readonly #scanner: HeadScanner;
  readonly #encrypted: boolean;
  #info: ConnectionInfo | null = null;
  #state = State.Idle;
  /** Unconsumed input is `#buf[#off..]`. `#buf` is a socket chunk or a view of `#store`. */
  #buf: Buffer | null = null;
  #off = 0;
  /** Our own accumulation buffer (capacity doubles), so split input is copied O(n) overall. */
  #store: Buffer | null = null;
  #current: Exchange | null = null;
  #body: RequestBody | null = null;
  /** Body bytes still expected: >0 fixed length, -1 chunked, 0 none. */
  #bodyRemaining = 0;
  #chunked: ChunkedDecoder | null = null;
  /** Unread body being discarded after the response. */
  #discarding = false;
  /** Body bytes (as on the wire) discarded since discarding began; bounded by maxDrainBytes. */
  #drained = 0;
  #continueSent = false;
  #requests = 0;
  #requestStart = 0;
  #paused = 0;
  #processing = false;
  /** Input is no longer read as requests (after an error or the last response). */
  #inputClosed = false;
  /** The client half-closed: answer what is buffered, then close. */
  #peerEnded = false;
  /** Pipelined requests wait until the client reads the responses already sent. */
  #awaitingDrain = false;
  /** Deadline for the current input phase (head, body, keep-alive idle, linger); 0 = none. */
  #inputDeadline = 0;
  /** Deadline for output the client is not reading; 0 = none. */
  #sendDeadline = 0;
  /** The request body's pace (minimum rate, idle timeout), measured while waiting for the client. */
  readonly #pace: BodyPace;
  /** When the body falls short of its pace if nothing more arrives; 0 = not waiting for it. */
  #paceDeadline = 0;
  #pendingAtArm = 0;
  readonly #deliver = (chunk: Buffer): void => this.#deliverBody(chunk);
  readonly #onDataListener = (chunk: Buffer): void => this.#onData(chunk);
  readonly #onEndListener = (): void => this.#onEnd();
  readonly #onDrainListener = (): void => this.#onDrain();

  constructor(host: ConnectionHost, socket: Socket, encrypted: boolean) {
    this.#host = host;
    this.#options = host.options;
    this.socket = socket;
    this.#encrypted = encrypted;
    this.#scanner = new HeadScanner(host.options);
    this.#pace = new BodyPace(host.options);
    this.#setInputDeadline(Date.now() + host.options.headersTimeoutMs);
    socket.on('data', this.#onDataListener);
    socket.on('end', this.#onEndListener);
    socket.on('drain', this.#onDrainListener);
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
    if (this.#state >= State.Closing || this.#inputClosed) return;
    const buf = this.#buf;
    if (buf === null || this.#off >= buf.length) {
      // The common case: a whole request in one segment, parsed straight from the socket's chunk.
      this.#buf = chunk;
      this.#off = 0;
      this.#store = null;
    } else {
      this.#append(buf, chunk);
    }
    this.#process();
    const rest = this.#buf;
    if (rest !== null && rest.length - this.#off > this.#options.maxPipelineBufferBytes) this.#pause(PAUSE_PIPELINE);
  }

  /**
   * Appends to the unconsumed input. Copies into spare capacity of our own buffer when it fits,
   * else into a new one twice as large: one-byte segments stay linear, not quadratic. Bytes
   * already handed out (body chunks are views of the input) are never overwritten.
   */
  #append(buf: Buffer, chunk: Buffer): void {
    const store = this.#store;
    const used = buf.byteOffset - (store?.byteOffset ?? 0) + buf.length;
    if (store !== null && buf.buffer === store.buffer && used + chunk.length <= store.length) {
      chunk.copy(store, used);
      this.#buf = store.subarray(buf.byteOffset - store.byteOffset, used + chunk.length);
      return;
    }
    const unread = buf.length - this.#off;
    const next = Buffer.allocUnsafe(Math.max(MIN_INPUT_CAPACITY, (unread + chunk.length) * 2));
    buf.copy(next, 0, this.#off);
    chunk.copy(next, unread);
    this.#store = next;
    this.#buf = next.subarray(0, unread + chunk.length);
    this.#off = 0;
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
          break; // pipelined input waits for the current response
        }
        if (this.#state >= State.Closing || this.#awaitingDrain) break;
        if (!this.#readHead()) break;
      }
      if (this.#buf !== null && this.#off >= this.#buf.length) {
        this.#buf = null;
        this.#store = null;
        this.#off = 0;
      }
      // A half-closed client sends nothing more: once no complete request is left, close.
      if (this.#peerEnded && !this.#awaitingDrain && (this.#state === State.Idle || this.#state === State.Head)) {
        this.#inputClosed = true;
        this.#closeGracefully();
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
      this.#setInputDeadline(this.#requestStart + this.#options.headersTimeoutMs);
    }
    let end: number;
    let head: RequestHead | null = null;
    let exchange: Exchange | undefined;
    try {
      end = this.#scanner.scan(buf, start);
      if (end === -1) return false;
      head = parseHead(buf, start + this.#scanner.headOffset, end);
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
        if (buf.length - end >= head.contentLength) {
          // The whole body came with the head (the common small POST): held aside for the
          // reader, no body phase (deadline, pace, pause) at all. A view, like every body chunk.
          this.#off = end + head.contentLength;
          body.holdWhole(buf.subarray(end, this.#off));
          exchange = new Exchange(this, head, body, this.#requestStart);
          body = null;
        } else {
          this.#bodyRemaining = head.contentLength;
        }
      }
      exchange ??= new Exchange(this, head, body, this.#requestStart);
      this.#body = body;
    } catch (error) {
      this.#protocolFailure(error, head);
      return false;
    }
    this.#state = State.Active;
    this.#current = exchange;
    this.#continueSent = false;
    this.#drained = 0;
    this.#requests++;
    // requestTimeoutMs runs from the first byte of the head to the last byte of the body.
    this.#setInputDeadline(this.#bodyRemaining !== 0 ? this.#requestStart + this.#options.requestTimeoutMs : 0);
    this.#pace.reset();
    this.#updatePace();
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
      this.#bodyBytesArrived(n);
      if (this.#discarding && this.#overDrainBudget(n)) return;
      this.#deliverBody(chunk);
      if (this.#bodyRemaining === 0) this.#bodyComplete();
      return;
    }
    let end: number;
    const begin = this.#off;
    try {
      end = (this.#chunked as ChunkedDecoder).decode(buf, begin, this.#deliver);
    } catch (error) {
      this.#bodyFailure(error as ProtocolError);
      return;
    }
    this.#bodyBytesArrived((end === -1 ? buf.length : end) - begin);
    // A chunked body's length is known only at its end: it is drained while it stays within
    // maxDrainBytes, and the connection closes once it goes past (as a Content-Length body
    // too large to drain would).
    if (this.#discarding && this.#overDrainBudget((end === -1 ? buf.length : end) - begin)) return;
    if (end === -1) {
      this.#off = buf.length;
    } else {
      this.#off = end;
      this.#bodyRemaining = 0;
      if (this.#current !== null) this.#current.receivedTrailers((this.#chunked as ChunkedDecoder).trailers);
      this.#chunked = null;
      this.#bodyComplete();
    }
  }

  /** Counts body bytes towards the pace. */
  #bodyBytesArrived(n: number): void {
    this.#pace.received(n, Date.now());
    // A client expecting 100 Continue that sends its body anyway is now being waited for.
    if (!this.#pace.waiting) this.#updatePace();
  }

  /**
   * Runs the body's pace clock exactly while the engine waits for body bytes from the client:
   * a body is pending, reading is not paused (the app keeps up), and the client is not waiting
   * for a 100 Continue it was not sent yet.
   */
  #updatePace(): void {
    const waiting =
      this.#bodyRemaining !== 0 && this.#paused === 0 && this.#state === State.Active && !this.#inputClosed &&
      !(this.#current !== null && this.#current.expectsContinue && !this.#continueSent && this.#pace.bytes === 0);
    const pace = this.#pace;
    if (waiting === pace.waiting) return;
    const now = Date.now();
    if (waiting) pace.start(now);
    else pace.stop(now);
    this.#paceDeadline = pace.deadline();
    this.#updateDeadline();
  }

  #deliverBody(chunk: Buffer): void {
    if (this.#discarding) return;
    const body = this.#body;
    if (body === null || body.destroyed) return;
    if (!body.push(chunk)) this.#pause(PAUSE_BODY);
  }

  #bodyComplete(): void {
    this.#setInputDeadline(0);
    this.#updatePace();
    const body = this.#body;
    this.#body = null;
    if (body !== null && !body.destroyed && !this.#discarding) body.push(null);
    this.#resume(PAUSE_BODY);
    if (this.#discarding) {
      this.#discarding = false;
      // The app may have dropped the body and still be answering: the next request waits.
      const exchange = this.#current;
      if (exchange === null || exchange.finished) this.#nextRequest();
    }
  }

  /**
   * Counts `n` discarded body bytes. Past maxDrainBytes, draining stops: the rest of the body
   * is not read, no further request is, and the connection closes after the response
   * (at once if it was sent). Returns true when that happened.
   */
  #overDrainBudget(n: number): boolean {
    this.#drained += n;
    if (this.#drained <= this.#options.maxDrainBytes) return false;
    this.#discarding = false;
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#inputClosed = true;
    this.#buf = null;
    this.#store = null;
    this.#setInputDeadline(0);
    this.#updatePace();
    const exchange = this.#current;
    if (exchange === null || exchange.finished) this.#closeGracefully();
    else exchange.closeAfterResponse();
    return true;
  }

  /**
   * The request body cannot be completed (malformed chunk, timeout, too large): the body
   * stream fails with `error`, the request is answered with it if nothing was sent yet,
   * and the connection closes after.
   */
  #bodyFailure(error: ProtocolError): void {
    this.#inputClosed = true;
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#updatePace();
    const exchange = this.#current;
    const body = this.#body;
    this.#body = null;
    this.#resume(PAUSE_BODY);
    if (body !== null && !body.destroyed) body.destroy(error);
    if (exchange === null || exchange.finished) {
      this.#closeGracefully();
      return;
    }
    exchange.closeAfterResponse();
    if (!exchange.headersSent) this.#host.dispatchError(error, exchange);
  }

  /** A head that cannot be accepted: answer it (through the handler) and close. */
  #protocolFailure(error: unknown, head: RequestHead | null): void {
    this.#inputClosed = true;
    this.#scanner.reset();
    this.#bodyRemaining = 0;
    this.#chunked = null;
    this.#buf = null;
    this.#store = null;
    const err = error instanceof ProtocolError ? error : protocolError('BAD_REQUEST_LINE');
    this.#state = State.Active;
    this.#setInputDeadline(0);
    const exchange = Exchange.forError(this, head);
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
      exchange === this.#current && exchange.expectsContinue && !this.#continueSent &&
      !exchange.headersSent && this.#bodyRemaining !== 0 && !this.socket.destroyed
    ) {
      this.#continueSent = true;
      this.socket.write(CONTINUE);
      this.#updatePace();
    }
  }

  keepAliveAllowed(exchange: Exchange): boolean {
    if (this.#host.closing || this.#inputClosed) return false;
    const max = this.#options.maxRequestsPerConnection;
    if (max > 0 && this.#requests >= max) return false;
    if (this.#bodyRemaining === 0 || exchange !== this.#current) return true;
    // Unread body: keep the connection only if what is left is small enough to drain.
    // A client waiting for 100 Continue may never send it: closing is the only safe answer.
    if (exchange.expectsContinue && !this.#continueSent) return false;
    // A chunked body's rest is unknown: it is drained up to maxDrainBytes (see #overDrainBudget).
    if (this.#bodyRemaining === -1) return true;
    return this.#bodyRemaining <= this.#options.maxDrainBytes;
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
      // Drain the unread rest of the body (bounded by keepAliveAllowed), then go on.
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
    // What was written before the failure still goes out (writeHead corks until the turn ends).
    while (this.socket.writableCorked > 0) this.socket.uncork();
    this.socket.destroy();
  }

  writeStalled(): void {
    this.#armSendDeadline();
  }

  /**
   * Leaves HTTP for good (the exchange checked the request asks for it): no more parsing, no
   * deadlines; the input not yet consumed goes with the socket. The connection stays in the
   * engine's set until the socket closes (it counts toward maxConnections, and the engine's
   * close destroys it after the grace period). Our 'error' listener stays: an error with no
   * listener would throw, and every socket error ends in destroy anyway.
   */
  takeover(exchange: Exchange): TakenConnection {
    const socket = this.socket;
    const buf = this.#buf;
    const head = buf === null || this.#off >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(this.#off));
    this.#buf = null;
    this.#store = null;
    this.#off = 0;
    this.#state = State.TakenOver;
    this.#inputClosed = true;
    if (exchange === this.#current) this.#current = null;
    this.#inputDeadline = 0;
    this.#sendDeadline = 0;
    this.#paceDeadline = 0;
    this.#updateDeadline();
    socket.removeListener('data', this.#onDataListener);
    socket.removeListener('end', this.#onEndListener);
    socket.removeListener('drain', this.#onDrainListener);
    // Neither flowing nor paused, as node:http leaves an upgraded socket: input waits in the
    // stream's buffer until the new owner reads it or listens for 'data'.
    this.#paused = 0;
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    return { socket, head };
  }

  #nextRequest(): void {
    this.#current = null;
    this.#state = State.Idle;
    this.#setInputDeadline(Date.now() + this.#options.keepAliveTimeoutMs);
    if (this.#host.closing || this.#inputClosed) {
      this.#inputClosed = true;
      this.#closeGracefully();
      return;
    }
    this.#resume(PAUSE_PIPELINE);
    // Answer pipelined requests only as fast as the client reads the answers: a client that
    // pipelines without reading must not make the server queue responses without bound.
    if (this.#buf !== null && this.socket.writableNeedDrain) {
      this.#awaitingDrain = true;
      this.#pause(PAUSE_DRAIN);
      this.#setInputDeadline(0);
      this.#armSendDeadline();
      return;
    }
    if (this.#buf !== null || this.#peerEnded) this.#process();
  }

  #onDrain(): void {
    this.#sendDeadline = 0;
    this.#updateDeadline();
    if (this.#awaitingDrain) {
      this.#awaitingDrain = false;
      this.#resume(PAUSE_DRAIN);
      this.#setInputDeadline(Date.now() + this.#options.keepAliveTimeoutMs);
      this.#process();
    }
  }

  // ---- closing and timeouts ------------------------------------------------

  /**
   * Half-closes after the last response, then discards input briefly before closing:
   * closing with unread input would make the kernel send a reset that can destroy the
   * response before the client reads it. The linger starts once our output is flushed.
   */
  #closeGracefully(): void {
    if (this.#state >= State.Closing) return;
    this.#state = State.Closing;
    this.#buf = null;
    this.#store = null;
    const body = this.#body;
    this.#body = null;
    // Nothing more of the request will be read: a consumer still waiting on the body ends now.
    if (body !== null && !body.destroyed) body.destroy(new RequestAbortedError());
    this.#bodyRemaining = 0;
    this.#awaitingDrain = false;
    this.#paused = 0;
    this.socket.resume();
    this.#updatePace();
    if (pendingOutput(this.socket) > 0) {
      this.#setInputDeadline(0);
      this.#armSendDeadline();
      this.socket.once('finish', () => {
        this.#sendDeadline = 0;
        this.#setInputDeadline(Date.now() + this.#options.lingerMs);
      });
    } else {
      this.#setInputDeadline(Date.now() + this.#options.lingerMs);
    }
    // Once our FIN is out and the client's has arrived, the socket closes itself (autoDestroy).
    this.socket.end();
  }

  #setInputDeadline(at: number): void {
    this.#inputDeadline = at;
    this.#updateDeadline();
  }

  /** Starts the send-stall clock if it is not running. */
  #armSendDeadline(): void {
    if (this.#sendDeadline !== 0) return;
    this.#pendingAtArm = pendingOutput(this.socket);
    this.#sendDeadline = Date.now() + this.#options.sendTimeoutMs;
    this.#updateDeadline();
  }

  #updateDeadline(): void {
    let at = this.#inputDeadline;
    const send = this.#sendDeadline;
    if (send !== 0 && (at === 0 || send < at)) at = send;
    const pace = this.#paceDeadline;
    if (pace !== 0 && (at === 0 || pace < at)) at = pace;
    this.deadline = at;
  }

  /** Called by the engine's sweep when `deadline` has passed. */
  timeout(now: number): void {
    if (this.#sendDeadline !== 0 && this.#sendDeadline <= now) {
      const pending = pendingOutput(this.socket);
      if (pending === 0 || pending < this.#pendingAtArm) {
        // The client is reading, slowly: give it another period.
        this.#sendDeadline = 0;
        if (pending !== 0) this.#armSendDeadline();
      } else {
        this.socket.destroy();
        return;
      }
    }
    if (this.#paceDeadline !== 0 && this.#paceDeadline <= now) {
      const failure = this.#pace.check(now);
      if (failure !== null) {
        this.#paceDeadline = 0;
        this.#discarding = false;
        this.#bodyFailure(protocolError(failure));
        this.#updateDeadline();
        return;
      }
      // Bytes arrived since the deadline was set: it moved later.
      this.#paceDeadline = this.#pace.deadline();
    }
    if (this.#inputDeadline !== 0 && this.#inputDeadline <= now) {
      this.#inputDeadline = 0;
      this.#inputTimeout();
    }
    this.#updateDeadline();
  }

  #inputTimeout(): void {
    switch (this.#state) {
      case State.Idle:
        this.#inputClosed = true;
        // A connection that never sent a byte has no answer to protect: closed at once, it
        // frees its socket now instead of after a half-close and lingerMs (what a client
        // holding thousands of idle connections would otherwise keep alive in the server).
        if (this.#requests === 0 && this.#buf === null) this.socket.destroy();
        else this.#closeGracefully();
        return;
      case State.Head:
        this.#protocolFailure(protocolError('HEADERS_TIMEOUT'), null);
        return;
      case State.Active:
        if (this.#bodyRemaining !== 0) {
          this.#discarding = false;
          this.#bodyFailure(protocolError('REQUEST_TIMEOUT'));
        }
        return;
      default:
        this.socket.destroy();
    }
  }

  /** Engine shutdown: close now if idle, else after the response in progress. */
  shutdown(): void {
    if (this.#state !== State.Idle) return;
    if (this.#requests === 0 && this.#buf === null) {
      // Accepted, but its first request has not arrived: the client sent it (or is sending it)
      // believing the server open, and closing now would lose it to a reset. It is answered
      // (with Connection: close) if it comes within the grace, else the connection closes.
      const at = Date.now() + Math.min(FIRST_REQUEST_GRACE_MS, this.#options.headersTimeoutMs);
      if (this.#inputDeadline === 0 || at < this.#inputDeadline) this.#setInputDeadline(at);
      return;
    }
    this.#inputClosed = true;
    this.#closeGracefully();
  }

  #onEnd(): void {
    if (this.#state >= State.Closing) return;
    this.#peerEnded = true;
    if (this.#state === State.Active && this.#bodyRemaining !== 0) {
      // The body can never be completed: the app sees an aborted request; no more requests.
      this.#inputClosed = true;
      this.#bodyRemaining = 0;
      this.#chunked = null;
      this.#discarding = false;
      this.#updatePace();
      const body = this.#body;
      this.#body = null;
      if (body !== null && !body.destroyed) body.destroy(new RequestAbortedError());
      const exchange = this.#current;
      if (exchange === null || exchange.finished) this.#closeGracefully();
      return;
    }
    if (this.#state !== State.Active) this.#process();
  }

  #onClose(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.deadline = 0;
    this.#paceDeadline = 0;
    const body = this.#body;
    this.#body = null;
    if (body !== null && !body.destroyed) body.destroy(new RequestAbortedError());
    const exchange = this.#current;
    this.#current = null;
    if (exchange !== null) exchange.notifyAborted();
    this.#buf = null;
    this.#store = null;
    this.#host.connectionClosed(this);
  }

  #pause(reason: number): void {
    if (this.#paused === 0) this.socket.pause();
    this.#paused |= reason;
    this.#updatePace();
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0) this.socket.resume();
    this.#updatePace();
  }
}
