/**
 * `NodeHttpExchange`: one request of `node:http`, `node:https` or `node:http2`'s
 * compatibility API seen as an exchange, so that `app.callback()` runs the same middleware,
 * ctx and error handling as sluice's own engine. Must never parse or frame bytes: Node's
 * server does, and this file only maps the exchange calls onto `IncomingMessage`/`ServerResponse`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';
import { responseCarriesContent, statusAllowsContent } from './content-rule.js';
import { coreError } from './errors.js';
import { pumpBody } from './pump-body.js';
import type { ConnectionInfo, ExchangeBody, HttpExchange, OutgoingHeaders, RequestView } from './http-exchange.js';

/** A request of `node:http`/`node:https`, or of `node:http2`'s compatibility API. */
export type NodeServerRequest = IncomingMessage | Http2ServerRequest;
/** The matching response. */
export type NodeServerResponse = ServerResponse | Http2ServerResponse;

// HTTP/2 refuses connection-specific fields (RFC 9113 §8.2.2): node:http2 throws on them.
const HTTP2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** The request as Node's parser made it, seen as sluice's framework reads a request. */
class NodeRequestView implements RequestView {
  readonly method: string;
  readonly target: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly contentLength: number = -1;
  /** Transfer-Encoding was sent: the body is chunked. */
  readonly chunked: boolean = false;
  readonly #names: string[] = [];
  readonly #rawNames: string[] = [];
  readonly #values: string[] = [];

  constructor(req: NodeServerRequest) {
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '/';
    this.versionMajor = req.httpVersionMajor === 2 ? 2 : 1;
    this.versionMinor = req.httpVersionMajor === 1 ? req.httpVersionMinor : 0;
    const raw = req.rawHeaders;
    let authority: string | undefined;
    let host: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i];
      if (name.startsWith(':')) {
        // HTTP/2 pseudo-fields: only the authority matters, as the Host it replaces.
        if (name === ':authority') authority = raw[i + 1];
        continue;
      }
      const lower = name.toLowerCase();
      this.#rawNames.push(name);
      this.#names.push(lower);
      this.#values.push(raw[i + 1]);
      if (lower === 'host' && host === undefined) host = raw[i + 1];
      if (lower === 'content-length') this.contentLength = Number(raw[i + 1]);
      if (lower === 'transfer-encoding') this.chunked = true;
    }
    if (host === undefined && authority !== undefined) {
      this.#rawNames.push('Host');
      this.#names.push('host');
      this.#values.push(authority);
    }
  }

  header(name: string): string | undefined {
    const names = this.#names;
    let found: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) found = found === undefined ? this.#values[i] : found + ', ' + this.#values[i];
    }
    return found;
  }

  forEachHeader(visit: (name: string, value: string) => void): void {
    for (let i = 0; i < this.#names.length; i++) visit(this.#names[i], this.#values[i]);
  }

  get rawHeaders(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#rawNames.length; i++) out.push(this.#rawNames[i], this.#values[i]);
    return out;
  }
}

/** Whether a request carries a body by its framing (RFC 9112 §6.3), as the engine decides. */
function hasBody(req: NodeServerRequest, request: NodeRequestView): boolean {
  if (req.httpVersionMajor === 2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  return request.chunked || request.contentLength > 0;
}

/**
 * One Node request/response pair as an exchange. Headers the framework collected are set
 * on the `ServerResponse` in one go when the head is written; Node frames the body.
 */
export class NodeHttpExchange implements HttpExchange {
  readonly request: NodeRequestView;
  readonly body: ExchangeBody | null;
  readonly startTime = Date.now();
  readonly connection: ConnectionInfo;
  #trailers: Array<[string, string]> | null = null;
  #status = 0;
  #bytesWritten = 0;
  #finished = false;
  #aborted = false;
  readonly #req: NodeServerRequest;
  readonly #res: NodeServerResponse;
  readonly #http2: boolean;
  #closeListeners: Array<() => void> = [];
  #finishListeners: Array<() => void> = [];

  constructor(req: NodeServerRequest, res: NodeServerResponse) {
    this.#req = req;
    this.#res = res;
    this.#http2 = req.httpVersionMajor === 2;
    this.request = new NodeRequestView(req);
    const socket = req.socket;
    this.connection = {
      remoteAddress: socket?.remoteAddress ?? '',
      remotePort: socket?.remotePort ?? 0,
      localAddress: socket?.localAddress ?? '',
      localPort: socket?.localPort ?? 0,
      encrypted: (socket as { encrypted?: boolean } | undefined)?.encrypted === true,
    };
    this.body = hasBody(req, this.request) ? this.#bodyStream() : null;
    res.once('finish', () => this.#onResFinish());
    res.once('close', () => this.#closed());
  }

  get headersSent(): boolean {
    return this.#res.headersSent;
  }

  get trailers(): ReadonlyArray<[string, string]> | null {
    return this.#trailers;
  }

  /** Always null: node:http hands the body over as a stream only. */
  takeWholeBody(): Buffer | null {
    return null;
  }

  get status(): number {
    return this.#status;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  // A PassThrough rather than the request itself: ctx.req gets Node's request fields over
  // it without changing the caller's IncomingMessage; pipe() keeps the backpressure.
  #bodyStream(): ExchangeBody {
    const req = this.#req;
    const body = Object.assign(new PassThrough(), { declaredLength: this.request.contentLength });
    body.on('error', () => {});
    req.once('end', () => {
      const raw = req.rawTrailers;
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i].toLowerCase(), raw[i + 1]]);
      this.#trailers = pairs;
    });
    (req as Readable).once('error', (error: Error) => body.destroy(error));
    (req as Readable).pipe(body);
    return body;
  }

  onClose(listener: () => void): void {
    if (this.#aborted) listener();
    else if (!this.#finished) this.#closeListeners.push(listener);
  }

  onFinish(listener: () => void): void {
    if (this.#finished && !this.#aborted) listener();
    else if (!this.#finished) this.#finishListeners.push(listener);
  }

  #writeHead(status: number, headers: OutgoingHeaders, length: number, reason: string | undefined): void {
    const res = this.#res;
    this.#status = status;
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      if (this.#http2 && HTTP2_FORBIDDEN.has(name.toLowerCase())) continue;
      res.setHeader(name, value as string | number | string[]);
    }
    // No length on 204 and 304 (RFC 9110 §8.6); HEAD gets GET's when known.
    if (length >= 0 && statusAllowsContent(status) && !res.hasHeader('content-length')) res.setHeader('Content-Length', length);
    // HTTP/2 has no reason phrase (node:http2 warns when one is set).
    if (reason !== undefined && !this.#http2) (res as ServerResponse).statusMessage = reason;
    res.statusCode = status;
  }

  respond(status: number, headers: OutgoingHeaders, body: string | Uint8Array | null, reason?: string): boolean {
    if (this.headersSent || this.#finished) return false;
    const length = body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    this.#writeHead(status, headers, body === null && this.request.method === 'HEAD' ? -1 : length, reason);
    if (body !== null && this.#carriesBody(status)) this.#bytesWritten = length;
    if (body === null) this.#res.end();
    else (this.#res as ServerResponse).end(body);
    return true;
  }

  #carriesBody(status: number): boolean {
    return responseCarriesContent(this.request.method, status);
  }

  writeHead(status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    if (this.headersSent || this.#finished) return;
    this.#writeHead(status, headers, length, reason);
    const res = this.#res;
    if ('flushHeaders' in res) res.flushHeaders();
    else res.writeHead(status);
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#finished) return false;
    if (!this.headersSent) this.writeHead(200, {}, -1);
    if (!this.#carriesBody(this.#status)) return true;
    this.#bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return (this.#res as ServerResponse).write(chunk);
  }

  onDrain(listener: () => void): void {
    if (this.#finished) return;
    this.#res.once('drain', listener);
  }

  end(chunk?: string | Uint8Array): void {
    if (this.#finished) return;
    if (!this.headersSent) {
      this.respond(200, {}, chunk ?? null);
      return;
    }
    if (chunk !== undefined) this.write(chunk);
    this.#res.end();
  }

  pipeFrom(source: Readable, status: number, headers: OutgoingHeaders, length: number, reason?: string): void {
    this.writeHead(status, headers, length, reason);
    if (!this.#carriesBody(status) || this.#finished) {
      source.destroy();
      this.end();
      return;
    }
    pumpBody(source, this);
  }

  /** A raw HTTP response cannot go through Node's ServerResponse: refused with 501. */
  sendRaw(source: Readable): void {
    source.destroy();
    throw coreError('RAW_RESPONSE', undefined, { expose: false });
  }

  abort(): void {
    if (this.#finished) return;
    this.#res.destroy();
    this.#closed();
  }

  #onResFinish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const listeners = this.#finishListeners;
    this.#finishListeners = [];
    this.#closeListeners = [];
    for (const listener of listeners) listener();
  }

  // 'close' without 'finish' first: the client left, or the response was destroyed.
  #closed(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#aborted = true;
    this.body?.destroy();
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    this.#finishListeners = [];
    for (const listener of listeners) listener();
  }
}
