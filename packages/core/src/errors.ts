/**
 * Core's error registries: the engine's protocol errors, core's own errors (options,
 * bodies, methods) and the response-validation errors, each a table checked by
 * `defineErrors`, and the subclasses built from them. Must never hold behaviour beyond
 * building these values, and never a code that is not in one of the tables.
 */

import { defineErrors } from './error-registry.js';
import { brandErrorClass, SluiceError, type SluiceErrorOptions } from './sluice-error.js';

export { SluiceError, brandErrorClass, type SluiceErrorOptions } from './sluice-error.js';
export { defineErrors, isErrorRegistry, type ErrorRegistry, type ErrorRow, type ErrorTable } from './error-registry.js';

/**
 * A client's protocol mistake, found by the engine (malformed request line,
 * bad header, oversized head, smuggling attempt...). Always answered, never thrown
 * into application code.
 */
export class ProtocolError extends SluiceError {
  constructor(name: ProtocolErrorName, message?: string) {
    super(...protocolErrorRegistry.resolve(name, message), { expose: true });
    this.name = 'ProtocolError';
  }
}
brandErrorClass(ProtocolError, 'sluice.error.ProtocolError');

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

/** The registry of {@link protocolErrors}. */
export const protocolErrorRegistry = defineErrors('SLUICE_ERR_', protocolErrors);

/** Name of an engine protocol error. */
export type ProtocolErrorName = keyof typeof protocolErrors;

/** Builds the {@link ProtocolError} registered under `name`. */
export function protocolError(name: ProtocolErrorName): ProtocolError {
  return new ProtocolError(name);
}

/**
 * Core's errors outside the wire protocol: a bad option, a body an application could not
 * read, a method nobody implements. Message given at the throw site, or the default here.
 */
export const coreErrors = {
  BAD_OPTION: [500, 'SLUICE_ERR_BAD_OPTION', 'Invalid option'],
  BAD_METHOD_NAME: [500, 'SLUICE_ERR_BAD_METHOD_NAME', 'Method name is not an HTTP token'],
  METHOD_NOT_IMPLEMENTED: [501, 'SLUICE_ERR_METHOD_NOT_IMPLEMENTED', 'Method not implemented by this server'],
  METHOD_NOT_ALLOWED: [405, 'SLUICE_ERR_METHOD_NOT_ALLOWED', 'Method not allowed here'],
  BODY_CONSUMED: [500, 'SLUICE_ERR_BODY_CONSUMED', 'request body was already read'],
  BODY_READ: [400, 'SLUICE_ERR_BODY_READ', 'Request body could not be read'],
  BAD_JSON: [400, 'SLUICE_ERR_BAD_JSON', 'Malformed JSON body'],
  BODY_BUFFER_FULL: [503, 'SLUICE_ERR_BODY_BUFFER_FULL', 'Request bodies being buffered already hold the budget'],
  REQUEST_ABORTED: [400, 'SLUICE_ERR_REQUEST_ABORTED', 'Request aborted by the client'],
  PATH_ABOVE_ROOT: [400, 'SLUICE_ERR_PATH_ABOVE_ROOT', 'the request path climbs above "/"'],
  RAW_RESPONSE: [501, 'SLUICE_ERR_RAW_RESPONSE', 'raw (non-parsed-header) responses are not available through app.callback()'],
  RAW_RESPONSE_HTTP2: [501, 'SLUICE_ERR_RAW_RESPONSE_HTTP2', 'raw (non-parsed-header) responses cannot be sent over HTTP/2: it has no HTTP/1 response bytes'],
  TAKEOVER_NOT_REQUESTED: [500, 'SLUICE_ERR_TAKEOVER_NOT_REQUESTED', 'ctx.takeover() needs a request asking for it: HTTP/1.1 with Upgrade and Connection: upgrade, or CONNECT'],
  TAKEOVER_WITH_BODY: [500, 'SLUICE_ERR_TAKEOVER_WITH_BODY', 'ctx.takeover() refuses a request that has a body: its bytes and the new protocol\'s would be mixed'],
  TAKEOVER_TOO_LATE: [500, 'SLUICE_ERR_TAKEOVER_TOO_LATE', 'ctx.takeover() after the response was started (or the connection was already taken over)'],
  TAKEOVER_UNAVAILABLE: [501, 'SLUICE_ERR_TAKEOVER_UNAVAILABLE', 'this transport cannot hand over its connection (app.callback() under node:http, an HTTP/2 stream)'],
} as const;

/** The registry of {@link coreErrors}. */
export const coreErrorRegistry = defineErrors('SLUICE_ERR_', coreErrors);

/** Name of one of core's own errors. */
export type CoreErrorName = keyof typeof coreErrors;

/** Builds the {@link SluiceError} registered under `name` in {@link coreErrors}. */
export function coreError(name: CoreErrorName, message?: string, options?: SluiceErrorOptions): SluiceError {
  return coreErrorRegistry.create(name, message, options);
}

/** The request body was aborted by the client before it was complete. */
export class RequestAbortedError extends SluiceError {
  constructor() {
    super(...coreErrorRegistry.resolve('REQUEST_ABORTED'));
    this.name = 'RequestAbortedError';
  }
}
brandErrorClass(RequestAbortedError, 'sluice.error.RequestAbortedError');

/**
 * The errors `ctx.response` raises for an app's invalid status or header (see
 * `header-validation.ts`): the app's mistake, so 500 and never shown to the client.
 */
const responseErrorTable = {
  INVALID_STATUS: [500, 'SLUICE_ERR_INVALID_STATUS', 'Invalid response status'],
  INVALID_STATUS_MESSAGE: [500, 'SLUICE_ERR_INVALID_STATUS_MESSAGE', 'Invalid response status message'],
  INVALID_HEADER_NAME: [500, 'SLUICE_ERR_INVALID_HEADER_NAME', 'Invalid response header name'],
  INVALID_HEADER_VALUE: [500, 'SLUICE_ERR_INVALID_HEADER_VALUE', 'Invalid response header value'],
} as const;

/** The registry of the response-validation errors (its `table` has their rows). */
export const responseErrorRegistry = defineErrors('SLUICE_ERR_', responseErrorTable);

/** Codes of the response-validation errors, by name (from their registry). */
export const responseErrors = Object.fromEntries(Object.entries(responseErrorTable).map(([name, [, code]]) => [name, code])) as {
  readonly [Name in keyof typeof responseErrorTable]: (typeof responseErrorTable)[Name][1];
};

/** Name of a response-validation error. */
export type ResponseErrorName = keyof typeof responseErrorTable;

/** Builds the 500 {@link SluiceError} registered under `name`, with `message` saying what was wrong. */
export function responseError(name: ResponseErrorName, message: string): SluiceError {
  return responseErrorRegistry.create(name, message, { expose: false });
}
