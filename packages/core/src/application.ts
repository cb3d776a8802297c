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
import type { KoaMiddleware } from './koa-middleware.js';
import { HttpEngine, type TlsOptions } from './engine/engine.js';
import type { HttpExchange } from './http-exchange.js';
import { NodeHttpExchange, type NodeServerRequest, type NodeServerResponse } from './node-http-exchange.js';
import type { EngineOptions } from './engine/limits.js';
import { defaultErrorHandler, errorStatus, type ErrorHandler, type HttpErrorLike } from './error-handler.js';
import { coreError, type ProtocolError } from './errors.js';
import { consoleLogger, type Logger } from './logger.js';
import type { ApplicationView, DefaultState } from './object-views.js';
import { validateErrorPages, withErrorPages, type ErrorPages } from './error-pages.js';
import { allowFor, MethodRegistry, notAllowed, notImplemented, traceEcho } from './methods.js';
import { normalizePath, pathAboveRootError } from './path-normalization.js';
import { respond } from './respond.js';
import { addressMatcher, isAddressOrRange, type AddressMatcher } from './proxy-trust.js';
import { kAllowed, kExchange, kHeaders, kRequestClass, kResponseClass, kSeesEveryRequest, kTrustedProxy } from './symbols.js';
import { httpVersionOf } from './http-version.js';
import { Request } from './request.js';
import { Response } from './response.js';

/** What `next` is in a middleware: runs the rest of the chain. */
export type Next = () => Promise<void>;

/**
 * The `ctx` of an `Application<StateT, ContextT>`: a {@link Context} whose `state` is
 * `StateT`, with the app's own context members `ContextT` (those it adds through
 * `app.context`). Members added to every app go into `Context` by module augmentation.
 */
export type ParameterizedContext<StateT = DefaultState, ContextT = {}> = Context & ContextT & { state: StateT };

/**
 * A middleware: Koa's signature.
 * @example
 * const timing: Middleware = async (ctx, next) => {
 *   const start = Date.now();
 *   await next();
 *   ctx.set('Server-Timing', `app;dur=${Date.now() - start}`);
 * };
 */
export type Middleware<StateT = DefaultState, ContextT = {}> = (ctx: ParameterizedContext<StateT, ContextT>, next: Next) => unknown;

/** Options of `new Application()`. */
export interface ApplicationOptions {
  /** Environment name; only 'development' shows stack traces in error pages. Default: NODE_ENV, else 'production' (Koa defaults to 'development'; sluice does not leak stacks unless asked). */
  env?: string;
  /** Keys for signed cookies. */
  keys?: string[];
  /** Trust X-Forwarded-* headers (from `trustedProxies` only, when given). Default false. */
  proxy?: boolean;
  /**
   * With `proxy`, the peers (addresses or CIDR ranges) whose X-Forwarded-* headers are believed;
   * of X-Forwarded-For, the right-most address that is not one of them is the client. Applies to
   * every request, those answered before the middleware (TRACE, `OPTIONS *`) included.
   * Default: any peer (Koa's behaviour).
   */
  trustedProxies?: readonly string[];
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
  /**
   * Replaces the default error renderer: `(error, ctx) => void` sets `ctx.status`,
   * headers and `ctx.body` for thrown errors, unanswered requests (404, 405, 501) and
   * malformed requests the engine refuses.
   */
  errorHandler?: ErrorHandler;
  /**
   * Pages per status or class, over the error renderer: a file path (its extension gives
   * the type) or a function returning (or setting) the body.
   * @example { 404: 'public/404.html', '5xx': (err, ctx) => `<h1>Sorry (${ctx.status})</h1>` }
   */
  errorPages?: ErrorPages;
  /**
   * Send an error page only to clients whose `Accept` prefers its type (HTML for a page
   * function, else the file's) to JSON, or have no `Accept`; others (an API client asking for
   * `application/json`) get the renderer's answer. `false`: pages for every client. Default true.
   */
  negotiateErrorPages?: boolean;
  /** Answer TRACE requests nothing else answered with an echo of the request (credentials left out). Default false: TRACE gets 405. */
  trace?: boolean;
  /** Methods the app implements besides GET, HEAD, POST, PUT, DELETE, PATCH and OPTIONS (same as `app.method(name)`). */
  methods?: string[];
  /** Where diagnostics go. Default: the console (warnings and errors only). */
  logger?: Logger;
  /**
   * Normalise `ctx.path` once, before any middleware runs: `//` merged, `.` and `..`
   * segments removed (also percent-encoded: `%2e`), other encoded unreserved characters
   * decoded; a path climbing above `/` gets 400. Every handler then matches the same path
   * (a CGI or WSGI mount cannot be bypassed with `//cgi-bin/...`). `ctx.originalUrl` keeps
   * what the client sent. Default true; false gives Koa's behaviour (the path as sent).
   */
  normalizePath?: boolean;
}

/** Options of `app.listen()` in object form. */
export interface ListenOptions {
  port?: number;
  host?: string;
  /** Serve HTTPS with these `node:tls` options (key and cert at least). */
  tls?: TlsOptions;
  /**
   * With `tls`: offer HTTP/2 by ALPN (`h2`, then `http/1.1`) on the same port; clients that do
   * not speak it get HTTP/1.1. Default false (as nginx's `http2` and Fastify's `http2`).
   */
  http2?: boolean;
  /**
   * Without `tls`: accept cleartext HTTP/2 with prior knowledge (a connection starting with the
   * HTTP/2 preface) beside HTTP/1.x on the same port. Default false (the preface gets 505).
   */
  h2c?: boolean;
  backlog?: number;
  /** A Unix socket path instead of a port. */
  path?: string;
}

const defaults = {
  proxy: false,
  proxyIpHeader: 'X-Forwarded-For',
  maxIpsCount: 0,
  subdomainOffset: 2,
  bodyLimit: 1024 * 1024,
  negotiateErrorPages: true,
  normalizePath: true,
};


// What each option must be, checked once at construction (the message names the key).
const OPTION_CHECKS: Record<string, [(value: unknown) => boolean, string]> = {
  env: [(v) => typeof v === 'string', 'a string'],
  keys: [(v) => Array.isArray(v) && v.length > 0 && v.every((k) => typeof k === 'string' || Buffer.isBuffer(k)), 'a non-empty array of strings'],
  proxy: [(v) => typeof v === 'boolean', 'a boolean'],
  proxyIpHeader: [(v) => typeof v === 'string' && v.length > 0, 'a header name'],
  trustedProxies: [(v) => Array.isArray(v) && v.every((entry) => typeof entry === 'string' && isAddressOrRange(entry)), 'an array of IP addresses or CIDR ranges'],
  maxIpsCount: [(v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  subdomainOffset: [(v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer'],
  limits: [(v) => typeof v === 'object' && v !== null, 'an object'],
  bodyLimit: [(v) => typeof v === 'number' && v >= 0, 'a non-negative number of bytes'],
  errorHandler: [(v) => typeof v === 'function', 'a function (error, ctx)'],
  errorPages: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object of pages by status'],
  negotiateErrorPages: [(v) => typeof v === 'boolean', 'a boolean'],
  trace: [(v) => typeof v === 'boolean', 'a boolean'],
  methods: [(v) => Array.isArray(v), 'an array of method names'],
  normalizePath: [(v) => typeof v === 'boolean', 'a boolean'],
  logger: [(v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'), 'an object with info, warn and error functions'],
};

function validateOptions(options: ApplicationOptions): void {
  for (const [key, value] of Object.entries(options)) {
    const check = OPTION_CHECKS[key];
    if (check === undefined) throw coreError('BAD_OPTION', `unknown application option "${key}"`);
    if (value !== undefined && !check[0](value)) {
      throw coreError('BAD_OPTION', `application option "${key}" must be ${check[1]}`);
    }
  }
}

const resolvedNext = (): Promise<void> => Promise.resolve();

// Error headers that describe the error response's own body, which the renderer produces (as Koa).
const GENERATED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding']);
// Headers describing a body that an unanswered request's error page replaces (RFC 9110 §8).
const REPRESENTATION_HEADERS = new Set([
  'content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'content-language',
  'content-location', 'content-range', 'content-disposition', 'etag', 'last-modified',
]);

/**
 * A sluice application. `StateT` types `ctx.state`; `ContextT` types what this app adds
 * to its contexts (as Koa's `Application<StateT, ContextT>`).
 *
 * @example
 * const app = new Application();
 * app.use(async (ctx) => { ctx.body = 'Hello'; });
 * app.listen(8080);
 * @example
 * interface State { user?: { name: string } }
 * const app = new Application<State>();
 * app.use(async (ctx) => { ctx.body = ctx.state.user?.name ?? 'anonymous'; });
 */
export class Application<StateT = DefaultState, ContextT = {}> extends EventEmitter implements ApplicationView {
  /** The middleware, in order (typed loosely: an app of any state type is an `Application`). */
  readonly middleware: Array<Middleware<any, any>> = [];
  env: string;
  keys: string[] | undefined;
  proxy: boolean;
  proxyIpHeader: string;
  maxIpsCount: number;
  readonly #trustedProxy: AddressMatcher | undefined;
  subdomainOffset: number;
  bodyLimit: number;
  logger: Logger;
  /** The error renderer in use (with `errorPages` layered over it, if given). */
  errorHandler: ErrorHandler;
  /** Whether TRACE is answered (see the `trace` option). */
  readonly trace: boolean;
  /** Whether request paths are normalised before the middleware (see the `normalizePath` option). */
  readonly normalizePath: boolean;
  readonly #methods = new MethodRegistry();
  // Middleware that also see requests answered without the chain (see kSeesEveryRequest).
  readonly #observers: Array<Middleware<any, any>> = [];
  readonly #engine: HttpEngine;
  readonly #Context: new (app: Application<any, any>, exchange: HttpExchange) => Context;
  /** This app's request and response classes (subclasses, so `app.request.x = ...` stays per app). */
  readonly [kRequestClass]: typeof Request = class AppRequest extends Request {};
  readonly [kResponseClass]: typeof Response = class AppResponse extends Response {};
  #composed: ((ctx: Context) => Promise<void>) | null = null;

  constructor(options: ApplicationOptions = {}) {
    super();
    validateOptions(options);
    this.env = options.env ?? process.env.NODE_ENV ?? 'production';
    this.keys = options.keys;
    this.proxy = options.proxy ?? defaults.proxy;
    this.proxyIpHeader = options.proxyIpHeader ?? defaults.proxyIpHeader;
    this.#trustedProxy = options.trustedProxies === undefined ? undefined : addressMatcher(options.trustedProxies);
    this.maxIpsCount = options.maxIpsCount ?? defaults.maxIpsCount;
    this.subdomainOffset = options.subdomainOffset ?? defaults.subdomainOffset;
    this.bodyLimit = options.bodyLimit ?? defaults.bodyLimit;
    this.logger = options.logger ?? consoleLogger;
    this.errorHandler = options.errorHandler ?? defaultErrorHandler;
    if (options.errorPages !== undefined) {
      this.errorHandler = withErrorPages(validateErrorPages(options.errorPages), this.errorHandler, options.negotiateErrorPages ?? defaults.negotiateErrorPages);
    }
    this.trace = options.trace ?? false;
    this.normalizePath = options.normalizePath ?? defaults.normalizePath;
    if (this.trace) this.#methods.add('TRACE');
    for (const name of options.methods ?? []) this.#methods.add(name);
    // The engine's callbacks stay private: an adapter, not public methods of the app.
    this.#engine = new HttpEngine({
      onRequest: (exchange) => this.#onRequest(exchange),
      onProtocolError: (error, exchange) => this.#onProtocolError(error, exchange),
    }, options.limits);
    // A subclass per app, so `app.context.x = ...` extends this app's contexts only.
    this.#Context = class AppContext extends Context {};
  }

  /**
   * Whether X-Forwarded-* headers from a peer at `address` are believed: `proxy` is on and the
   * address is one of `trustedProxies` (any address when that option is not given).
   */
  trustsProxy(address: string): boolean {
    return this.proxy && (this.#trustedProxy === undefined || this.#trustedProxy(address));
  }

  /** The `trustedProxies` matcher, if the option was given (for `ctx.ips`: where a forwarded chain stops). */
  get [kTrustedProxy](): AddressMatcher | undefined {
    return this.#trustedProxy;
  }

  /** Prototype of this app's contexts: properties added here appear on every `ctx`. */
  get context(): Context & ContextT {
    return this.#Context.prototype as Context & ContextT;
  }

  /** Prototype of this app's `ctx.request` objects: properties added here appear on every one. */
  get request(): Request {
    return this[kRequestClass].prototype;
  }

  /** Prototype of this app's `ctx.response` objects: properties added here appear on every one. */
  get response(): Response {
    return this[kResponseClass].prototype;
  }

  /** The engine's resolved limits. */
  get limits(): Readonly<EngineOptions> {
    return this.#engine.options;
  }

  /**
   * Adds a middleware at the end of the chain: a sluice middleware, or one written for Koa
   * (`@koa/cors`, `koa-bodyparser`, `@koa/router`'s `routes()`), checked against the
   * Koa view of `ctx` (see the README's TypeScript section).
   */
  use(fn: Middleware<StateT, ContextT>): this;
  use<KoaFn extends (ctx: any, next: Next) => unknown>(fn: KoaFn & KoaMiddleware<StateT, ContextT, Parameters<KoaFn>[0]>): this;
  use(fn: Middleware<StateT, ContextT>): this {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    this.middleware.push(fn);
    if ((fn as Middleware<StateT, ContextT> & { [kSeesEveryRequest]?: boolean })[kSeesEveryRequest] === true) this.#observers.push(fn);
    this.#composed = null;
    return this;
  }

  /**
   * Declares that the app implements the method `name` (a case-sensitive token such as
   * `PURGE`, `PROPFIND`, `BREW`), and adds `middleware` that runs only for requests with
   * that method, at this point of the chain. Without any `app.method()`, a request whose
   * method nothing answers gets 501; with it, the method is part of `Allow` on `OPTIONS *`.
   * @example
   * app.method('PURGE', async (ctx) => {
   *   cache.delete(ctx.path);
   *   ctx.status = 204;
   * });
   */
  method(name: string, ...middleware: Array<Middleware<StateT, ContextT>>): this {
    this.#methods.add(name);
    for (const fn of middleware) if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    if (middleware.length > 0) {
      const chain = compose(middleware as compose.Middleware<Context>[]);
      this.use(function methodMiddleware(ctx: Context, next: Next) {
        return ctx.method === name ? chain(ctx, next) : next();
      });
    }
    return this;
  }

  /** The methods the app implements, in the order they were added. */
  get methods(): string[] {
    return this.#methods.list();
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
    const server = this.#engine.createServer(options.tls, { http2: options.http2, h2c: options.h2c });
    if (options.path !== undefined) server.listen(options.path, cb);
    else server.listen({ port: options.port ?? 0, host: options.host, backlog: options.backlog }, cb);
    return server;
  }

  /**
   * A `(req, res)` handler for `node:http`, `node:https` and `node:http2`'s compatibility
   * API (`http2.createSecureServer(options, app.callback())`): the same middleware, ctx and
   * error handling as `app.listen()`, for mounting the app in an existing Node server,
   * serverless adapters, or `supertest`. Node's server parses and frames: its own limits
   * apply instead of `limits`, only methods Node's parser knows reach the app, and
   * `ctx.respondRaw()` is refused with 501. The promise resolves when the response has
   * been handed over (or the client left).
   * @example
   * http.createServer(app.callback()).listen(8080);
   * await request(app.callback()).get('/').expect(200);   // supertest
   */
  callback(): (req: NodeServerRequest, res: NodeServerResponse) => Promise<void> {
    return (req, res) => {
      const exchange = new NodeHttpExchange(req, res);
      const done = new Promise<void>((resolve) => {
        exchange.onFinish(resolve);
        exchange.onClose(resolve);
      });
      void this.#handle(new this.#Context(this, exchange));
      return done;
    };
  }

  /**
   * Stops accepting connections, lets requests in flight finish (up to `graceMs`, default
   * 10 s), closes idle keep-alive connections, then resolves. First emits `'closing'` with
   * `graceMs`: whoever holds connections taken over with `ctx.takeover()` (WebSockets,
   * tunnels) ends them politely then; those still open when the grace period ends are destroyed.
   * @example
   * app.on('closing', () => { for (const ws of sockets) ws.close(1001, 'server shutting down'); });
   */
  close(graceMs = 10_000): Promise<void> {
    try {
      this.emit('closing', graceMs);
    } catch (error) {
      // A listener failing must not keep the server open.
      this.logger.error(`a 'closing' listener threw: ${(error as Error)?.stack ?? String(error)}`);
    }
    return this.#engine.close(graceMs);
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.#engine.connectionCount;
  }

  // ---- engine callbacks ----------------------------------------------------------

  #onRequest(exchange: HttpExchange): void {
    void this.#handle(new this.#Context(this, exchange));
  }

  async #handle(ctx: Context): Promise<void> {
    // One function with an outer guard rather than a wrapper: no extra promise per request.
    try {
      const method = ctx.method;
      // Refused before any middleware runs: TRACE echoes credentials (cross-site tracing),
      // and `OPTIONS *` names the server, not a resource a middleware could serve.
      if (method === 'TRACE' && !this.trace) {
        this.#observe(ctx);
        await this.handleError(notAllowed(method, this.#methods.allowAll), ctx, false);
        return;
      }
      if (method === 'OPTIONS' && ctx.url === '*') {
        this.#observe(ctx);
        this.#answerOptions(ctx, this.#methods.allowAll);
        return;
      }
      if (this.normalizePath) {
        const path = ctx.path;
        const normal = normalizePath(path);
        if (normal === null) {
          // Refused before the chain, as a malformed request is: the access log still sees it.
          this.#observe(ctx);
          await this.handleError(pathAboveRootError(), ctx, false);
          return;
        }
        if (normal !== path) ctx.path = normal;
      }
      try {
        await this.dispatch(ctx);
      } catch (error) {
        await this.handleError(error, ctx);
        return;
      }
      const response = ctx.response;
      if (ctx.respond && response.body === undefined && response.status === 404 && !response.explicitStatus && !ctx.headerSent) {
        await this.#unanswered(ctx);
        return;
      }
      try {
        respond(ctx);
      } catch (error) {
        await this.handleError(error, ctx);
      }
    } catch (error) {
      // Last resort: sluice's own answering failed. The process must not die of an
      // unhandled rejection: log, drop this response.
      this.logger.error(`failed to answer a request: ${(error as Error)?.stack ?? String(error)}`, { method: ctx.method, url: ctx.url });
      this.#abandon(ctx);
    }
  }

  /**
   * Nothing in the chain answered. In this order: a method nobody implements → 501;
   * OPTIONS → 204 with `Allow`; TRACE (when on) → the echo; a method the resource did
   * not declare with `ctx.allow()` → 405; otherwise 404. Errors go through the renderer,
   * keeping the headers middleware set (CORS, Vary, cookies), as Koa's 404 does: nothing failed.
   */
  async #unanswered(ctx: Context): Promise<void> {
    const method = ctx.method;
    if (!this.#methods.has(method)) {
      await this.#render(notImplemented(method, this.#methods), ctx, false, true);
      return;
    }
    const declared = ctx[kAllowed];
    if (method === 'OPTIONS') {
      this.#answerOptions(ctx, declared === undefined ? this.#methods.allowAll : allowFor(declared));
      return;
    }
    if (method === 'TRACE') {
      const request = ctx[kExchange].request;
      ctx.type = 'message/http';
      ctx.body = traceEcho(request.method, request.target, httpVersionOf(request), ctx.request.rawHeaders);
      respond(ctx);
      return;
    }
    if (declared !== undefined && !declared.includes(method) && !(method === 'HEAD' && declared.includes('GET'))) {
      await this.#render(notAllowed(method, allowFor(declared)), ctx, false, true);
      return;
    }
    await this.#render(createError(404), ctx, false, true);
  }

  #answerOptions(ctx: Context, allow: string): void {
    ctx.set('Allow', allow);
    ctx.status = 204;
    respond(ctx);
  }

  #onProtocolError(error: ProtocolError, exchange: HttpExchange): void {
    const ctx = new this.#Context(this, exchange);
    this.emit('clientError', error, ctx);
    this.#observe(ctx);
    this.handleError(error, ctx, false).catch((failure: unknown) => {
      this.logger.error(`failed to answer a refused request: ${String(failure)}`);
      this.#abandon(ctx);
    });
  }

  /** Lets the observing middleware (the access log) see a request the chain will not run for. */
  #observe(ctx: Context): void {
    for (const observer of this.#observers) {
      try {
        void Promise.resolve(observer(ctx, resolvedNext)).catch(() => {});
      } catch {
        // An observer failing must not stop the answer.
      }
    }
  }

  /**
   * Turns an error into a response: resets headers, applies the error's status and
   * headers, runs the error renderer, sends. After the head was sent, aborts the
   * connection instead. Emits 'error' (for logging) unless `report` is false.
   */
  async handleError(thrown: unknown, ctx: Context, report = true): Promise<void> {
    return this.#render(thrown, ctx, report, false);
  }

  /** `handleError`; `keepHeaders` keeps what middleware set but the representation headers. */
  async #render(thrown: unknown, ctx: Context, report: boolean, keepHeaders: boolean): Promise<void> {
    const error: HttpErrorLike = thrown instanceof Error ? thrown : new Error(`non-error thrown: ${inspect(thrown)}`);
    const exchange = ctx[kExchange];
    if (report) this.#report(error, ctx);
    if (exchange.headersSent || exchange.finished) {
      this.#abandon(ctx);
      return;
    }
    const headers = ctx.response[kHeaders];
    ctx.respond = true;
    const status = errorStatus(error);
    try {
      this.#resetHeaders(ctx, error, keepHeaders);
      ctx.status = status;
      await this.errorHandler(error, ctx);
    } catch (renderError) {
      // The renderer itself failed: fall back to the default one.
      this.#report(renderError instanceof Error ? renderError : new Error(String(renderError)), ctx);
      for (const key of Object.keys(headers)) delete headers[key];
      ctx.status = status;
      defaultErrorHandler(error, ctx);
    }
    if (exchange.headersSent || exchange.finished) {
      // The renderer wrote through ctx.res itself (or the client left meanwhile).
      if (!exchange.finished) this.#abandon(ctx);
      return;
    }
    try {
      respond(ctx);
    } catch {
      this.#abandon(ctx);
    }
  }

  /**
   * Clears what the failed response had set (only its representation headers when
   * `keepHeaders`), then applies the error's own headers.
   */
  #resetHeaders(ctx: Context, error: HttpErrorLike, keepHeaders: boolean): void {
    const headers = ctx.response[kHeaders];
    for (const key of Object.keys(headers)) if (!keepHeaders || REPRESENTATION_HEADERS.has(key)) delete headers[key];
    const own = error.headers;
    if (own === undefined || own === null || typeof own !== 'object') return;
    for (const name of Object.keys(own)) {
      if (GENERATED_HEADERS.has(name.toLowerCase())) continue;
      try {
        ctx.set(name, own[name]);
      } catch {
        // An error header that is not a valid field (CR/LF...) is dropped, not sent.
      }
    }
  }

  /** Drops a response whose head was already sent; the exchange tells whoever waits for its end. */
  #abandon(ctx: Context): void {
    ctx[kExchange].abort();
  }

  #report(error: HttpErrorLike, ctx: Context): void {
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', error, ctx);
      } catch (listenerError) {
        // A logging bug must not cost the client its answer.
        this.logger.error(`an 'error' listener threw: ${(listenerError as Error)?.stack ?? String(listenerError)}`);
      }
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
