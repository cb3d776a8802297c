/**
 * One HTTP/2 connection: a node:http2 server session (nghttp2 does framing, HPACK and flow
 * control) whose streams become `Http2Exchange`s for the engine's handler, with the engine's
 * limits mapped onto it: concurrent streams, header list size and count, body size and pace,
 * idle timeout, streams per connection, and a bound on client resets (rapid reset,
 * CVE-2023-44487). Must never know about middleware: it hands exchanges to the engine.
 */

import http2, { type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type net from 'node:net';
import { protocolError, RequestAbortedError, type ProtocolError } from '../errors.js';
import type { ConnectionInfo, HttpExchange } from '../http-exchange.js';
import { BodyPace } from './body-pace.js';
import { ConnectionList } from './connection-list.js';
import { Http2Exchange, type Http2ExchangeOwner } from './http2-exchange.js';
import { Http2RequestBody, Http2RequestView } from './http2-request.js';
import { adoptStreamTable } from './http2-stream-table.js';
import type { EngineOptions } from './limits.js';

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;

// Pseudo-header fields of a request (:method, :scheme, :authority, :path) on top of maxHeaders.
const PSEUDO_FIELDS = 4;

/** The engine as an HTTP/2 connection sees it. */
export interface Http2SessionHost {
  readonly options: EngineOptions;
  dispatch(exchange: HttpExchange): void;
  dispatchError(error: ProtocolError, exchange: HttpExchange): void;
  sessionClosed(connection: Http2Connection): void;
}

function ignore(): void {}

/**
 * The node:http2 server that turns a socket into a session, configured from the engine's limits.
 * It never listens: the engine hands it sockets that chose HTTP/2 (ALPN `h2`, or the h2c preface).
 */
export function createSessionFactory(options: EngineOptions): http2.Http2Server {
  const factory = http2.createServer({
    settings: {
      maxConcurrentStreams: options.http2MaxConcurrentStreams,
      maxHeaderListSize: options.maxHeaderBytes,
      enablePush: false,
    },
    maxHeaderListPairs: options.maxHeaders + PSEUDO_FIELDS,
  });
  // Session errors are answered per session (the socket goes); the factory must not throw them.
  factory.on('sessionError', ignore);
  return factory;
}

/** Starts a session on `socket` through `factory` and returns it. */
function startSession(factory: http2.Http2Server, socket: net.Socket): ServerHttp2Session {
  let created: ServerHttp2Session | null = null;
  const capture = (session: ServerHttp2Session): void => {
    created = session;
  };
  factory.on('session', capture);
  // node:http2's connection listener creates the session synchronously and reads what the
  // socket has buffered first (the preface the engine looked at).
  factory.emit('connection', socket);
  factory.off('session', capture);
  if (created === null) throw new Error('node:http2 did not start a session');
  return created;
}

/**
 * Refuses an HTTP/2 connection over `maxConnections` (or during shutdown): GOAWAY with
 * REFUSED_STREAM, so the client knows no stream was processed and may retry.
 */
export function refuseHttp2(factory: http2.Http2Server, socket: net.Socket): void {
  socket.on('error', () => socket.destroy());
  const session = startSession(factory, socket);
  session.on('error', ignore);
  session.on('stream', (stream: ServerHttp2Stream) => stream.on('error', ignore));
  // Not in this tick: node:http2 feeds the bytes already read to the session on the next one,
  // and a session destroyed before that throws from inside node (no handle to receive them).
  setImmediate(() => session.destroy(new Error('over maxConnections'), NGHTTP2_REFUSED_STREAM));
}

/** One HTTP/2 connection and its streams. */
export class Http2Connection implements Http2ExchangeOwner {
  readonly info: ConnectionInfo;
  readonly sendTimeoutMs: number;
  readonly #host: Http2SessionHost;
  readonly #options: EngineOptions;
  readonly #session: ServerHttp2Session;
  readonly #socket: net.Socket;
  // Not a Set: see http2-stream-table.ts (the same old-space tables kept every stream alive).
  readonly #exchanges = new ConnectionList<Http2Exchange>();
  #streams = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #resetWindowStart = 0;
  #resets = 0;
  /** Given up for too many resets: streams still arriving are refused. */
  #calmed = false;
  #closed = false;

  constructor(host: Http2SessionHost, factory: http2.Http2Server, socket: net.Socket, encrypted: boolean) {
    this.#host = host;
    this.#options = host.options;
    this.sendTimeoutMs = host.options.sendTimeoutMs;
    this.info = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      encrypted,
    };
    this.#socket = socket;
    socket.on('error', () => socket.destroy());
    // HTTP/1's half-close rules do not apply: HTTP/2 ends with GOAWAY, and a peer's FIN ends it all.
    (socket as net.Socket & { allowHalfOpen: boolean }).allowHalfOpen = false;
    const session = startSession(factory, socket);
    this.#session = session;
    adoptStreamTable(session);
    session.on('error', ignore);
    session.on('frameError', ignore);
    session.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, raw: string[]) => this.#onStream(stream, raw));
    session.once('close', () => this.#onClose());
    this.#armIdle();
  }

  /** Streams in progress. */
  get openStreams(): number {
    return this.#exchanges.length;
  }

  #onStream(stream: ServerHttp2Stream, raw: string[]): void {
    const startTime = Date.now();
    stream.on('error', ignore);
    if (this.#calmed) {
      // The rest of a flood already read when the connection was given up: not dispatched.
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    this.#streams++;
    this.#disarmIdle();
    const options = this.#options;
    const request = new Http2RequestView(raw);
    // nghttp2 enforces SETTINGS_MAX_HEADER_LIST_SIZE only once the client acknowledged it: the
    // same limits as on HTTP/1 are checked here for the first flight of streams.
    const headError =
      request.headerBytes > options.maxHeaderBytes ? protocolError('HEADERS_TOO_LARGE')
      : request.fieldCount > options.maxHeaders ? protocolError('TOO_MANY_HEADERS')
      : request.contentLength > options.maxBodyBytes ? protocolError('BODY_TOO_LARGE')
      : null;
    let exchange: Http2Exchange | null = null;
    let body: Http2RequestBody | null = null;
    let pace: BodyPace | null = null;
    if (!stream.endAfterHeaders && headError === null) {
      pace = new BodyPace(options);
      const counted = pace;
      body = new Http2RequestBody(
        stream,
        request.contentLength,
        options.maxBodyBytes,
        () => this.#bodyFailed(exchange, protocolError('BODY_TOO_LARGE')),
        (n) => counted.received(n, Date.now()),
      );
    }
    exchange = new Http2Exchange(this, stream, request, body, startTime);
    const current = exchange;
    this.#exchanges.add(current);
    // A client reset is counted when it happens ('aborted', in the same read as the flood) for a
    // stream still being answered, else when the stream closes with a reset code; once per stream.
    let counted = false;
    const clientReset = (): void => {
      if (counted || current.resetByServer) return;
      counted = true;
      this.#countReset();
    };
    stream.once('aborted', clientReset);
    stream.once('close', () => {
      if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) clientReset();
      this.#streamClosed(current);
    });
    const max = options.maxRequestsPerConnection;
    // The last stream this connection serves: GOAWAY now, the streams in progress finish.
    if (max > 0 && this.#streams >= max) this.#session.close();
    if (headError !== null) {
      this.#host.dispatchError(headError, current);
      return;
    }
    if (body !== null && pace !== null) this.#watchBody(current, body, pace, startTime);
    this.#host.dispatch(current);
  }

  /**
   * Holds a request body to `requestTimeoutMs` (from the stream's start to the body's end) and to
   * its pace (BodyPace: minimum rate, idle timeout) while the engine waits for the client, checked
   * a few times per shortest limit; time the app spends not reading does not count.
   */
  #watchBody(exchange: Http2Exchange, body: Http2RequestBody, pace: BodyPace, startTime: number): void {
    const options = this.#options;
    const deadline = startTime + options.requestTimeoutMs;
    const shortest = Math.min(options.requestTimeoutMs, options.bodyIdleTimeoutMs || Infinity, options.minBodyBytesPerSecond > 0 ? options.bodyRateGraceMs || Infinity : Infinity);
    const tick = Math.max(20, Math.min(1000, Math.floor(shortest / 4)));
    const timer = setInterval(() => {
      if (body.readableEnded || body.destroyed || exchange.finished) {
        clearInterval(timer);
        return;
      }
      const now = Date.now();
      if (now >= deadline) {
        clearInterval(timer);
        this.#bodyFailed(exchange, protocolError('REQUEST_TIMEOUT'));
        return;
      }
      if (body.waiting) pace.start(now);
      else pace.stop(now);
      const failure = pace.check(now);
      if (failure !== null) {
        clearInterval(timer);
        this.#bodyFailed(exchange, protocolError(failure));
      }
    }, tick);
    timer.unref();
    body.once('close', () => clearInterval(timer));
  }

  /**
   * The request body cannot be completed (too large, too slow): it fails with `error`, the
   * request is answered with it if nothing was sent yet, and the stream closes after the answer.
   */
  #bodyFailed(exchange: Http2Exchange | null, error: ProtocolError): void {
    if (exchange === null) return;
    const body = exchange.body;
    if (body !== null && !body.destroyed) body.destroy(error);
    if (!exchange.headersSent && !exchange.finished) this.#host.dispatchError(error, exchange);
    else if (!exchange.finished) exchange.abort();
  }

  #streamClosed(exchange: Http2Exchange): void {
    this.#exchanges.remove(exchange);
    const body = exchange.body;
    if (body !== null && !body.destroyed && !body.readableEnded) body.destroy(new RequestAbortedError());
    exchange.streamClosed();
    if (this.#exchanges.length === 0) this.#armIdle();
  }

  /** Counts a stream the client reset; past the limit in the window, the connection goes. */
  #countReset(): void {
    const now = Date.now();
    if (now - this.#resetWindowStart > this.#options.http2ResetWindowMs) {
      this.#resetWindowStart = now;
      this.#resets = 0;
    }
    this.#resets++;
    if (this.#resets > this.#options.http2MaxResetsPerWindow && !this.#calmed) {
      this.#calmed = true;
      // With an error: destroy(undefined, code) would send NO_ERROR (its error defaults to 0).
      this.#session.destroy(new Error('too many streams reset by the client'), NGHTTP2_ENHANCE_YOUR_CALM);
      // The GOAWAY is written; a flooding peer is not waited for.
      const timer = setTimeout(() => this.#socket.destroy(), this.#options.lingerMs);
      timer.unref();
    }
  }

  #armIdle(): void {
    if (this.#closed || this.#idleTimer !== null) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#exchanges.length === 0) this.shutdown();
    }, this.#options.keepAliveTimeoutMs);
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    if (this.#idleTimer === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /**
   * GOAWAY (NO_ERROR): no new streams; those in progress finish, then the session closes.
   * A client that does not close its side within `lingerMs` after that is dropped.
   */
  shutdown(): void {
    const session = this.#session;
    if (session.closed || session.destroyed) return;
    session.close();
    if (this.#exchanges.length === 0) {
      const timer = setTimeout(() => this.destroy(), this.#options.lingerMs);
      timer.unref();
      session.once('close', () => clearTimeout(timer));
    }
  }

  /** Drops the connection now (after the shutdown grace). */
  destroy(): void {
    this.#session.destroy();
    // node:http2 ends the socket and waits for the peer: a peer that keeps it open must not hold on.
    this.#socket.destroy();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarmIdle();
    for (const exchange of this.#exchanges.toArray()) {
      this.#exchanges.remove(exchange);
      exchange.streamClosed();
    }
    this.#host.sessionClosed(this);
  }
}
