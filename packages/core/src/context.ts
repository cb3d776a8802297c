/**
 * `ctx`: what every middleware receives. Koa's context: the request and response
 * objects, the properties delegated to them, `state`, `throw`/`assert`, and the
 * Node-style `req`/`res` adapters for Koa middleware. Must never touch a socket.
 */

import type { ParsedUrlQuery } from 'node:querystring';
import type { Readable } from 'node:stream';
import { inspect, isDeepStrictEqual } from 'node:util';
import type Cookies from 'cookies';
import createError from 'http-errors';
import type { Body } from './body-types.js';
import type { ConnectionInfo, HttpExchange, TakenConnection } from './http-exchange.js';
import { createCookies } from './cookies.js';
import { coreError } from './errors.js';
import { checkMethodName } from './methods.js';
import { createNodeRequest, createNodeResponse, type NodeRequest, type NodeResponse } from './node-adapters.js';
import type { ApplicationView, DefaultState } from './object-views.js';
import type { Request } from './request.js';
import type { HeaderValue } from './response-head.js';
import type { Response } from './response.js';
import { kAllowed, kExchange, kRequestClass, kResponseClass } from './symbols.js';

/**
 * What a context needs of the application that makes it: the view every object gets
 * (`ctx.app`), and the app's own request and response classes.
 */
export interface ContextMaker extends ApplicationView {
  readonly [kRequestClass]: typeof Request;
  readonly [kResponseClass]: typeof Response;
}

/** What `ctx.throw()` and `ctx.assert()` take after the condition: status, message, properties or an error. */
export type HttpErrorArgument = number | string | Error | Record<string, unknown>;

/**
 * `ctx.assert`: throws an HTTP error unless the condition holds. Not declared as a
 * TypeScript assertion: TS2775 would refuse it on a contextually typed `ctx`, i.e. in
 * every inline middleware.
 */
export interface HttpAssert {
  (value: unknown, ...args: HttpErrorArgument[]): void;
  ok(value: unknown, ...args: HttpErrorArgument[]): void;
  equal(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
  notEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
  strictEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
  notStrictEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
  deepEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
  notDeepEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void;
}

function fail(args: HttpErrorArgument[]): never {
  throw createError(...(args as Parameters<typeof createError>));
}

const httpAssert: HttpAssert = Object.assign(
  (value: unknown, ...args: HttpErrorArgument[]): void => {
    if (!value) fail(args);
  },
  {
    ok(value: unknown, ...args: HttpErrorArgument[]): void {
      if (!value) fail(args);
    },
    // Loose (==) comparisons are http-assert's and Koa's documented semantics; deepEqual is strict (util.isDeepStrictEqual).
    equal(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (actual != expected) fail(args);
    },
    notEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (actual == expected) fail(args);
    },
    strictEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (actual !== expected) fail(args);
    },
    notStrictEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (actual === expected) fail(args);
    },
    deepEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (!isDeepStrictEqual(actual, expected)) fail(args);
    },
    notDeepEqual(actual: unknown, expected: unknown, ...args: HttpErrorArgument[]): void {
      if (isDeepStrictEqual(actual, expected)) fail(args);
    },
  },
);

/**
 * What every middleware receives: Koa's `ctx`. Request properties are delegated to
 * `ctx.request`, response properties to `ctx.response`; extend all contexts of an
 * app through `app.context`.
 * @example
 * app.use(async (ctx) => {
 *   ctx.assert(ctx.get('Authorization'), 401, 'log in first');
 *   ctx.body = { path: ctx.path, query: ctx.query };
 * });
 */
export class Context {
  /** The application: its settings, logger and events, and `dispatch` to run the chain again. */
  readonly app: ApplicationView;
  /** `ctx.response`: what the middleware record of the response. */
  readonly response: Response;
  /** Set to false to bypass sluice's response handling (you write through `ctx.res`). */
  respond = true;
  readonly [kExchange]: HttpExchange;
  [kAllowed]: string[] | undefined = undefined;
  #request: Request | undefined = undefined;
  #req: NodeRequest | undefined = undefined;
  #res: NodeResponse | undefined = undefined;
  #cookies: Cookies | undefined = undefined;
  #state: DefaultState | undefined = undefined;
  readonly #Request: typeof Request;

  /** @internal */
  constructor(app: ContextMaker, exchange: HttpExchange) {
    this.app = app;
    this[kExchange] = exchange;
    this.#Request = app[kRequestClass];
    this.response = new app[kResponseClass](app, this, exchange);
  }

  /**
   * `ctx.request`. Made on first use: a response that never looks at the request beyond
   * its method (a hello, a static file's fast path) does not pay for the object.
   */
  get request(): Request {
    return (this.#request ??= new this.#Request(this.app, this, this[kExchange]));
  }

  /** The URL as received (rewrites of `ctx.url` do not change it). */
  get originalUrl(): string {
    return this.request.originalUrl;
  }

  /** The request body as a Readable with Node's `headers`, `method`, `url`, `httpVersion` (for Koa middleware). */
  get req(): NodeRequest {
    return (this.#req ??= createNodeRequest(this));
  }

  /** A Node `ServerResponse`-like adapter (`setHeader`, `writeHead`, `write`, `end`, events). */
  get res(): NodeResponse {
    return (this.#res ??= createNodeResponse(this));
  }

  /** Per-request namespace for passing data between middleware (made on first use: a hello request never pays for it). */
  get state(): DefaultState {
    return (this.#state ??= {});
  }

  set state(value: DefaultState) {
    this.#state = value;
  }

  /**
   * Cookies of the request and `Set-Cookie` of the response (the `cookies` package).
   * Signed with `app.keys` when `{ signed: true }` is passed. Built on first use.
   * @example
   * ctx.cookies.set('session', id, { signed: true, httpOnly: true });
   * const id = ctx.cookies.get('session', { signed: true });
   */
  get cookies(): Cookies {
    return (this.#cookies ??= createCookies(this));
  }

  set cookies(value: Cookies) {
    this.#cookies = value;
  }

  /**
   * Declares the methods the current resource supports. If nothing answers the
   * request, sluice then answers 405 with `Allow` for any other method, and an
   * `OPTIONS` request with this list (HEAD follows GET, OPTIONS is always there).
   * @example
   * if (ctx.path === '/report') {
   *   ctx.allow('GET', 'PURGE');
   *   if (ctx.method === 'GET') ctx.body = report;
   * }
   */
  allow(...methods: string[]): void {
    const list = (this[kAllowed] ??= []);
    for (const method of methods) if (!list.includes(method)) list.push(checkMethodName(method));
  }

  /** The methods declared with `allow()` so far (empty if none). */
  get allowed(): readonly string[] {
    return this[kAllowed] ?? [];
  }

  /** True if the client disconnected before the response was finished. */
  get aborted(): boolean {
    return this[kExchange].aborted;
  }

  /** Calls `listener` if the client disconnects before the response is finished. */
  onAbort(listener: () => void): void {
    this[kExchange].onClose(listener);
  }

  /**
   * Throws an HTTP error (http-errors semantics): a status, a message, properties
   * (`expose`, `headers`, `code`...) and/or an existing error, in any order.
   * @example ctx.throw(403, 'not yours', { code: 'APP_FORBIDDEN' })
   */
  throw(...args: HttpErrorArgument[]): never {
    throw createError(...(args as Parameters<typeof createError>));
  }

  /**
   * Throws like `throw()` unless `value` is truthy (http-assert semantics, with its
   * `equal`, `notEqual`, `strictEqual`, `notStrictEqual`, `deepEqual`, `notDeepEqual`, `ok`).
   * @example ctx.assert(ctx.state.user, 401, 'log in first')
   * @example ctx.assert.equal(ctx.query.token, expected, 403)
   */
  declare assert: HttpAssert;

  /**
   * Turns an error into a response through the app's error handling (Koa's
   * `ctx.onerror`); a null or undefined error is ignored, so it can be a callback.
   */
  onerror(error: unknown): void {
    if (error === null || error === undefined) return;
    void this.app.handleError(error, this);
  }

  /**
   * Hands the response to `source` verbatim: its bytes must be a whole HTTP response
   * (status line, headers, body). The connection closes after it. For CGI NPH scripts.
   */
  respondRaw(source: Readable): void {
    this.respond = false;
    this[kExchange].sendRaw(source);
  }

  /**
   * Takes the connection out of HTTP for another protocol: returns the raw socket (a
   * `net.Socket`, or a `tls.TLSSocket` over TLS) and the bytes the client already sent after
   * the request head, which belong to the new protocol. Only for a request that asks for it
   * (HTTP/1.1 with `Upgrade` and `Connection: upgrade`, or `CONNECT`), without a body, before
   * any response was started. The caller writes the answer itself (a `101`, a `200` for a
   * tunnel); sluice sends nothing for this request, and the connection is never read as HTTP
   * again. It still counts toward `limits.maxConnections`, and `app.close()` destroys it after
   * the grace period (listen for the app's `'closing'` event to end it politely first).
   *
   * Throws a coded `SluiceError`: `SLUICE_ERR_TAKEOVER_NOT_REQUESTED`, `..._WITH_BODY`,
   * `..._TOO_LATE`, or `..._UNAVAILABLE` where the transport cannot hand over (`app.callback()`
   * under node:http, an HTTP/2 stream).
   * @example
   * // ws on sluice, unmodified:
   * const wss = new WebSocketServer({ noServer: true });
   * app.use(async (ctx, next) => {
   *   if (ctx.get('Upgrade').toLowerCase() !== 'websocket') return next();
   *   const { socket, head } = ctx.takeover();
   *   wss.handleUpgrade(ctx.req, socket, head, (ws) => ws.send('hello'));
   * });
   */
  takeover(): TakenConnection {
    const exchange = this[kExchange];
    if (exchange.takeover === undefined) throw coreError('TAKEOVER_UNAVAILABLE');
    const taken = exchange.takeover();
    this.respond = false;
    return taken;
  }

  /** A JSON-friendly summary (as Koa's `ctx.toJSON()`). */
  toJSON(): Record<string, unknown> {
    return {
      request: this.request.toJSON(),
      response: this.response.toJSON(),
      app: this.app.toJSON(),
      originalUrl: this.originalUrl,
    };
  }

  /** What `util.inspect` shows: the JSON summary. */
  [inspect.custom](): Record<string, unknown> {
    return this.toJSON();
  }

  /** What `util.inspect` shows (Koa's `ctx.inspect()`): the JSON summary. */
  inspect(): Record<string, unknown> {
    return this.toJSON();
  }

  // ---- delegated to ctx.request ----------------------------------------------------

  // The method is read on every request (sluice's own dispatch): no Request object for it.
  get method(): string { return this.#request === undefined ? this[kExchange].request.method : this.#request.method; }
  set method(value: string) { this.request.method = value; }
  get url(): string { return this.request.url; }
  set url(value: string) { this.request.url = value; }
  get path(): string { return this.request.path; }
  set path(value: string) { this.request.path = value; }
  get querystring(): string { return this.request.querystring; }
  set querystring(value: string) { this.request.querystring = value; }
  get search(): string { return this.request.search; }
  set search(value: string) { this.request.search = value; }
  get query(): ParsedUrlQuery { return this.request.query; }
  set query(value: ParsedUrlQuery) { this.request.query = value; }
  get headers(): Record<string, string | string[]> { return this.request.headers; }
  get header(): Record<string, string | string[]> { return this.request.headers; }
  get host(): string { return this.request.host; }
  get hostname(): string { return this.request.hostname; }
  get origin(): string | null { return this.request.origin; }
  get href(): string { return this.request.href; }
  get URL(): URL { return this.request.URL; }
  get protocol(): string { return this.request.protocol; }
  get secure(): boolean { return this.request.secure; }
  get ip(): string { return this.request.ip; }
  get ips(): string[] { return this.request.ips; }
  get subdomains(): string[] { return this.request.subdomains; }
  get socket(): ConnectionInfo { return this.request.socket; }
  get fresh(): boolean { return this.request.fresh; }
  get stale(): boolean { return this.request.stale; }
  get idempotent(): boolean { return this.request.idempotent; }
  get accept(): Request['accept'] { return this.request.accept; }
  set accept(value: Request['accept']) { this.request.accept = value; }
  get(field: string): string { return this.request.get(field); }
  is(type?: string | string[], ...types: string[]): string | false | null { return this.request.is(type, ...types); }
  accepts(): string[];
  accepts(...types: string[]): string | false;
  accepts(types: string[]): string | false;
  accepts(...types: Array<string | string[]>): string | string[] | false { return this.request.accepts(...(types as string[])); }
  acceptsEncodings(): string[];
  acceptsEncodings(...e: string[]): string | false;
  acceptsEncodings(e: string[]): string | false;
  acceptsEncodings(...e: Array<string | string[]>): string | string[] | false { return this.request.acceptsEncodings(...(e as string[])); }
  acceptsCharsets(): string[];
  acceptsCharsets(...c: string[]): string | false;
  acceptsCharsets(c: string[]): string | false;
  acceptsCharsets(...c: Array<string | string[]>): string | string[] | false { return this.request.acceptsCharsets(...(c as string[])); }
  acceptsLanguages(): string[];
  acceptsLanguages(...l: string[]): string | false;
  acceptsLanguages(l: string[]): string | false;
  acceptsLanguages(...l: Array<string | string[]>): string | string[] | false { return this.request.acceptsLanguages(...(l as string[])); }

  // ---- delegated to ctx.response ------------------------------------------------------

  get status(): number { return this.response.status; }
  set status(code: number) { this.response.status = code; }
  get message(): string { return this.response.message; }
  set message(value: string) { this.response.message = value; }
  get body(): Body { return this.response.body; }
  set body(value: Body) { this.response.body = value; }
  get length(): number | undefined { return this.response.length; }
  set length(n: number | undefined) { this.response.length = n; }
  get type(): string { return this.response.type; }
  set type(value: string) { this.response.type = value; }
  get lastModified(): Date | undefined { return this.response.lastModified; }
  set lastModified(value: Date | string | undefined) { this.response.lastModified = value; }
  get etag(): string { return this.response.etag; }
  set etag(value: string) { this.response.etag = value; }
  get headerSent(): boolean { return this.response.headerSent; }
  get writable(): boolean { return this.response.writable; }
  set(field: string | Record<string, string | number | string[]>, value?: string | number | readonly (string | number)[]): void { this.response.set(field, value); }
  append(field: string, value: string | readonly string[]): void { this.response.append(field, value); }
  remove(field: string): void { this.response.remove(field); }
  has(field: string): boolean { return this.response.has(field); }
  vary(field: string): void { this.response.vary(field); }
  redirect(url: string, alt?: string): void { this.response.redirect(url, alt); }
  back(alt?: string): void { this.response.back(alt); }
  flushHeaders(): void { this.response.flushHeaders(); }
  attachment(filename?: string, options?: Parameters<Response['attachment']>[1]): void { this.response.attachment(filename, options); }
}

/** A response header value as stored (re-exported for middleware typing `ctx.response.get()`). */
export type { HeaderValue };

// On the prototype, not per instance: one function shared by every ctx.
Context.prototype.assert = httpAssert;
