/**
 * The errors @sluice/websocket raises, one registry (core's `defineErrors`): each a
 * `WebSocketError` (a `SluiceError`) with a stable `SLUICE_ERR_WS_*` code and its HTTP status.
 * Handshake errors are answered as ordinary HTTP responses, before any takeover. Must never
 * hold behaviour beyond building these values.
 */

import { brandErrorClass, defineErrors, SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** Codes, statuses and public messages of the errors `websocket()` raises. */
export const websocketErrors = {
  BAD_METHOD: [405, 'SLUICE_ERR_WS_BAD_METHOD', 'A WebSocket handshake must be a GET request'],
  NOT_UPGRADE: [400, 'SLUICE_ERR_WS_NOT_UPGRADE', 'A WebSocket handshake needs HTTP/1.1 with Connection: upgrade and no body'],
  BAD_KEY: [400, 'SLUICE_ERR_WS_BAD_KEY', 'Missing or malformed Sec-WebSocket-Key'],
  BAD_VERSION: [426, 'SLUICE_ERR_WS_BAD_VERSION', 'Unsupported Sec-WebSocket-Version (13 and 8 are)'],
  BAD_PROTOCOL: [400, 'SLUICE_ERR_WS_BAD_PROTOCOL', 'Malformed Sec-WebSocket-Protocol'],
  CLOSING: [503, 'SLUICE_ERR_WS_CLOSING', 'The server is shutting down'],
  BAD_OPTION: [500, 'SLUICE_ERR_WS_BAD_OPTION', 'Invalid websocket option'],
} as const;

/** The registry of {@link websocketErrors}: every code under `SLUICE_ERR_WS_`. */
export const websocketErrorRegistry = defineErrors('SLUICE_ERR_WS_', websocketErrors);

/** Name of a registered WebSocket error. */
export type WebSocketErrorName = keyof typeof websocketErrors;

/**
 * An error raised by `websocket()`; rendered by the application's error handler (a refused
 * handshake is a normal HTTP response). `message`, when given, replaces the registered default.
 */
export class WebSocketError extends SluiceError {
  constructor(name: WebSocketErrorName, message?: string, options: SluiceErrorOptions = {}) {
    super(...websocketErrorRegistry.resolve(name, message), options);
    this.name = 'WebSocketError';
  }
}
brandErrorClass(WebSocketError, 'sluice.error.WebSocketError');

/** Builds the {@link WebSocketError} registered under `name`, with extra response headers. */
export function websocketError(name: WebSocketErrorName, headers?: Record<string, string>): WebSocketError {
  return new WebSocketError(name, undefined, { headers });
}

/** A bad `websocket()` option or argument: thrown at construction, naming the key. */
export function badOption(key: string, expected: string): WebSocketError {
  return new WebSocketError('BAD_OPTION', `websocket: option "${key}" must be ${expected}`);
}
