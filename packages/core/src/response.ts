/**
 * `ctx.response`: Koa's response API — status and message, body with type and
 * length inference, header table, redirects, attachments, validators. Every setter
 * that records a header or the status goes through header-validation.ts. Only records
 * what the response will be; `respond.ts` sends it. Must never touch a socket.
 */

import { extname } from 'node:path';
import { inspect } from 'node:util';
import contentDisposition from 'content-disposition';
import mime from 'mime-types';
import statuses from 'statuses';
import typeis from 'type-is';
import vary from 'vary';
import { isStream, type Body } from './body-types.js';
import { responseError } from './errors.js';
import { checkHeaderName, checkHeaderValue, checkReasonPhrase, checkStatus, isHeaderValue } from './header-validation.js';
import type { ConnectionInfo, HttpExchange } from './http-exchange.js';
import type { NodeRequest, NodeResponse } from './node-adapters.js';
import { forwardedFields } from './owned-headers.js';
import type { ApplicationView, ContextView, RequestBasics } from './object-views.js';
import { escapeHtml } from './html.js';
import { flushHead, type HeaderValue } from './response-head.js';
import { kExchange, kHeaders } from './symbols.js';

export type { HeaderValue };

// Content types for the shorthands the body setter uses, precomputed: `type=` is on the hot path.
const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const BIN = 'application/octet-stream';
const typeCache = new Map<string, string>();

function contentTypeOf(type: string): string | false {
  let value = typeCache.get(type);
  if (value === undefined) {
    // Only checked on a miss: the cache holds nothing but inputs that passed.
    checkHeaderValue('Content-Type', type);
    const looked = mime.contentType(type.includes('/') ? type : extname(type) ? type : '.' + type) ||
      mime.contentType(type);
    if (!looked) return false;
    value = checkHeaderValue('Content-Type', looked);
    if (typeCache.size < 500) typeCache.set(type, value);
  }
  return value;
}

/**
 * `ctx.response`: Koa's response object. It records status, headers and body; sluice
 * sends them after the middleware chain (see `respond`). Most of it is also reachable on
 * `ctx` directly (`ctx.body` is `ctx.response.body`).
 * @example
 * ctx.response.set('Cache-Control', 'no-store');
 * ctx.response.body = { ok: true };
 */
export class Response {
  /** The application (`ctx.app`). */
  readonly app: ApplicationView;
  /** The context this response belongs to. */
  readonly ctx: ContextView<RequestBasics, Response>;
  readonly [kExchange]: HttpExchange;
  readonly [kHeaders]: Record<string, HeaderValue> = {};
  #status = 404;
  #message: string | undefined = undefined;
  #explicitStatus = false;
  #explicitNullBody = false;
  #body: Body = undefined;

  constructor(app: ApplicationView, ctx: ContextView<RequestBasics, Response>, exchange: HttpExchange) {
    this.app = app;
    this.ctx = ctx;
    this[kExchange] = exchange;
  }

  // ---- status ------------------------------------------------------------------

  /**
   * Response status; 404 until a body or status is set (as Koa). Only final statuses,
   * 200–599, can be set (Koa takes 100–999): anything else throws
   * `SLUICE_ERR_INVALID_STATUS` (500). 1xx are interim answers the engine sends itself.
   */
  get status(): number {
    return this.#status;
  }

  set status(code: number) {
    if (this.headerSent) return;
    checkStatus(code);
    this.#explicitStatus = true;
    this.#status = code;
    this.#message = undefined;
    if (this.#body !== undefined && this.#body !== null && statuses.empty[code]) this.body = null;
  }

  /** Whether a status was set explicitly (not defaulted by the body setter). */
  get explicitStatus(): boolean {
    return this.#explicitStatus;
  }

  /** Reason phrase; defaults to the standard one for the status. */
  get message(): string {
    return this.#message ?? (statuses.message as Record<number, string | undefined>)[this.#status] ?? '';
  }

  /**
   * Sets a custom reason phrase, sent on the status line. Control characters (CR, LF...)
   * are refused (500, SLUICE_ERR_INVALID_STATUS_MESSAGE): no response splitting.
   */
  set message(value: string) {
    this.#message = checkReasonPhrase(value);
  }

  /** The reason phrase set with `message`, or undefined when the standard one applies. */
  get customMessage(): string | undefined {
    return this.#message;
  }

  // ---- body ----------------------------------------------------------------------

  get body(): Body {
    return this.#body;
  }

  /**
   * Sets the body and, as Koa does, the status (200 unless set) and Content-Type:
   * string → text/html if it starts with "<" else text/plain; Buffer/Uint8Array/stream/
   * async iterable → application/octet-stream; Blob → its type and size; fetch Response →
   * its status, headers and body; object → JSON; null → 204 (unless a status was set).
   */
  set body(value: Body) {
    const original = this.#body;
    this.#body = value;
    const headers = this[kHeaders];
    if (value === null || value === undefined) {
      if (!statuses.empty[this.#status]) {
        // As Koa: a JSON response whose body is set to null sends the JSON literal null.
        if (this.type === 'application/json') {
          this.#body = 'null';
          return;
        }
        if (value === null) this.#explicitNullBody = true;
        this.status = 204;
      }
      delete headers['content-type'];
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      releaseStream(original, value);
      return;
    }
    if (!this.#explicitStatus) {
      this.#status = 200;
      this.#explicitStatus = true;
    }
    const setType = headers['content-type'] === undefined;
    if (typeof value === 'string') {
      if (setType) headers['content-type'] = looksLikeHtml(value) ? HTML : TEXT;
      delete headers['content-length'];
      releaseStream(original, value);
      return;
    }
    if (value instanceof Uint8Array) {
      if (setType) headers['content-type'] = BIN;
      delete headers['content-length'];
      releaseStream(original, value);
      return;
    }
    if (isStream(value)) {
      if (original !== value) {
        value.once('error', (err: Error) => this.ctx.onerror(err));
        if (original !== undefined && original !== null) delete headers['content-length'];
        releaseStream(original, value);
      }
      if (setType) headers['content-type'] = BIN;
      return;
    }
    if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      if (setType) headers['content-type'] = BIN;
      delete headers['content-length'];
      releaseStream(original, value);
      return;
    }
    if (value instanceof Blob) {
      if (setType) headers['content-type'] = value.type ? checkHeaderValue('Content-Type', value.type) : BIN;
      headers['content-length'] = String(value.size);
      releaseStream(original, value);
      return;
    }
    if (value instanceof globalThis.Response) {
      // A fetch Response (e.g. proxied): its status and headers, minus those describing the
      // connection it came over (owned-headers.ts) and its coding: fetch decoded the body.
      this.status = value.status;
      delete headers['content-length'];
      for (const [name, fieldValue] of forwardedFields(value.headers).headers) {
        if (name !== 'content-encoding') this.set(name, fieldValue);
      }
      if (headers['content-type'] === undefined) headers['content-type'] = BIN;
      releaseStream(original, value);
      return;
    }
    delete headers['content-length'];
    // Keep a JSON flavour the app chose (application/ld+json...), else plain JSON.
    if (setType || !/\bjson\b/i.test(String(headers['content-type']))) headers['content-type'] = JSON_TYPE;
    releaseStream(original, value);
  }

  /** True when the body was set to null on purpose (Koa's `_explicitNullBody`). */
  get explicitNullBody(): boolean {
    return this.#explicitNullBody;
  }

  /** Content-Length: the header if set, else computed from a string/Buffer/JSON body. */
  get length(): number | undefined {
    const header = this[kHeaders]['content-length'];
    if (header !== undefined) {
      const n = Number.parseInt(String(header), 10);
      return Number.isNaN(n) ? undefined : n;
    }
    const body = this.#body;
    if (body === null || body === undefined || isStream(body)) return undefined;
    if (typeof body === 'string') return Buffer.byteLength(body);
    if (body instanceof Uint8Array) return body.byteLength;
    if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || body instanceof globalThis.Response) return undefined;
    return Buffer.byteLength(JSON.stringify(body));
  }

  /**
   * Sets Content-Length (ignored when Transfer-Encoding was set, as Koa). Anything but a
   * non-negative integer throws SLUICE_ERR_INVALID_HEADER_VALUE (500).
   */
  set length(n: number | undefined) {
    if (n === undefined) delete this[kHeaders]['content-length'];
    else if (this[kHeaders]['transfer-encoding'] === undefined) this.set('Content-Length', String(n));
  }

  // ---- headers ---------------------------------------------------------------------

  /** Response headers (a copy keyed by lowercased name). */
  get headers(): Record<string, HeaderValue> {
    return { ...this[kHeaders] };
  }

  /** Alias of `headers`. */
  get header(): Record<string, HeaderValue> {
    return this.headers;
  }

  /** A response header's value ('' when absent, as Koa). */
  get(field: string): HeaderValue | '' {
    return this[kHeaders][field.toLowerCase()] ?? '';
  }

  has(field: string): boolean {
    return this[kHeaders][field.toLowerCase()] !== undefined;
  }

  /**
   * Sets one header, or several from an object. A name that is not a token
   * (SLUICE_ERR_INVALID_HEADER_NAME) or a value with CR, LF, NUL or another control
   * (SLUICE_ERR_INVALID_HEADER_VALUE) throws a 500 error: no header injection.
   */
  set(field: string | Record<string, string | number | string[]>, value?: string | number | readonly (string | number)[]): void {
    if (this.headerSent) return;
    if (typeof field !== 'string') {
      for (const key of Object.keys(field)) this.set(key, field[key]);
      return;
    }
    const name = checkHeaderName(field);
    // Checked whole before storing: a list with one bad value leaves the table unchanged.
    this[kHeaders][name] = Array.isArray(value) ? value.map((v) => checkHeaderValue(field, v)) : checkHeaderValue(field, value);
  }

  /** Appends a value to a header (making it a list); checked as `set` checks. */
  append(field: string, value: string | readonly string[]): void {
    const name = checkHeaderName(field);
    const prev = this[kHeaders][name];
    const add = Array.isArray(value) ? value.map((v: string) => checkHeaderValue(field, v)) : [checkHeaderValue(field, value)];
    this[kHeaders][name] = prev === undefined ? (add.length === 1 ? add[0] : add) : ([] as string[]).concat(prev, add);
  }

  /** Removes a header. */
  remove(field: string): void {
    if (this.headerSent) return;
    delete this[kHeaders][field.toLowerCase()];
  }

  /** Adds a field (or a comma-separated list of them) to Vary; a name that is not a token throws. */
  vary(field: string | readonly string[]): void {
    if (this.headerSent) return;
    // Only optional whitespace (SP, HTAB) is trimmed: a CR or LF around a name is refused, not dropped.
    const fields = (typeof field === 'string' ? field.split(',') : field).map((name) => String(name).replace(/^[ \t]+|[ \t]+$/g, ''));
    for (const name of fields) if (name !== '*') checkHeaderName(name);
    const current = this.get('Vary');
    const next = vary.append(Array.isArray(current) ? current.join(', ') : current, fields);
    if (next) this.set('Vary', next);
  }

  /** Content-Type without parameters. */
  get type(): string {
    const type = this[kHeaders]['content-type'];
    return type ? String(type).split(';', 1)[0] : '';
  }

  /**
   * Sets Content-Type from a MIME type, extension or shorthand ('json', '.html', 'text/plain');
   * an unknown one removes it (as Koa). A value with CR, LF or another control throws
   * SLUICE_ERR_INVALID_HEADER_VALUE (500), known type or not.
   */
  set type(value: string) {
    const type = value ? contentTypeOf(String(value)) : false;
    if (type) this[kHeaders]['content-type'] = type;
    else delete this[kHeaders]['content-type'];
  }

  /** Checks the response Content-Type (type-is semantics). */
  is(type?: string | string[], ...types: string[]): string | false {
    const list = Array.isArray(type) ? type : type === undefined ? [] : [type, ...types];
    return typeis.is(this.type, list);
  }

  get lastModified(): Date | undefined {
    const value = this[kHeaders]['last-modified'];
    return value ? new Date(String(value)) : undefined;
  }

  /** Sets Last-Modified from a Date or a date string; an invalid date throws SLUICE_ERR_INVALID_HEADER_VALUE (500). */
  set lastModified(value: Date | string | undefined) {
    if (value === undefined) return;
    const date = typeof value === 'string' ? new Date(value) : value;
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw responseError('INVALID_HEADER_VALUE', 'Last-Modified must be a valid date');
    }
    this.set('Last-Modified', date.toUTCString());
  }

  get etag(): string {
    return String(this[kHeaders]['etag'] ?? '');
  }

  /** Sets ETag, quoting it unless already quoted or weak; checked as `set` checks. */
  set etag(value: string) {
    const text = String(value);
    this.set('ETag', /^(W\/)?"/.test(text) ? text : `"${text}"`);
  }

  // ---- redirects and downloads --------------------------------------------------------

  /**
   * Redirects (302 unless a 3xx status was set) and sends a short HTML or text body
   * naming the target. `'back'` behaves as {@link Response.back} (Koa 2 style).
   * @example ctx.redirect('/login')
   */
  redirect(url: string, alt?: string): void {
    if (url === 'back') {
      this.back(alt);
      return;
    }
    if (/^https?:\/\//i.test(url)) {
      try {
        url = new URL(url).toString();
      } catch {
        // not a parseable absolute URL: encoded below like any other
      }
    }
    this.set('Location', encodeLocation(url));
    if (!statuses.redirect[this.#status]) this.status = 302;
    // The body names the target as given, HTML-escaped for HTML clients (Koa 3's wording).
    if (this.ctx.accepts('html') === 'html') {
      this.type = 'text/html; charset=utf-8';
      this.body = `Redirecting to ${escapeHtml(url)}.`;
      return;
    }
    this.type = 'text/plain; charset=utf-8';
    this.body = `Redirecting to ${url}.`;
  }

  /**
   * Redirects to the Referer when it has this request's host (never to another site),
   * else to `alt` (default '/'). Koa 3's `ctx.back()`.
   */
  back(alt?: string): void {
    const referrer = this.ctx.get('Referrer');
    if (referrer) {
      try {
        if (new URL(referrer, this.ctx.href).host === this.ctx.host) {
          this.redirect(referrer);
          return;
        }
      } catch {
        // a malformed Referer is ignored
      }
    }
    this.redirect(alt || '/');
  }

  /**
   * Sets Content-Disposition to attachment (with a filename), and the type from it. Controls
   * in the filename are percent-encoded by content-disposition; invalid options throw
   * SLUICE_ERR_INVALID_HEADER_VALUE (500).
   */
  attachment(filename?: string, options?: contentDisposition.Options): void {
    let value: string;
    try {
      value = contentDisposition(filename, options);
    } catch (error) {
      throw responseError('INVALID_HEADER_VALUE', `invalid Content-Disposition: ${(error as Error).message}`);
    }
    if (filename && this[kHeaders]['content-type'] === undefined) {
      // A filename with controls is fine for content-disposition (it percent-encodes them),
      // but its "extension" names no type.
      const ext = extname(filename);
      this.type = isHeaderValue(ext) ? ext : '';
    }
    this.set('Content-Disposition', value);
  }

  // ---- state -----------------------------------------------------------------------------

  /** Whether the head has been written. */
  get headerSent(): boolean {
    return this[kExchange].headersSent;
  }

  /** Whether a response can still be written. */
  get writable(): boolean {
    return !this[kExchange].finished;
  }

  /** Addresses of the connection (Koa's `response.socket`). */
  get socket(): ConnectionInfo {
    return this[kExchange].connection;
  }

  /**
   * Sends the status line and headers now (200 unless a status was set); the body set on
   * `ctx` follows when the chain is done, e.g. a stream of server-sent events.
   */
  flushHeaders(): void {
    flushHead(this[kExchange], this, this.#explicitStatus ? this.#status : 200);
  }

  /** A JSON-friendly summary (as Koa's `response.toJSON()`). */
  toJSON(): Record<string, unknown> {
    return { status: this.status, message: this.message, header: this.headers };
  }

  /** What `util.inspect` shows. */
  [inspect.custom](): Record<string, unknown> {
    return { ...this.toJSON(), body: this.#body };
  }

  /** What `util.inspect` shows (Koa's `response.inspect()`): the JSON summary with the body. */
  inspect(): Record<string, unknown> {
    return this[inspect.custom]();
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

  /** `ctx.request`. */
  get request(): RequestBasics {
    return this.ctx.request;
  }
}

/** Koa's cleanup: a stream body replaced by something else is destroyed, its late errors ignored. */
function releaseStream(original: Body, next: Body): void {
  if (original === null || original === undefined || original === next || !isStream(original)) return;
  original.once('error', () => {});
  if (!isStream(next)) original.destroy();
}

/** Koa's rule: a string body starting with "<" (after whitespace) is HTML. Regex only when needed. */
function looksLikeHtml(value: string): boolean {
  const c = value.charCodeAt(0);
  if (c === 0x3c) return true;
  return (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) && /^\s*</.test(value);
}

/**
 * Koa's Location encoding (`encodeURI` of the decoded URL: CR, LF and other controls become
 * %XX); a URL `encodeURI` cannot encode (a lone surrogate) is an invalid header value.
 */
function encodeLocation(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURI(url);
  } catch {
    // not decodable: encoded as given
  }
  try {
    return encodeURI(decoded);
  } catch {
    throw responseError('INVALID_HEADER_VALUE', 'redirect target is not a valid URL (unpaired surrogate)');
  }
}
