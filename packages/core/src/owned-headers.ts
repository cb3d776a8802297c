/**
 * The one table of response header names the engine owns (framing and connection) and the
 * hop-by-hop ones a gateway never forwards, with the pure functions that read it. The engine's
 * head writer, the fetch-Response body and the gateways' head helper all consult this table.
 * Pure data and functions on strings: must never touch a context, a socket or a stream.
 */

/**
 * What the engine does with a response header of this name when an application sets it.
 * - `framing`: computed from the body (RFC 9112 §6); the application's value never goes out.
 * - `connection`: the engine decides persistence and writes its own; a `close` token is honoured.
 * - `hop-by-hop`: describes one connection (RFC 9110 §7.6.1; RFC 2616 §13.5.1 for the Proxy-*
 *   pair): sent as set by an application on the engine (a 426 needs its `Upgrade`, a proxy's 407
 *   its `Proxy-Authenticate`), never forwarded from a gateway's application or a fetched response.
 */
export type HeaderOwnership = 'framing' | 'connection' | 'hop-by-hop';

/**
 * Response header names (lowercase) the engine owns or a gateway drops, and how. Every row
 * is dropped from what a gateway's application (CGI, WSGI) or a fetched `Response` says; the
 * `framing` and `connection` rows are also never written as an application on the engine set them.
 */
export const ownedHeaders: Readonly<Record<string, HeaderOwnership>> = Object.freeze({
  'content-length': 'framing',
  'transfer-encoding': 'framing',
  connection: 'connection',
  'keep-alive': 'connection',
  'proxy-connection': 'hop-by-hop',
  te: 'hop-by-hop',
  trailer: 'hop-by-hop',
  upgrade: 'hop-by-hop',
  'proxy-authenticate': 'hop-by-hop',
  'proxy-authorization': 'hop-by-hop',
});

// The head writer runs this for every header of every response: a name whose length no
// framing/connection row has (most of them) is answered by one array read.
const engineWrittenLengths: boolean[] = [];
for (const [name, ownership] of Object.entries(ownedHeaders)) {
  if (ownership !== 'hop-by-hop') engineWrittenLengths[name.length] = true;
}

/**
 * Whether the engine writes this response header itself (`framing` and `connection` rows), so
 * an application's value never goes out as given. `lower` must be lowercase.
 */
export function isEngineWritten(lower: string): boolean {
  if (engineWrittenLengths[lower.length] !== true) return false;
  const ownership = ownedHeaders[lower];
  return ownership === 'framing' || ownership === 'connection';
}

/**
 * Fields that describe an HTTP/1 connection and are malformed in an HTTP/2 message (RFC 9113
 * §8.2.2): an HTTP/2 response drops them whoever set them (`te` too, which only a request may carry).
 */
export const http2ConnectionSpecific: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings',
]);

/** Whether a `Connection` header value carries the `close` token (RFC 9112 §9.6). */
export function hasCloseToken(value: string): boolean {
  for (const token of value.split(',')) if (token.trim().toLowerCase() === 'close') return true;
  return false;
}

/** A response head received from elsewhere (a gateway's application, a fetch) split by the table. */
export interface ForwardedFields {
  /** The fields to send, in order, names as given. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The value of a `Content-Length` field (trimmed), if one was sent; the last one wins. */
  readonly contentLength: string | undefined;
  /** Whether `Connection` carried `close`: the engine should close after this response. */
  readonly close: boolean;
  /** Lowercase names dropped as hop-by-hop (table rows and the names `Connection` lists), without `content-length`. */
  readonly dropped: readonly string[];
}

/**
 * Splits a received header list into what may be forwarded and what describes the connection it
 * came over: every row of {@link ownedHeaders} and every name its `Connection` field lists
 * (RFC 9110 §7.6.1) are dropped; `Content-Length` is reported, not forwarded (the engine frames).
 * @example
 * forwardedFields([['Connection', 'close, X-Private'], ['X-Private', '1'], ['X-Kept', '2']]);
 * // { headers: [['X-Kept', '2']], contentLength: undefined, close: true, dropped: ['connection', 'x-private'] }
 */
export function forwardedFields(headers: Iterable<readonly [string, string]>): ForwardedFields {
  const list = Array.isArray(headers) ? (headers as ReadonlyArray<readonly [string, string]>) : [...headers];
  let nominated: Set<string> | undefined;
  let close = false;
  for (const [name, value] of list) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) {
      const lower = token.trim().toLowerCase();
      if (lower === 'close') close = true;
      else if (lower !== '') (nominated ??= new Set()).add(lower);
    }
  }
  const forwarded: Array<readonly [string, string]> = [];
  const dropped: string[] = [];
  let contentLength: string | undefined;
  for (const field of list) {
    const lower = field[0].toLowerCase();
    if (lower === 'content-length') contentLength = field[1].trim();
    else if (ownedHeaders[lower] !== undefined || nominated?.has(lower) === true) {
      // `Connection: close` alone is honoured, not a dropped field worth a warning.
      if (lower !== 'connection' || !isOnlyClose(field[1])) dropped.push(lower);
    } else forwarded.push(field);
  }
  return { headers: forwarded, contentLength, close, dropped };
}

function isOnlyClose(value: string): boolean {
  return value.split(',').every((token) => {
    const lower = token.trim().toLowerCase();
    return lower === 'close' || lower === '';
  });
}
