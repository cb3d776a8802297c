/**
 * `Application`: the middleware list, the engine handler that turns each exchange
 * into a `ctx` and runs the koa-compose chain, error handling (one overridable
 * renderer for app errors and engine rejections alike), and listen/close.
 * Must never parse bytes or touch sockets beyond creating servers through the engine.
 */

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { inspect } from 'node:util';
import compose from 'koa-compose';
import createError from 'http-errors';
import { Context } from './context.js';
import { HttpEngine, type EngineHandler, type TlsOptions } from './engine/engine.js';
import type { Exchange } from './engine/exchange.js';
import type { EngineOptions } from './engine/limits.js';
import { defaultErrorHandler, errorStatus, type ErrorHandler, type HttpErrorLike } from './error-handler.js';
import { SluiceError, type ProtocolError } from './errors.js';
import { respond } from './respond.js';
import { kExchange, kHeaders } from './symbols.js';

/** A middleware: Koa's signature. */
export type Middleware<C extends Context = Context> = (ctx: C, next: () => Promise<void>) => unknown;

/** Where diagnostics go (CGI stderr, worker output, unhandled errors). */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Options of `new Application()`. */
export interface ApplicationOptions {
  /** Environment name; only 'development' shows stack traces in error pages. Default: NODE_ENV, else 'production' (Koa defaults to 'development'; sluice does not leak stacks unless asked). */
  env?: string;
  /** Keys for signed cookies. */
  keys?: string[];
  /** Trust X-Forwarded-* headers. Default false. */
  proxy?: boolean;
  /** Header holding client addresses when `proxy` is on. Default 'X-Forwarded-For'. */
  proxyIpHeader?: string;
  /** Most addresses read from `proxyIpHeader` (0 = all). */
  maxIpsCount?: number;
  /** Host labels ignored by `ctx.subdomains`. Default 2. */
  subdomainOffset?: number;
  /** Engine limits and timeouts. */
  limits?: Partial<EngineOptions>;
  /** Default limit of `ctx.request.buffer()/text()/json()`, in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Replaces the default error renderer. */
  errorHandler?: ErrorHandler;
  /** Where diagnostics go. Default: the console (warnings and errors only). */
  logger?: Logger;
}

/** Options of `app.listen()` in object form. */
export interface ListenOptions {
  port?: number;
  host?: string;
  /** Serve HTTPS with these `node:tls` options (key and cert at least). */
  tls?: TlsOptions;
  backlog?: number;
  /** A Unix socket path instead of a port. */
  path?: string;
}

const consoleLogger: Logger = {
  info: () => {},
  warn: (message, meta) => console.warn(`[sluice] ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`[sluice] ${message}`, meta ?? ''),
};

const defaults = {
  proxy: false,
  proxyIpHeader: 'X-Forwarded-For',
  maxIpsCount: 0,
  subdomainOffset: 2,
  bodyLimit: 1024 * 1024,
};

const KNOWN_OPTIONS = new Set([
  'env', 'keys', 'proxy', 'proxyIpHeader', 'maxIpsCount', 'subdomainOffset', 'limits', 'bodyLimit', 'errorHandler', 'logger',
]);

/**
 * A sluice application.
 *
 * @example
 * const app = new Application();
 * app.use(async (ctx) => { ctx.body = 'Hello'; });
 * app.listen(8080);
 */
export class Application extends EventEmitter implements EngineHandler {
  /** The middleware, in order. */
  readonly middleware: Middleware[] = [];
  env: string;
  keys: string[] | undefined;
  proxy: boolean;
  proxyIpHeader: string;
  maxIpsCount: number;
  subdomainOffset: number;
  bodyLimit: number;
  logger: Logger;
  /** The error renderer in use. */
  errorHandler: ErrorHandler;
  readonly #engine: HttpEngine;
  readonly #Context: new (app: Application, exchange: Exchange) => Context;
  #composed: ((ctx: Context) => Promise<void>) | null = null;

  constructor(options: ApplicationOptions = {}) {
    super();
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) throw new SluiceError(500, 'SLUICE_ERR_BAD_OPTION', `unknown application option "${key}"`, { expose: false });
    }
    this.env = options.env ?? process.env.NODE_ENV ?? 'production';
    this.keys = options.keys;
    this.proxy = options.proxy ?? defaults.proxy;
    this.proxyIpHeader = options.proxyIpHeader ?? defaults.proxyIpHeader;
    this.maxIpsCount = options.maxIpsCount ?? defaults.maxIpsCount;
    this.subdomainOffset = options.subdomainOffset ?? defaults.subdomainOffset;
    this.bodyLimit = options.bodyLimit ?? defaults.bodyLimit;
    this.logger = options.logger ?? consoleLogger;
    this.errorHandler = options.errorHandler ?? defaultErrorHandler;
    this.#engine = new HttpEngine(this, options.limits);
    // A subclass per app, so `app.context.x = ...` extends this app's contexts only.
    this.#Context = class AppContext extends Context {};
  }

  /** Prototype of this app's contexts: properties added here appear on every `ctx`. */
  get context(): Context {
    return this.#Context.prototype;
  }

  /** The engine's resolved limits. */
  get limits(): Readonly<EngineOptions> {
    return this.#engine.options;
  }

  /** Adds a middleware at the end of the chain. */
  use(fn: Middleware): this {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    this.middleware.push(fn);
    this.#composed = null;
    return this;
  }

  /** Runs the whole middleware chain on `ctx` (for internal re-dispatch, e.g. CGI local redirects). */
  dispatch(ctx: Context): Promise<void> {
    const fn = (this.#composed ??= compose(this.middleware as compose.Middleware<Context>[]));
    return fn(ctx);
  }

  /**
   * Starts listening. Accepts Node's `(port, host, callback)` or `({ port, host, tls }, callback)`.
   * Returns the `net.Server` (a `tls.Server` with `tls`); call `app.close()` to stop gracefully.
   */
  listen(port?: number | ListenOptions, host?: string | (() => void), callback?: () => void): net.Server {
    const options: ListenOptions = typeof port === 'object' ? port : { port, host: typeof host === 'string' ? host : undefined };
    const cb = typeof host === 'function' ? host : callback;
    const server = this.#engine.createServer(options.tls);
    if (options.path !== undefined) server.listen(options.path, cb);
    else server.listen({ port: options.port ?? 0, host: options.host, backlog: options.backlog }, cb);
    return server;
  }

  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`),
   * closes idle keep-alive connections, then resolves.
   */
  close(graceMs?: number): Promise<void> {
    return this.#engine.close(graceMs);
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.#engine.connectionCount;
  }

  // ---- EngineHandler -------------------------------------------------------------

  onRequest(exchange: Exchange): void {
    void this.#handle(new this.#Context(this, exchange));
  }

  async #handle(ctx: Context): Promise<void> {
    try {
      await this.dispatch(ctx);
    } catch (error) {
      await this.handleError(error, ctx);
      return;
    }
    // Nothing answered: a 404 that goes through the error renderer (custom 404 pages).
    const response = ctx.response;
    if (ctx.respond && response.body === undefined && response.status === 404 && !response.explicitStatus && !ctx.headerSent) {
      await this.handleError(createError(404), ctx, false);
      return;
    }
    try {
      respond(ctx);
    } catch (error) {
      await this.handleError(error, ctx);
    }
  }

  onProtocolError(error: ProtocolError, exchange: Exchange): void {
    const ctx = new this.#Context(this, exchange);
    this.emit('clientError', error, ctx);
    void this.handleError(error, ctx, false);
  }

  /**
   * Turns an error into a response: resets headers, applies the error's status and
   * headers, runs the error renderer, sends. After the head was sent, aborts the
   * connection instead. Emits 'error' (for logging) unless `report` is false.
   */
  async handleError(thrown: unknown, ctx: Context, report = true): Promise<void> {
    const error: HttpErrorLike = thrown instanceof Error ? thrown : new Error(`non-error thrown: ${inspect(thrown)}`);
    const exchange = ctx[kExchange];
    if (report) this.#report(error, ctx);
    if (exchange.headersSent || exchange.finished) {
      exchange.abort();
      return;
    }
    const headers = ctx.response[kHeaders];
    for (const key of Object.keys(headers)) delete headers[key];
    ctx.respond = true;
    const status = errorStatus(error);
    try {
      if (error.headers) ctx.set(error.headers);
      ctx.status = status;
      await this.errorHandler(error, ctx);
    } catch (renderError) {
      // The renderer itself failed: fall back to the default one.
      this.#report(renderError instanceof Error ? renderError : new Error(String(renderError)), ctx);
      for (const key of Object.keys(headers)) delete headers[key];
      ctx.status = status;
      defaultErrorHandler(error, ctx);
    }
    try {
      respond(ctx);
    } catch {
      exchange.abort();
    }
  }

  #report(error: HttpErrorLike, ctx: Context): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error, ctx);
      return;
    }
    const status = errorStatus(error);
    if (status >= 500) this.logger.error(error.stack ?? String(error), { method: ctx.method, url: ctx.url });
  }

  /** A JSON-friendly summary (as Koa's `app.toJSON()`). */
  toJSON(): Record<string, unknown> {
    return { subdomainOffset: this.subdomainOffset, proxy: this.proxy, env: this.env };
  }
}
