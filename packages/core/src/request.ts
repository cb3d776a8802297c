/**
 * `ctx.request`: Koa's request API over an engine exchange — URL parts, headers,
 * negotiation helpers, proxy-aware addresses, and bounded body readers.
 * Must never write a response or touch a socket.
 */

import { parse as parseQuery, stringify as stringifyQuery, type ParsedUrlQuery } from 'node:querystring';
import type { Readable } from 'node:stream';
import { inspect } from 'node:util';
import accepts from 'accepts';
import fresh from 'fresh';
import typeis from 'type-is';
import type { ConnectionInfo, HttpExchange } from './http-exchange.js';
import { coreError, protocolErrorRegistry, SluiceError } from './errors.js';
import type { NodeRequest, NodeResponse } from './node-adapters.js';
import type { ApplicationView, ContextView, RequestBasics } from './object-views.js';
import { forwardedAddresses } from './proxy-trust.js';
import type { Response } from './response.js';
import { kExchange, kTrustedProxy } from './symbols.js';
import { httpVersionOf } from './http-version.js';

/** Options of the body readers. */
export interface BodyReadOptions {
  /** Largest body accepted, in bytes; more → 413. Defaults to the app's `bodyLimit`. */
  limit?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/**
 * `ctx.request`: Koa's request object over the engine's parsed request. Most of it is
 * also reachable on `ctx` directly (`ctx.path` is `ctx.request.path`).
 * @example
 * const data = ctx.is('json') ? await ctx.request.json() : await ctx.request.text({ limit: 4096 });
 */
export class Request implements RequestBasics {
  /** The application (`ctx.app`). */
  readonly app: ApplicationView;
  /** The context this request belongs to. */
  readonly ctx: ContextView<Request, Response>;
  readonly [kExchange]: HttpExchange;
  /** The URL as first received; not changed by rewrites. */
  readonly originalUrl: string;
  #method: string;
  #url: string;
  #path: string | undefined = undefined;
  #querystring: string | undefined = undefined;
  #query: ParsedUrlQuery | undefined = undefined;
  #headers: Record<string, string | string[]> | undefined = undefined;
  #accept: accepts.Accepts | undefined = undefined;
  #ip: string | undefined = undefined;
  #parsedUrl: URL | undefined = undefined;
  #bodyRead = false;
  /** Free for body-parsing middleware to fill, as in Koa. */
  body: unknown = undefined;

  constructor(app: ApplicationView, ctx: ContextView<Request, Response>, exchange: HttpExchange) {
    this.app = app;
    this.ctx = ctx;
    this[kExchange] = exchange;
    this.#method = exchange.request.method;
    this.#url = originUrl(exchange.request.target);
    this.originalUrl = this.#url;
  }

  // ---- headers -------------------------------------------------------------

  /** Request headers, lowercased names; repeated fields joined with ", " (set-cookie kept as an array). */
  get headers(): Record<string, string | string[]> {
    if (this.#headers === undefined) {
      const out: Record<string, string | string[]> = Object.create(null);
      this[kExchange].request.forEachHeader((name, value) => {
        const prev = out[name];
        if (prev === undefined) out[name] = name === 'set-cookie' ? [value] : value;
        else if (Array.isArray(prev)) prev.push(value);
        else out[name] = name === 'cookie' ? prev + '; ' + value : prev + ', ' + value;
      });
      this.#headers = out;
    }
    return this.#headers;
  }

  set headers(value: Record<string, string | string[]>) {
    this.#headers = value;
  }

  /** Alias of `headers`, as in Koa. */
  get header(): Record<string, string | string[]> {
    return this.headers;
  }

  /**
   * Calls `visit` with each request header: lowercased name and value. While nothing has read or
   * replaced `headers`, these are the fields as received, in order, a repeated field once per line
   * (so a caller that needs one value per name joins them); after that, the entries of `headers`,
   * with what middleware changed there. Lets a gateway (CGI, WSGI) copy every header without
   * building the `headers` object.
   * @example
   * ctx.request.forEachHeader((name, value) => console.log(name, value));
   */
  forEachHeader(visit: (name: string, value: string | string[]) => void): void {
    const headers = this.#headers;
    if (headers === undefined) {
      this[kExchange].request.forEachHeader(visit);
      return;
    }
    for (const name in headers) visit(name, headers[name]);
  }

  /** Raw header names and values as received, alternating, as Node's `rawHeaders`. */
  get rawHeaders(): string[] {
    return [...this[kExchange].request.rawHeaders];
  }

  /**
   * A request header's value ('' when absent). `Referer` and `Referrer` are interchangeable.
   * @example ctx.get('Content-Type')
   */
  get(field: string): string {
    const name = field.toLowerCase();
    return this.#field(name === 'referrer' ? 'referer' : name);
  }

  /** `get()` for a name already in lower case (no lowercased copy per call on hot paths). */
  #field(name: string): string {
    if (this.#headers !== undefined) {
      const value = this.#headers[name];
      return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value;
    }
    // Ask the request directly: cheaper than building the header object for one field.
    return this[kExchange].request.header(name) ?? '';
  }

  // ---- method and URL -------------------------------------------------------

  get method(): string {
    return this.#method;
  }

  set method(value: string) {
    this.#method = value;
  }

  /** Request URL (path and query), settable for rewrites. */
  get url(): string {
    return this.#url;
  }

  set url(value: string) {
    this.#url = value;
    this.#path = undefined;
    this.#querystring = undefined;
    this.#query = undefined;
  }

  #splitUrl(): void {
    const url = this.#url;
    const q = url.indexOf('?');
    this.#path = q === -1 ? url : url.slice(0, q);
    this.#querystring = q === -1 ? '' : url.slice(q + 1);
  }

  /** Path name of the URL, still percent-encoded (as Koa). */
  get path(): string {
    if (this.#path === undefined) this.#splitUrl();
    return this.#path as string;
  }

  set path(value: string) {
    const qs = this.querystring;
    this.url = qs ? `${value}?${qs}` : value;
  }

  /** Query string without the `?`. */
  get querystring(): string {
    if (this.#querystring === undefined) this.#splitUrl();
    return this.#querystring as string;
  }

  set querystring(value: string) {
    const path = this.path;
    this.url = value ? `${path}?${value}` : path;
  }

  /** Query string with its `?`, or ''. */
  get search(): string {
    const qs = this.querystring;
    return qs ? `?${qs}` : '';
  }

  set search(value: string) {
    this.querystring = value.startsWith('?') ? value.slice(1) : value;
  }

  /** Parsed query string. */
  get query(): ParsedUrlQuery {
    if (this.#query === undefined) this.#query = parseQuery(this.querystring);
    return this.#query;
  }

  set query(value: ParsedUrlQuery) {
    this.querystring = stringifyQuery(value);
  }

  // ---- connection, host, protocol --------------------------------------------

  /** Addresses of the connection (remote and local address and port, TLS or not). */
  get socket(): ConnectionInfo {
    return this[kExchange].connection;
  }

  /** Whether this request's peer is a proxy whose X-Forwarded-* headers are believed (`app.proxy`, `trustedProxies`). */
  get fromTrustedProxy(): boolean {
    return this.app.trustsProxy(this[kExchange].connection.remoteAddress);
  }

  /** `http` or `https`; with `app.proxy`, X-Forwarded-Proto from a trusted proxy wins. */
  get protocol(): string {
    if (this[kExchange].connection.encrypted) return 'https';
    if (!this.fromTrustedProxy) return 'http';
    const proto = this.get('X-Forwarded-Proto');
    return proto ? proto.split(/\s*,\s*/, 1)[0] : 'http';
  }

  /** True over HTTPS. */
  get secure(): boolean {
    return this.protocol === 'https';
  }

  /** Host (hostname:port) from Host, or X-Forwarded-Host when `app.proxy` is on. */
  get host(): string {
    let host = this.fromTrustedProxy ? this.#field('x-forwarded-host') : '';
    if (host) host = host.split(/\s*,\s*/, 1)[0];
    if (!host) host = this.#field('host');
    if (!host) {
      const target = this[kExchange].request.target;
      const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(target);
      host = m ? m[1] : '';
    }
    return host;
  }

  /** Host without the port. */
  get hostname(): string {
    const host = this.host;
    if (!host) return '';
    if (host[0] === '[') return host.slice(0, host.indexOf(']') + 1);
    const colon = host.indexOf(':');
    return colon === -1 ? host : host.slice(0, colon);
  }

  /** The request's `Origin` header, or null (Koa 3; Koa 2 returned `protocol://host`, which is `new URL(ctx.href).origin`). */
  get origin(): string | null {
    return this.get('Origin') || null;
  }

  /** Full URL: the target if it was absolute, else `protocol://host` and the original URL. */
  get href(): string {
    const original = this.originalUrl;
    return /^https?:\/\//i.test(original) ? original : `${this.protocol}://${this.host}${original}`;
  }

  /** A WHATWG URL of the request (an empty object if it cannot be parsed, as Koa). Made once. */
  get URL(): URL {
    if (this.#parsedUrl === undefined) {
      try {
        this.#parsedUrl = new URL(this.href);
      } catch {
        this.#parsedUrl = Object.create(null) as URL;
      }
    }
    return this.#parsedUrl;
  }

  /**
   * Client addresses from X-Forwarded-For (with `app.proxy`, from a trusted proxy), closest proxy
   * last: only entries that parse as IP addresses, cut at the client (see `trustedProxies`).
   */
  get ips(): string[] {
    if (!this.fromTrustedProxy) return [];
    const value = this.get(this.app.proxyIpHeader);
    let ips = value ? forwardedAddresses(value, this.app[kTrustedProxy]) : [];
    if (this.app.maxIpsCount > 0) ips = ips.slice(-this.app.maxIpsCount);
    return ips;
  }

  /** The client address: first of `ips` when proxied, else the socket's peer. Settable, as in Koa. */
  get ip(): string {
    if (this.#ip === undefined) {
      const ips = this.ips;
      this.#ip = ips.length > 0 ? ips[0] : this[kExchange].connection.remoteAddress;
    }
    return this.#ip;
  }

  set ip(value: string) {
    this.#ip = value;
  }

  /** Subdomains, most specific last being dropped by `app.subdomainOffset`. */
  get subdomains(): string[] {
    const hostname = this.hostname;
    if (!hostname || /^[\d.]+$|^\[/.test(hostname)) return [];
    return hostname.split('.').reverse().slice(this.app.subdomainOffset);
  }

  /** HTTP version as "1.0", "1.1" or "2.0". */
  get httpVersion(): string {
    return httpVersionOf(this[kExchange].request);
  }

  // ---- representation ---------------------------------------------------------

  /** Content-Length as a number, or undefined. */
  get length(): number | undefined {
    const len = this[kExchange].request.contentLength;
    return len >= 0 ? len : undefined;
  }

  /** Content-Type without parameters. */
  get type(): string {
    const type = this.get('Content-Type');
    return type ? type.split(';', 1)[0].trim() : '';
  }

  /** Charset parameter of Content-Type. */
  get charset(): string {
    const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(this.get('Content-Type'));
    return m ? m[1].toLowerCase() : '';
  }

  /** Whether the method is idempotent. */
  get idempotent(): boolean {
    return IDEMPOTENT.has(this.method);
  }

  /** Whether the client's cached copy is fresh (for GET/HEAD with 2xx/304). */
  get fresh(): boolean {
    const method = this.method;
    const status = this.ctx.status;
    if (method !== 'GET' && method !== 'HEAD') return false;
    if ((status >= 200 && status < 300) || status === 304) {
      return fresh(this.headers as Record<string, string>, this.ctx.response.headers as Record<string, string>);
    }
    return false;
  }

  get stale(): boolean {
    return !this.fresh;
  }

  /** Whether the request has a body (chunked or non-zero Content-Length). */
  get hasBody(): boolean {
    return this[kExchange].body !== null;
  }

  /**
   * Checks the request Content-Type against the given types (type-is semantics).
   * @example ctx.is('json', 'urlencoded')
   */
  is(type?: string | string[], ...types: string[]): string | false | null {
    const list = Array.isArray(type) ? type : type === undefined ? [] : [type, ...types];
    return typeis(this as unknown as Parameters<typeof typeis>[0], list);
  }

  #accepts(): accepts.Accepts {
    return (this.#accept ??= accepts(this as unknown as Parameters<typeof accepts>[0]));
  }

  /** The `accepts` negotiator behind `accepts()` and friends (replaceable, as in Koa). */
  get accept(): accepts.Accepts {
    return this.#accepts();
  }

  set accept(value: accepts.Accepts) {
    this.#accept = value;
  }

  /** Content negotiation on Accept (accepts semantics). */
  accepts(): string[];
  accepts(...types: string[]): string | false;
  accepts(types: string[]): string | false;
  accepts(...types: Array<string | string[]>): string | string[] | false {
    return (this.#accepts().types as (...t: string[]) => string | string[] | false)(...types.flat());
  }

  acceptsEncodings(): string[];
  acceptsEncodings(...encodings: string[]): string | false;
  acceptsEncodings(encodings: string[]): string | false;
  acceptsEncodings(...encodings: Array<string | string[]>): string | string[] | false {
    return (this.#accepts().encodings as (...t: string[]) => string | string[] | false)(...encodings.flat());
  }

  acceptsCharsets(): string[];
  acceptsCharsets(...charsets: string[]): string | false;
  acceptsCharsets(charsets: string[]): string | false;
  acceptsCharsets(...charsets: Array<string | string[]>): string | string[] | false {
    return (this.#accepts().charsets as (...t: string[]) => string | string[] | false)(...charsets.flat());
  }

  acceptsLanguages(): string[];
  acceptsLanguages(...languages: string[]): string | false;
  acceptsLanguages(languages: string[]): string | false;
  acceptsLanguages(...languages: Array<string | string[]>): string | string[] | false {
    return (this.#accepts().languages as (...t: string[]) => string | string[] | false)(...languages.flat());
  }

  /** A JSON-friendly summary (as Koa's `request.toJSON()`). */
  toJSON(): Record<string, unknown> {
    return { method: this.method, url: this.url, header: this.headers };
  }

  /** What `util.inspect` shows. */
  [inspect.custom](): Record<string, unknown> {
    return this.toJSON();
  }

  /** What `util.inspect` shows (Koa's `request.inspect()`): the JSON summary. */
  inspect(): Record<string, unknown> {
    return this.toJSON();
  }

  // ---- siblings, as in Koa ---------------------------------------------------------

  /** `ctx.req`: the request body stream with Node's `IncomingMessage` fields. */
  get req(): NodeRequest {
    return this.ctx.req;
  }

  /** `ctx.res`: the `ServerResponse`-like adapter. */
  get res(): NodeResponse {
    return this.ctx.res;
  }

  /** `ctx.response`. */
  get response(): Response {
    return this.ctx.response;
  }

  // ---- body readers --------------------------------------------------------------

  /**
   * The whole body as a Buffer, refusing more than `limit` bytes with 413.
   * The body can be read once.
   */
  async buffer(options: BodyReadOptions = {}): Promise<Buffer> {
    const limit = options.limit ?? this.app.bodyLimit;
    const exchange = this[kExchange];
    const body = exchange.body;
    if (body === null) return Buffer.alloc(0);
    // Read before (here, or to its end through ctx.req): waiting for its 'end' again would hang.
    if (this.#bodyRead || body.readableEnded) throw coreError('BODY_CONSUMED');
    this.#bodyRead = true;
    if (body.declaredLength > limit) {
      body.destroy();
      throw tooLarge(limit);
    }
    // Already here whole (a small POST arrives with its head): no stream, listeners or ticks.
    return exchange.takeWholeBody() ?? readAll(body, limit);
  }

  /** The body decoded as UTF-8 text (limited like `buffer()`). */
  async text(options: BodyReadOptions = {}): Promise<string> {
    return (await this.buffer(options)).toString('utf8');
  }

  /** The body parsed as JSON (limited like `buffer()`); malformed JSON → 400. */
  async json<T = unknown>(options: BodyReadOptions = {}): Promise<T> {
    const text = await this.text(options);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw coreError('BAD_JSON', undefined, { cause });
    }
  }
}

function tooLarge(limit: number): SluiceError {
  return protocolErrorRegistry.create('BODY_TOO_LARGE', `Request body larger than ${limit} bytes`);
}

function readAll(body: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    body.once('error', (err) => reject(err instanceof SluiceError ? err : coreError('BODY_READ', undefined, { cause: err })));
  });
}

/** The path-and-query part of a request target (absolute-form reduced to origin-form). */
function originUrl(target: string): string {
  if (target.charCodeAt(0) === 0x2f || target === '*' || target === '') return target;
  const scheme = target.indexOf('://');
  if (scheme === -1) return target; // authority-form (CONNECT)
  const slash = target.indexOf('/', scheme + 3);
  const q = target.indexOf('?', scheme + 3);
  if (slash === -1 || (q !== -1 && q < slash)) return q === -1 ? '/' : '/' + target.slice(q);
  return target.slice(slash);
}
