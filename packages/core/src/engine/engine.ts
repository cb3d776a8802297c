/**
 * The HTTP engine: accepts sockets from a `net` or `tls` server, owns the set of
 * connections, enforces the connection limit, sweeps deadlines with one timer
 * (cheaper than a timer per socket), and shuts down gracefully.
 * Must never know about middleware: it calls its handler with exchanges.
 */

import net from 'node:net';
import tls from 'node:tls';
import { protocolErrors, type ProtocolError } from '../errors.js';
import type http2 from 'node:http2';
import { Connection, type ConnectionHost } from './connection.js';
import { ConnectionList } from './connection-list.js';
import type { HttpExchange } from '../http-exchange.js';
import { routeByPreface } from './http2-preface.js';
import { createSessionFactory, Http2Connection, refuseHttp2, type Http2SessionHost } from './http2-session.js';
import { resolveEngineOptions, resolveProtocolOptions, type EngineOptions, type ProtocolOptions } from './limits.js';
import { httpDate } from './response-writer.js';
import { answerPlainHttpOnTls } from './tls-sniff.js';

/** What the engine calls for each request; implemented by the framework. */
export interface EngineHandler {
  /** A complete request head arrived: answer it through the exchange. */
  onRequest(exchange: HttpExchange): void;
  /**
   * A request the engine refuses (malformed, too large, timed out): answer it through the
   * exchange (the connection closes after). The request's method and target are empty
   * when the head could not be parsed.
   */
  onProtocolError(error: ProtocolError, exchange: HttpExchange): void;
}

// The answer to a connection over the limit: it never reaches the app (no exchange exists).
const BUSY_MESSAGE = protocolErrors.SERVER_BUSY[2];
const BUSY_BODY = BUSY_MESSAGE + '\n';
const BUSY_TAIL =
  `\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(BUSY_BODY)}\r\n` +
  `Retry-After: 1\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

/** TLS options for a server: key and certificate at least. */
export type TlsOptions = tls.TlsOptions;

/**
 * The HTTP engine (HTTP/1.x of its own, HTTP/2 through node:http2's sessions): create servers
 * with `createServer()`, stop with `close(graceMs)`.
 * `Application` is its usual handler; any {@link EngineHandler} works.
 * @example
 * const engine = new HttpEngine({ onRequest: (x) => x.respond(200, {}, 'hi'), onProtocolError: (e, x) => x.respond(e.status, {}, e.message) });
 * engine.createServer().listen(8080);
 */
export class HttpEngine implements ConnectionHost, Http2SessionHost {
  readonly options: EngineOptions;
  readonly #handler: EngineHandler;
  readonly #connections = new ConnectionList<Connection>();
  readonly #sessions = new Set<Http2Connection>();
  #sessionFactory: http2.Http2Server | null = null;
  readonly #servers = new Set<net.Server>();
  #timer: NodeJS.Timeout | null = null;
  #closing = false;
  #drained: Array<() => void> = [];

  constructor(handler: EngineHandler, options?: Partial<EngineOptions>) {
    this.#handler = handler;
    this.options = resolveEngineOptions(options);
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Number of open connections (HTTP/2 sessions included). */
  get connectionCount(): number {
    return this.#connections.length + this.#sessions.size;
  }

  /**
   * Creates a `net.Server` (or `tls.Server` when `tlsOptions` is given) served by this engine.
   * `protocols.http2` offers `h2` by ALPN on TLS; `protocols.h2c` accepts the HTTP/2 preface on
   * a plain server; HTTP/1.x is always served on the same port.
   */
  createServer(tlsOptions?: TlsOptions, protocols?: Partial<ProtocolOptions>): net.Server {
    const { http2: h2, h2c } = resolveProtocolOptions(protocols);
    let server: net.Server;
    if (tlsOptions !== undefined) {
      server = tls.createServer({
        ALPNProtocols: h2 ? ['h2', 'http/1.1'] : ['http/1.1'],
        handshakeTimeout: this.options.headersTimeoutMs,
        ...tlsOptions,
        allowHalfOpen: true,
      } as tls.TlsOptions);
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        if (h2 && socket.alpnProtocol === 'h2') this.#acceptHttp2(socket, true);
        else this.#accept(socket, true);
      });
      // A failed handshake never becomes a connection; tls destroys the socket.
      server.on('tlsClientError', () => {});
      answerPlainHttpOnTls(server as tls.Server, { firstByteTimeoutMs: this.options.headersTimeoutMs, lingerMs: this.options.lingerMs });
    } else if (h2c) {
      server = net.createServer({ allowHalfOpen: true, noDelay: true });
      server.on('connection', (socket: net.Socket) =>
        routeByPreface(socket, this.options.headersTimeoutMs, (sniffed, isHttp2) => {
          if (isHttp2) {
            this.#acceptHttp2(sniffed, false);
            return;
          }
          this.#accept(sniffed, false);
          // The sniffer paused the socket; the connection reads from here (the bytes put back first).
          if (!sniffed.destroyed) sniffed.resume();
        }),
      );
    } else {
      server = net.createServer({ allowHalfOpen: true, noDelay: true });
      server.on('connection', (socket: net.Socket) => this.#accept(socket, false));
    }
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
    this.#startSweep();
    return server;
  }

  #accept(socket: net.Socket, encrypted: boolean): void {
    if (this.#closing || this.connectionCount >= this.options.maxConnections) {
      // Refused politely: a complete 503, then close; the client is not left hanging.
      socket.on('error', () => socket.destroy());
      // Read and discard what the client sends, so closing does not reset the 503 away.
      socket.resume();
      socket.end('HTTP/1.1 503 Service Unavailable\r\nDate: ' + httpDate() + BUSY_TAIL);
      setTimeout(() => socket.destroy(), this.options.lingerMs).unref();
      return;
    }
    socket.setNoDelay(true);
    this.#connections.add(new Connection(this, socket, encrypted));
  }

  #acceptHttp2(socket: net.Socket, encrypted: boolean): void {
    socket.setNoDelay(true);
    const factory = (this.#sessionFactory ??= createSessionFactory(this.options));
    if (this.#closing || this.connectionCount >= this.options.maxConnections) {
      refuseHttp2(factory, socket);
      return;
    }
    try {
      this.#sessions.add(new Http2Connection(this, factory, socket, encrypted));
    } catch {
      // node:http2 could not start a session on it (the socket died meanwhile): not a crash.
      socket.destroy();
    }
  }

  dispatch(exchange: HttpExchange): void {
    try {
      this.#handler.onRequest(exchange);
    } catch {
      // A handler must not throw; if it does, the exchange cannot be trusted.
      exchange.abort();
    }
  }

  dispatchError(error: ProtocolError, exchange: HttpExchange): void {
    try {
      this.#handler.onProtocolError(error, exchange);
    } catch {
      exchange.abort();
    }
  }

  connectionClosed(connection: Connection): void {
    this.#connections.remove(connection);
    this.#maybeDrained();
  }

  sessionClosed(connection: Http2Connection): void {
    this.#sessions.delete(connection);
    this.#maybeDrained();
  }

  #maybeDrained(): void {
    if (this.connectionCount === 0 && this.#drained.length > 0) {
      const waiters = this.#drained;
      this.#drained = [];
      for (const resolve of waiters) resolve();
    }
  }

  #startSweep(): void {
    if (this.#timer !== null) return;
    const o = this.options;
    const shortest = Math.min(
      o.headersTimeoutMs, o.keepAliveTimeoutMs, o.requestTimeoutMs, o.lingerMs, o.sendTimeoutMs,
      o.bodyIdleTimeoutMs || Infinity, o.minBodyBytesPerSecond > 0 ? o.bodyRateGraceMs || Infinity : Infinity,
    );
    const tick = Math.max(20, Math.min(1000, Math.floor(shortest / 4)));
    this.#timer = setInterval(() => this.#sweep(), tick);
    this.#timer.unref();
  }

  #sweep(): void {
    const now = Date.now();
    const connections = this.#connections;
    // Backwards: a connection removed meanwhile moves the last one, already seen, into its slot.
    for (let i = connections.length - 1; i >= 0; i--) {
      const connection = connections.at(i);
      if (connection !== undefined && connection.deadline !== 0 && connection.deadline <= now) connection.timeout(now);
    }
  }

  /**
   * Stops accepting, closes idle connections, lets in-flight requests finish (their
   * responses close the connection), and after `graceMs` drops whatever is left.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.#closing = true;
    const serversClosed = [...this.#servers].map(
      (server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
    );
    for (const connection of this.#connections.toArray()) connection.shutdown();
    // HTTP/2: GOAWAY, the streams in progress finish.
    for (const session of this.#sessions) session.shutdown();
    if (this.connectionCount > 0) {
      await new Promise<void>((resolve) => {
        // After the grace period the rest is dropped; resolving waits for their 'close' events,
        // so every exchange has seen its abort when close() returns.
        const timer = setTimeout(() => {
          for (const connection of this.#connections.toArray()) connection.socket.destroy();
          for (const session of this.#sessions) session.destroy();
        }, graceMs);
        timer.unref();
        this.#drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await Promise.all(serversClosed);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
