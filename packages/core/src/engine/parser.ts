/**
 * The request-head parser (RFC 9112 §2-§6, strict). Two parts:
 * - `HeadScanner` finds where a head ends in bytes that may arrive in any split,
 *   enforcing the size limits as soon as they are crossed (linear in input, never re-scans);
 * - `parseHead` turns one complete head into a `RequestHead`, rejecting every
 *   ambiguity that could smuggle a request.
 * Hot path: byte-table loops and `indexOf` on the buffer, no regex, no per-byte allocation.
 * Must never touch sockets or know about the framework.
 */

import { protocolError } from '../errors.js';
import type { RequestView } from '../http-exchange.js';
import { COLON, CR, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN } from '../chars.js';

/** The parts of the engine options the parser enforces. */
export interface ParserLimits {
  maxRequestLineBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
}

/**
 * A parsed request head. Header names are kept raw and lowercased, in arrival order.
 * The framework sees it only as a read-only {@link RequestView}.
 */
export class RequestHead implements RequestView {
  method = '';
  target = '';
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and any higher 1.x, answered as 1.1). */
  versionMinor = 1;

  /** Always 1: this parser reads HTTP/1.x only (a getter, not a field: nothing per request). */
  get versionMajor(): number {
    return 1;
  }
  /** Lowercased field names. */
  names: string[] = [];
  /** Field names as the client sent them. */
  rawNames: string[] = [];
  /** Field values, OWS trimmed. */
  values: string[] = [];
  /** Declared Content-Length, or -1. */
  contentLength = -1;
  /** Transfer-Encoding: chunked framing. */
  chunked = false;
  /** The client asked for (or by version defaults to) a persistent connection. */
  keepAlive = true;
  /** `Expect: 100-continue` on an HTTP/1.1 request. */
  expectContinue = false;
  /** Value of the Host header, or undefined. */
  host: string | undefined = undefined;
  /**
   * The request asks to leave HTTP on this connection: an HTTP/1.1 request with `Upgrade` and
   * `Connection: upgrade` (RFC 9110 §7.8; an HTTP/1.0 Upgrade is ignored), or a CONNECT.
   */
  asksTakeover = false;

  header(name: string): string | undefined {
    const names = this.names;
    let found: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) found = found === undefined ? this.values[i] : found + ', ' + this.values[i];
    }
    return found;
  }

  forEachHeader(visit: (name: string, value: string) => void): void {
    for (let i = 0; i < this.names.length; i++) visit(this.names[i], this.values[i]);
  }

  get rawHeaders(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.rawNames.length; i++) out.push(this.rawNames[i], this.values[i]);
    return out;
  }
}

// Latin-1 slice without the argument checks of toString(): the parser already bounds offsets.
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };
const latin1 = (buf: Buffer, start: number, end: number): string => (buf as Latin1Buffer).latin1Slice(start, end);

/** Leading empty lines tolerated before a request line (RFC 9112 §2.2). */
const MAX_LEADING_EMPTY_LINES = 8;

/**
 * Finds the end of a request head across arbitrary splits of the input.
 * Call `scan` each time bytes arrive; it resumes where it stopped.
 */
export class HeadScanner {
  /** Offset (from the input start) where the head itself starts, after skipped empty lines. */
  headOffset = 0;
  #pos = 0;
  #lineStart = 0;
  #requestLineDone = false;
  #fields = 0;
  #emptyLines = 0;
  readonly #limits: ParserLimits;

  constructor(limits: ParserLimits) {
    this.#limits = limits;
  }

  /** Whether any byte of a head has been seen (used to tell idle from slow clients). */
  get started(): boolean {
    return this.#pos > 0;
  }

  reset(): void {
    this.headOffset = 0;
    this.#pos = 0;
    this.#lineStart = 0;
    this.#requestLineDone = false;
    this.#fields = 0;
    this.#emptyLines = 0;
  }

  /**
   * Scans `buf` from `start` (the first unconsumed byte) to its end. Returns the offset
   * just past the head's final CRLF, or -1 when more input is needed.
   * Throws a ProtocolError for bare LF, or when a limit is crossed.
   */
  scan(buf: Buffer, start: number): number {
    const limits = this.#limits;
    let i = start + this.#pos;
    if (!this.#requestLineDone) {
      // A request line starts with a method (a token): anything else (a TLS handshake, binary
      // garbage) is refused on its first byte instead of waiting for a line end that may never come.
      const first = buf[start + this.headOffset];
      if (first !== undefined && TOKEN[first] === 0 && first !== CR && first !== LF) throw protocolError('BAD_REQUEST_LINE');
    }
    for (;;) {
      const lf = buf.indexOf(LF, i);
      if (lf === -1) {
        this.#pos = buf.length - start;
        const lineBytes = buf.length - start - this.#lineStart;
        if (!this.#requestLineDone && lineBytes > limits.maxRequestLineBytes) throw protocolError('URI_TOO_LONG');
        if (buf.length - start - this.headOffset > limits.maxHeaderBytes) throw protocolError('HEADERS_TOO_LARGE');
        return -1;
      }
      const lineStart = start + this.#lineStart;
      if (lf === lineStart || buf[lf - 1] !== CR) throw protocolError('BARE_LF');
      const lineBytes = lf - 1 - lineStart;
      const next = lf + 1;
      if (lineBytes === 0) {
        if (!this.#requestLineDone) {
          if (++this.#emptyLines > MAX_LEADING_EMPTY_LINES) throw protocolError('BAD_REQUEST_LINE');
          this.headOffset = next - start;
          this.#lineStart = this.headOffset;
          const first = buf[next];
          if (first !== undefined && TOKEN[first] === 0 && first !== CR && first !== LF) throw protocolError('BAD_REQUEST_LINE');
          i = next;
          continue;
        }
        if (next - start - this.headOffset > limits.maxHeaderBytes) throw protocolError('HEADERS_TOO_LARGE');
        return next;
      }
      if (!this.#requestLineDone) {
        if (lineBytes > limits.maxRequestLineBytes) throw protocolError('URI_TOO_LONG');
        // A line without " HTTP/x.y" at its end (the HTTP/0.9 form "GET /") is refused as soon as
        // it ends: waiting for a header section that will never come would hold the connection
        // until headersTimeoutMs. parseHead checks the version itself; this only looks at its shape.
        if (!endsWithVersion(buf, lineStart, lf - 1)) throw protocolError('BAD_VERSION');
        this.#requestLineDone = true;
      } else if (++this.#fields > limits.maxHeaders) {
        throw protocolError('TOO_MANY_HEADERS');
      }
      if (next - start - this.headOffset > limits.maxHeaderBytes) throw protocolError('HEADERS_TOO_LARGE');
      this.#lineStart = next - start;
      i = next;
    }
  }
}

/** True when `buf[lineStart, cr)` ends with SP "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). */
function endsWithVersion(buf: Buffer, lineStart: number, cr: number): boolean {
  const v = cr - 9;
  return (
    v > lineStart && buf[v] === SP && buf[v + 1] === 0x48 && buf[v + 2] === 0x54 && buf[v + 3] === 0x54 && buf[v + 4] === 0x50 &&
    buf[v + 5] === 0x2f && buf[v + 7] === 0x2e && buf[v + 6] >= 0x30 && buf[v + 6] <= 0x39 && buf[v + 8] >= 0x30 && buf[v + 8] <= 0x39
  );
}

/** True when `s` begins with an RFC 3986 scheme followed by "://". */
function isAbsoluteForm(s: string): boolean {
  const c0 = s.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COLON) return s.charCodeAt(i + 1) === 0x2f && s.charCodeAt(i + 2) === 0x2f && s.length > i + 3;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  return false;
}

/** authority-form for CONNECT: host ":" port, nothing else. */
function isAuthorityForm(s: string): boolean {
  const colon = s.lastIndexOf(':');
  if (colon <= 0 || colon === s.length - 1) return false;
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x40) return false;
  }
  return true;
}

// Host: reg-name / IP-literal / IPv4, optional port. Rejects what could confuse routing.
const HOST_FORBIDDEN = (() => {
  const t = new Uint8Array(256);
  for (const ch of ' /\\?#@"<>^`{|}') t[ch.charCodeAt(0)] = 1;
  for (let c = 0; c < 0x20; c++) t[c] = 1;
  for (let c = 0x7f; c < 256; c++) t[c] = 1;
  return t;
})();

function checkHost(value: string): void {
  for (let i = 0; i < value.length; i++) {
    if (HOST_FORBIDDEN[value.charCodeAt(i)]) throw protocolError('BAD_HOST');
  }
}

/** Parses a Content-Length value: digits, or a list of identical digit strings (RFC 9110 §8.6). */
function parseContentLength(value: string): number {
  let result = -1;
  let i = 0;
  const n = value.length;
  while (i <= n) {
    while (i < n && (value.charCodeAt(i) === SP || value.charCodeAt(i) === HTAB)) i++;
    const begin = i;
    let v = 0;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      i++;
    }
    if (i === begin || i - begin > 15) throw protocolError('BAD_CONTENT_LENGTH');
    while (i < n && (value.charCodeAt(i) === SP || value.charCodeAt(i) === HTAB)) i++;
    if (result !== -1 && v !== result) throw protocolError('BAD_CONTENT_LENGTH');
    result = v;
    if (i === n) break;
    if (value.charCodeAt(i) !== 0x2c) throw protocolError('BAD_CONTENT_LENGTH');
    i++;
  }
  return result;
}

/** Splits a comma list into lowercased, trimmed members, without parameters. */
function listMembers(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const semi = part.indexOf(';');
    out.push((semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase());
  }
  return out;
}

/**
 * Parses one complete head `buf[start, end)` (as delimited by `HeadScanner`).
 * Throws a ProtocolError naming the first rule the head breaks.
 */
export function parseHead(buf: Buffer, start: number, end: number): RequestHead {
  const head = new RequestHead();
  let i = start;

  // request-line = method SP request-target SP HTTP-version CRLF
  while (TOKEN[buf[i]]) i++;
  if (i === start || buf[i] !== SP) throw protocolError(i === start ? 'BAD_REQUEST_LINE' : 'BAD_METHOD');
  const method = latin1(buf, start, i);
  head.method = method;
  const targetStart = ++i;
  while (TARGET[buf[i]]) i++;
  if (i === targetStart || buf[i] !== SP) throw protocolError('BAD_TARGET');
  const target = latin1(buf, targetStart, i);
  head.target = target;
  i++;
  if (
    buf[i] !== 0x48 || buf[i + 1] !== 0x54 || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x50 || buf[i + 4] !== 0x2f ||
    buf[i + 6] !== 0x2e || buf[i + 8] !== CR || buf[i + 9] !== LF
  ) {
    throw protocolError('BAD_VERSION');
  }
  const major = buf[i + 5] - 0x30;
  const minor = buf[i + 7] - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) throw protocolError('BAD_VERSION');
  if (major !== 1) {
    throw protocolError(method === 'PRI' && target === '*' ? 'HTTP2_PREFACE' : 'VERSION_NOT_SUPPORTED');
  }
  head.versionMinor = minor === 0 ? 0 : 1;
  i += 10;

  // request-target form (RFC 9112 §3.2)
  const t0 = target.charCodeAt(0);
  if (method === 'CONNECT') {
    if (!isAuthorityForm(target)) throw protocolError('BAD_TARGET');
  } else if (t0 === 0x2f) {
    if (target.indexOf('#') !== -1) throw protocolError('BAD_TARGET');
  } else if (t0 === 0x2a) {
    if (target.length !== 1 || method !== 'OPTIONS') throw protocolError('BAD_TARGET');
  } else if (!isAbsoluteForm(target) || target.indexOf('#') !== -1) {
    throw protocolError('BAD_TARGET');
  }

  // header fields
  let hostCount = 0;
  let teCodings: string[] | null = null;
  let sawContentLength = false;
  let connClose = false;
  let connKeepAlive = false;
  let connUpgrade = false;
  let sawUpgrade = false;
  const names = head.names;
  const rawNames = head.rawNames;
  const values = head.values;
  const last = end - 2; // the final empty line's CR
  while (i < last) {
    const nameStart = i;
    while (TOKEN[buf[i]]) i++;
    if (buf[i] !== COLON || i === nameStart) {
      throw protocolError(i === nameStart && (buf[i] === SP || buf[i] === HTAB) ? 'OBS_FOLD' : 'BAD_HEADER_NAME');
    }
    const rawName = latin1(buf, nameStart, i);
    i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const valueStart = i;
    while (FIELD_VALUE[buf[i]]) i++;
    if (buf[i] !== CR || buf[i + 1] !== LF) throw protocolError(buf[i] === CR ? 'BARE_CR' : 'BAD_HEADER_VALUE');
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    const value = latin1(buf, valueStart, valueEnd);
    i += 2;
    const name = rawName.toLowerCase();
    rawNames.push(rawName);
    names.push(name);
    values.push(value);
    // Only the fields that decide framing and connection handling are looked at here.
    switch (name.length) {
      case 4:
        if (name === 'host') {
          hostCount++;
          checkHost(value);
          head.host = value;
        }
        break;
      case 6:
        if (name === 'expect') {
          if (value.toLowerCase() !== '100-continue') throw protocolError('EXPECTATION_FAILED');
          // RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue is ignored.
          if (minor !== 0) head.expectContinue = true;
        }
        break;
      case 7:
        if (name === 'upgrade') sawUpgrade = true;
        break;
      case 10:
        if (name === 'connection') {
          for (const token of listMembers(value)) {
            if (token === 'close') connClose = true;
            else if (token === 'keep-alive') connKeepAlive = true;
            else if (token === 'upgrade') connUpgrade = true;
          }
        }
        break;
      case 14:
        if (name === 'content-length') {
          const length = parseContentLength(value);
          if (sawContentLength && length !== head.contentLength) throw protocolError('BAD_CONTENT_LENGTH');
          sawContentLength = true;
          head.contentLength = length;
        }
        break;
      case 17:
        if (name === 'transfer-encoding') {
          const codings = listMembers(value);
          teCodings = teCodings === null ? codings : teCodings.concat(codings);
        }
        break;
    }
  }

  if (hostCount > 1) throw protocolError('DUPLICATE_HOST');
  if (hostCount === 0 && head.versionMinor === 1) throw protocolError('MISSING_HOST');
  if (teCodings !== null) {
    if (sawContentLength) throw protocolError('CL_AND_TE');
    if (head.versionMinor === 0) throw protocolError('TE_IN_HTTP10');
    let chunkedCount = 0;
    for (const coding of teCodings) {
      if (coding === '') throw protocolError('BAD_TRANSFER_ENCODING');
      if (coding === 'chunked') chunkedCount++;
    }
    if (teCodings[teCodings.length - 1] !== 'chunked' || chunkedCount !== 1) throw protocolError('BAD_TRANSFER_ENCODING');
    if (teCodings.length !== 1) throw protocolError('UNKNOWN_CODING');
    head.chunked = true;
  }
  head.keepAlive = head.versionMinor === 1 ? !connClose : connKeepAlive && !connClose;
  head.asksTakeover = method === 'CONNECT' || (connUpgrade && sawUpgrade && head.versionMinor === 1);
  return head;
}
