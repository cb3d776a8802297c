/**
 * `ctx.req` and `ctx.res`: Node-shaped views of the exchange so that Koa
 * middleware written against `IncomingMessage`/`ServerResponse` runs unmodified.
 * Built only when a middleware asks for them. Must never touch a socket: writes
 * go through the exchange.
 */

import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { ConnectionInfo, HttpExchange } from './http-exchange.js';
import { flushHead, sendWhole, type HeaderValue, type RecordedHead } from './response-head.js';
import { kExchange, kHeaders } from './symbols.js';
import { httpVersionOf } from './http-version.js';

/**
 * What the adapters use of a context: its exchange, its request line and headers, the
 * response's recorded head and header setters. `Context` (above this file) implements it.
 */
export interface AdaptedContext {
  readonly [kExchange]: HttpExchange;
  readonly request: { readonly headers: Record<string, string | string[]>; readonly rawHeaders: string[] };
  readonly response: RecordedHead & { readonly headers: Record<string, HeaderValue>; readonly explicitStatus: boolean };
  readonly req: NodeRequest;
  respond: boolean;
  method: string;
  url: string;
  status: number;
  message: string;
  set(field: string | Record<string, string | number | string[]>, value?: string | number | readonly (string | number)[]): void;
  append(field: string, value: string | readonly string[]): void;
  has(field: string): boolean;
  remove(field: string): void;
}

/**
 * What `ctx.req.socket` and `ctx.res.socket` are: the connection's addresses and an
 * emitter of 'close' when the client goes away, with the socket methods middleware
 * commonly call (timeouts, no-delay) as no-ops. Never the real socket: the engine owns it.
 */
export class SocketView extends EventEmitter implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
  readonly #ctx: AdaptedContext;

  /** @internal */
  constructor(ctx: AdaptedContext) {
    super();
    this.#ctx = ctx;
    const info = ctx[kExchange].connection;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.localAddress = info.localAddress;
    this.localPort = info.localPort;
    this.encrypted = info.encrypted;
    // On the next tick: a view made after the client left would otherwise emit 'close'
    // inside this constructor, before anyone could listen.
    ctx[kExchange].onClose(() => process.nextTick(() => this.emit('close', true)));
  }

  /** False once the response is finished or the client left. */
  get writable(): boolean {
    return !this.#ctx[kExchange].finished;
  }

  get destroyed(): boolean {
    return this.#ctx[kExchange].aborted;
  }

  /** Abandons the response: the connection is dropped. */
  destroy(): this {
    this.#ctx[kExchange].abort();
    return this;
  }

  /** The engine owns timeouts (see the `limits` option): accepted and ignored. */
  setTimeout(_ms: number, _callback?: () => void): this {
    return this;
  }

  /** The engine always sets no-delay: accepted and ignored. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** The engine owns keep-alive: accepted and ignored. */
  setKeepAlive(_enable?: boolean, _delayMs?: number): this {
    return this;
  }

  address(): { address: string; port: number; family: string } {
    return { address: this.localAddress, port: this.localPort, family: this.localAddress.includes(':') ? 'IPv6' : 'IPv4' };
  }
}

const socketViews = new WeakMap<AdaptedContext, SocketView>();

/** The one SocketView of a context, made on first use. */
function socketView(ctx: AdaptedContext): SocketView {
  let view = socketViews.get(ctx);
  if (view === undefined) {
    view = new SocketView(ctx);
    socketViews.set(ctx, view);
  }
  return view;
}

/** The request body stream with Node's `IncomingMessage` fields. */
export type NodeRequest = Readable & {
  readonly headers: Record<string, string | string[]>;
  readonly rawHeaders: string[];
  method: string;
  url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly socket: SocketView;
  readonly connection: SocketView;
  readonly trailers: Record<string, string>;
  readonly complete: boolean;
  readonly aborted: boolean;
};

// The ctx a request view reads its fields from.
const kAdapted = Symbol('sluice.adaptedContext');

type AdaptedStream = Readable & { [kAdapted]: AdaptedContext };

function adapted(stream: Readable): AdaptedContext {
  return (stream as AdaptedStream)[kAdapted];
}

/**
 * Node's request fields as accessors on a prototype, reading the ctx from a field of the stream.
 * Not accessors defined on each stream with closures over its ctx: that gave every request its
 * own hidden class, which V8 keeps in old space with the closures in its descriptors, so the
 * scavenger kept every request's ctx (and all it holds) alive and promoted it (wrk on a hello
 * that reads `ctx.req.url`: 2.9-4.3 KB survived per request, 11 mark-compacts in 4 s; now 2-24
 * bytes and none; POST bodies read through `ctx.req`: 5-7 KB, now 0.3 KB). The ASGI bridge
 * builds `ctx.req` for every GET (its WebSocket check): its hello went from 3.6 MB surviving each
 * scavenge and 6-9 mark-compacts in 4 s to 0.04-0.08 MB and none.
 */
const requestFields: PropertyDescriptorMap = {
  headers: { get(this: Readable) { return adapted(this).request.headers; }, configurable: true },
  rawHeaders: { get(this: Readable) { return adapted(this).request.rawHeaders; }, configurable: true },
  method: { get(this: Readable) { return adapted(this).method; }, set(this: Readable, v: string) { adapted(this).method = v; }, configurable: true },
  url: { get(this: Readable) { return adapted(this).url; }, set(this: Readable, v: string) { adapted(this).url = v; }, configurable: true },
  httpVersion: { get(this: Readable) { return httpVersionOf(adapted(this)[kExchange].request); }, configurable: true },
  httpVersionMajor: { get(this: Readable) { return adapted(this)[kExchange].request.versionMajor; }, configurable: true },
  httpVersionMinor: { get(this: Readable) { return adapted(this)[kExchange].request.versionMinor; }, configurable: true },
  socket: { get(this: Readable) { return socketView(adapted(this)); }, configurable: true },
  connection: { get(this: Readable) { return socketView(adapted(this)); }, configurable: true },
  trailers: { get(this: Readable) { return Object.fromEntries(adapted(this)[kExchange].trailers ?? []); }, configurable: true },
  complete: { get(this: Readable) { return this.readableEnded; }, configurable: true },
  aborted: { get(this: Readable) { return adapted(this)[kExchange].aborted; }, configurable: true },
};

// One request prototype per body stream class (a handful for the life of the process).
const requestPrototypes = new WeakMap<object, object>();

function requestPrototype(base: object): object {
  let prototype = requestPrototypes.get(base);
  if (prototype === undefined) {
    prototype = Object.create(base, requestFields) as object;
    requestPrototypes.set(base, prototype);
  }
  return prototype;
}

/** `ctx.req` of a request without a body: an empty stream. */
class EmptyRequest extends Readable {
  readonly [kAdapted]: AdaptedContext;

  constructor(ctx: AdaptedContext) {
    super();
    this[kAdapted] = ctx;
  }

  override _read(): void {
    this.push(null);
  }
}
Object.defineProperties(EmptyRequest.prototype, requestFields);

/** Builds `ctx.req`: the engine's body stream (or an empty one) with Node's request fields. */
export function createNodeRequest(ctx: AdaptedContext): NodeRequest {
  const body = ctx[kExchange].body;
  if (body === null) return new EmptyRequest(ctx) as unknown as NodeRequest;
  Object.setPrototypeOf(body, requestPrototype(Object.getPrototypeOf(body) as object));
  (body as unknown as AdaptedStream)[kAdapted] = ctx;
  return body as unknown as NodeRequest;
}

/** A `ServerResponse`-like object writing through the exchange. Emits 'finish' and 'close'. */
export class NodeResponse extends EventEmitter {
  readonly #ctx: AdaptedContext;
  #drainPending = false;

  /** @internal */
  constructor(ctx: AdaptedContext) {
    super();
    this.#ctx = ctx;
    const exchange = ctx[kExchange];
    exchange.onFinish(() => {
      this.emit('finish');
      this.emit('close');
    });
    exchange.onClose(() => this.emit('close'));
  }

  get statusCode(): number { return this.#ctx.status; }
  set statusCode(code: number) { this.#ctx.status = code; }
  get statusMessage(): string { return this.#ctx.message; }
  set statusMessage(value: string) { this.#ctx.message = value; }
  get headersSent(): boolean { return this.#ctx[kExchange].headersSent; }
  get writableEnded(): boolean { return this.#ctx[kExchange].finished; }
  get finished(): boolean { return this.#ctx[kExchange].finished; }
  get writable(): boolean { return !this.#ctx[kExchange].finished; }
  /** True after `write()` returned false, until 'drain'. */
  get writableNeedDrain(): boolean { return this.#drainPending; }
  get writableFinished(): boolean { return this.#ctx[kExchange].finished && !this.#ctx[kExchange].aborted; }
  get socket(): SocketView { return socketView(this.#ctx); }
  get connection(): SocketView { return socketView(this.#ctx); }
  /** The matching `ctx.req`. */
  get req(): NodeRequest { return this.#ctx.req; }
  /** Always true: the engine writes Date itself (a Date header set by the app wins). */
  get sendDate(): boolean { return true; }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.#ctx.set(name, value as string);
    return this;
  }
  /** Adds a value to a header, as Node 18.3+'s `appendHeader`. */
  appendHeader(name: string, value: string | readonly string[]): this {
    this.#ctx.append(name, value);
    return this;
  }
  getHeader(name: string): HeaderValue | undefined {
    return this.#ctx.response[kHeaders][name.toLowerCase()];
  }
  getHeaders(): Record<string, HeaderValue> { return this.#ctx.response.headers; }
  getHeaderNames(): string[] { return Object.keys(this.#ctx.response[kHeaders]); }
  hasHeader(name: string): boolean { return this.#ctx.has(name); }
  removeHeader(name: string): void { this.#ctx.remove(name); }

  /** The engine owns timeouts (see the `limits` option): accepted and ignored. */
  setTimeout(_ms: number, _callback?: () => void): this { return this; }
  /** Writes are coalesced by the engine already: accepted and ignored. */
  cork(): void {}
  uncork(): void {}

  /** Abandons the response: the connection is dropped. */
  destroy(): this {
    this.#ctx[kExchange].abort();
    return this;
  }

  /**
   * Sends the head now; sluice's own response handling is switched off for this request.
   * Headers as an object, `[name, value]` pairs or a flat `[name, value, ...]` list (as
   * Node). Status, reason and headers are checked as `ctx.status`/`ctx.message`/`ctx.set`
   * check them (a 1xx or invalid status, CR/LF, a non-token name throw) before anything is sent.
   */
  writeHead(status: number, reason?: string | OutgoingHeadersArg, headers?: OutgoingHeadersArg): this {
    const ctx = this.#ctx;
    if (typeof reason === 'object') headers = reason;
    // Status first: setting it resets the reason phrase.
    if (ctx.status !== status) ctx.status = status;
    if (typeof reason === 'string') ctx.message = reason;
    if (Array.isArray(headers)) setHeaderList(ctx, headers);
    else if (headers !== undefined) ctx.set(headers as Record<string, string | number | string[]>);
    ctx.respond = false;
    flushHead(ctx[kExchange], ctx.response, status);
    return this;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), callback?: () => void): boolean {
    const exchange = this.#ctx[kExchange];
    if (!exchange.headersSent) this.writeHead(this.#status());
    const data = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    const ok = exchange.write(data);
    // As a Writable: false means "wait for 'drain'" (what pipe() and careful writers do).
    if (!ok && !exchange.finished && !this.#drainPending) {
      this.#drainPending = true;
      exchange.onDrain(() => {
        this.#drainPending = false;
        this.emit('drain');
      });
    }
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) process.nextTick(cb);
    return ok;
  }

  end(chunk?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    const ctx = this.#ctx;
    ctx.respond = false;
    const exchange = ctx[kExchange];
    const cb = typeof chunk === 'function' ? chunk : typeof encoding === 'function' ? encoding : callback;
    const data = typeof chunk === 'function' || chunk === undefined ? undefined
      : typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    if (!exchange.headersSent) {
      sendWhole(exchange, ctx.response, this.#status(), data ?? null);
    } else {
      exchange.end(data);
    }
    if (cb) process.nextTick(cb);
    return this;
  }

  /** Sends the head if not sent yet; a body set on `ctx` (or `write()`) follows. */
  flushHeaders(): void {
    flushHead(this.#ctx[kExchange], this.#ctx.response, this.#status());
  }

  /** The status to send: Node's default 200 unless a status was set (ctx's default 404 is Koa's, not Node's). */
  #status(): number {
    return this.#ctx.response.explicitStatus ? this.#ctx.status : 200;
  }
}

/** What `writeHead` takes as headers: an object, `[name, value]` pairs, or a flat list. */
type OutgoingHeadersArg = Record<string, string | number | string[]> | ReadonlyArray<readonly [string, string | number] | string>;

/** Applies Node's array forms of `writeHead` headers through `ctx.append` (repeats kept). */
function setHeaderList(ctx: AdaptedContext, list: ReadonlyArray<readonly [string, string | number] | string>): void {
  if (list.length > 0 && Array.isArray(list[0])) {
    for (const pair of list as ReadonlyArray<readonly [string, string | number]>) ctx.append(pair[0], String(pair[1]));
    return;
  }
  for (let i = 0; i + 1 < list.length; i += 2) ctx.append(list[i] as string, String(list[i + 1]));
}

/** Builds `ctx.res` for `ctx`. */
export function createNodeResponse(ctx: AdaptedContext): NodeResponse {
  return new NodeResponse(ctx);
}
