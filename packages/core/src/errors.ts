/**
 * Errors as values: every error sluice raises is a `SluiceError` with an HTTP
 * `status`, a stable `code`, an `expose` flag (may its message reach the client?)
 * and optional response `headers`. Engine, framework and the other packages all
 * extend this one base. Must never depend on anything but the standard library.
 */

const kSluiceError = Symbol.for('sluice.error');

/** Options accepted by {@link SluiceError}. */
export interface SluiceErrorOptions {
  /** Whether `message` may be shown to the client. Defaults to `status < 500`. */
  expose?: boolean;
  /** Headers to add to the error response (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>;
  /** The underlying cause, kept for logs. */
  cause?: unknown;
}

/**
 * The base of every error sluice raises.
 *
 * `instanceof SluiceError` works across duplicate copies of the package
 * (it checks a `Symbol.for` brand), so a package bundling its own copy of core
 * still recognises errors from another copy.
 *
 * @example
 * throw new SluiceError(409, 'APP_CONFLICT', 'version mismatch');
 */
export class SluiceError extends Error {
  /** HTTP status this error maps to. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `SLUICE_ERR_HEADER_TOO_LARGE`. */
  readonly code: string;
  /** Whether `message` may be sent to the client. */
  expose: boolean;
  /** Headers the error response carries. */
  headers: Record<string, string> | undefined;

  constructor(status: number, code: string, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers;
  }

  /** Alias of `status`, as http-errors and Koa expose it. */
  get statusCode(): number {
    return this.status;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== SluiceError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kSluiceError] === true;
  }
}
Object.defineProperty(SluiceError.prototype, kSluiceError, { value: true });

/**
 * A client's protocol mistake, found by the engine (malformed request line,
 * bad header, oversized head, smuggling attempt...). Always answered, never thrown
 * into application code.
 */
export class ProtocolError extends SluiceError {
  constructor(status: number, code: string, message: string) {
    super(status, code, message, { expose: true });
    this.name = 'ProtocolError';
  }
}

/** Codes of the errors the engine reports, with their status. */
export const protocolErrors = {
  BAD_REQUEST_LINE: [400, 'SLUICE_ERR_BAD_REQUEST_LINE', 'Malformed request line'],
  BAD_METHOD: [400, 'SLUICE_ERR_BAD_METHOD', 'Method is not a token'],
  BAD_TARGET: [400, 'SLUICE_ERR_BAD_TARGET', 'Malformed request target'],
  BAD_VERSION: [400, 'SLUICE_ERR_BAD_VERSION', 'Malformed HTTP version'],
  VERSION_NOT_SUPPORTED: [505, 'SLUICE_ERR_VERSION_NOT_SUPPORTED', 'HTTP version not supported'],
  URI_TOO_LONG: [414, 'SLUICE_ERR_URI_TOO_LONG', 'Request line too long'],
  HEADERS_TOO_LARGE: [431, 'SLUICE_ERR_HEADERS_TOO_LARGE', 'Request header section too large'],
  TOO_MANY_HEADERS: [431, 'SLUICE_ERR_TOO_MANY_HEADERS', 'Too many request header fields'],
  BAD_HEADER_NAME: [400, 'SLUICE_ERR_BAD_HEADER_NAME', 'Malformed header field name'],
  BAD_HEADER_VALUE: [400, 'SLUICE_ERR_BAD_HEADER_VALUE', 'Invalid character in header field value'],
  OBS_FOLD: [400, 'SLUICE_ERR_OBS_FOLD', 'Obsolete line folding is not accepted'],
  BARE_LF: [400, 'SLUICE_ERR_BARE_LF', 'Line not terminated by CRLF'],
  BARE_CR: [400, 'SLUICE_ERR_BARE_CR', 'Bare CR in request'],
  MISSING_HOST: [400, 'SLUICE_ERR_MISSING_HOST', 'Missing Host header'],
  DUPLICATE_HOST: [400, 'SLUICE_ERR_DUPLICATE_HOST', 'More than one Host header'],
  BAD_HOST: [400, 'SLUICE_ERR_BAD_HOST', 'Malformed Host header'],
  BAD_CONTENT_LENGTH: [400, 'SLUICE_ERR_BAD_CONTENT_LENGTH', 'Malformed or conflicting Content-Length'],
  CL_AND_TE: [400, 'SLUICE_ERR_CL_AND_TE', 'Both Content-Length and Transfer-Encoding present'],
  BAD_TRANSFER_ENCODING: [400, 'SLUICE_ERR_BAD_TRANSFER_ENCODING', 'Transfer-Encoding must end with chunked'],
  TE_IN_HTTP10: [400, 'SLUICE_ERR_TE_IN_HTTP10', 'Transfer-Encoding is not allowed in HTTP/1.0'],
  UNKNOWN_CODING: [501, 'SLUICE_ERR_UNKNOWN_CODING', 'Transfer coding not implemented'],
  BAD_CHUNK: [400, 'SLUICE_ERR_BAD_CHUNK', 'Malformed chunked body'],
  BAD_CHUNK_EXTENSION: [400, 'SLUICE_ERR_BAD_CHUNK_EXTENSION', 'Malformed chunk extension'],
  CHUNK_TOO_LARGE: [400, 'SLUICE_ERR_CHUNK_TOO_LARGE', 'Chunk size overflow'],
  TRAILERS_TOO_LARGE: [431, 'SLUICE_ERR_TRAILERS_TOO_LARGE', 'Trailer section too large'],
  BODY_TOO_LARGE: [413, 'SLUICE_ERR_BODY_TOO_LARGE', 'Request body too large'],
  EXPECTATION_FAILED: [417, 'SLUICE_ERR_EXPECTATION_FAILED', 'Unsupported expectation'],
  HEADERS_TIMEOUT: [408, 'SLUICE_ERR_HEADERS_TIMEOUT', 'Request header timeout'],
  REQUEST_TIMEOUT: [408, 'SLUICE_ERR_REQUEST_TIMEOUT', 'Request timeout'],
  BODY_TOO_SLOW: [408, 'SLUICE_ERR_BODY_TOO_SLOW', 'Request body sent too slowly'],
  BODY_IDLE_TIMEOUT: [408, 'SLUICE_ERR_BODY_IDLE_TIMEOUT', 'Request body stalled'],
  SERVER_BUSY: [503, 'SLUICE_ERR_SERVER_BUSY', 'Too many open connections'],
  HTTP2_PREFACE: [505, 'SLUICE_ERR_HTTP2_PREFACE', 'HTTP/2 is not supported on this port'],
} as const;

/** Name of an engine protocol error. */
export type ProtocolErrorName = keyof typeof protocolErrors;

/** Builds the {@link ProtocolError} registered under `name`. */
export function protocolError(name: ProtocolErrorName): ProtocolError {
  const [status, code, message] = protocolErrors[name];
  return new ProtocolError(status, code, message);
}

/** The request body was aborted by the client before it was complete. */
export class RequestAbortedError extends SluiceError {
  constructor() {
    super(400, 'SLUICE_ERR_REQUEST_ABORTED', 'Request aborted by the client');
    this.name = 'RequestAbortedError';
  }
}

/**
 * Codes of the errors `ctx.response` raises for an app's invalid status or header (see
 * `header-validation.ts`): the app's mistake, so 500 and never shown to the client.
 */
export const responseErrors = {
  INVALID_STATUS: 'SLUICE_ERR_INVALID_STATUS',
  INVALID_STATUS_MESSAGE: 'SLUICE_ERR_INVALID_STATUS_MESSAGE',
  INVALID_HEADER_NAME: 'SLUICE_ERR_INVALID_HEADER_NAME',
  INVALID_HEADER_VALUE: 'SLUICE_ERR_INVALID_HEADER_VALUE',
} as const;

/** Name of a response-validation error. */
export type ResponseErrorName = keyof typeof responseErrors;

/** Builds the 500 {@link SluiceError} registered under `name`, with `message` saying what was wrong. */
export function responseError(name: ResponseErrorName, message: string): SluiceError {
  return new SluiceError(500, responseErrors[name], message, { expose: false });
}
