/**
 * The errors the ASGI bridge raises, one registry (core's `defineErrors`: status, stable
 * code, default message): every failure a client can see maps to a row here. Must never
 * hold logic beyond building the error values.
 */

import { brandErrorClass, defineErrors, SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** Codes of the bridge's errors, with their HTTP status and default message. */
export const asgiErrors = {
  APP_ERROR: [500, 'SLUICE_ERR_ASGI_APP_ERROR', 'The ASGI application raised an exception'],
  BAD_RESPONSE: [500, 'SLUICE_ERR_ASGI_BAD_RESPONSE', 'The ASGI application sent an invalid status or header'],
  WORKER_CRASHED: [502, 'SLUICE_ERR_ASGI_WORKER_CRASHED', 'The ASGI worker stopped while handling the request'],
  TIMEOUT: [504, 'SLUICE_ERR_ASGI_TIMEOUT', 'The ASGI application did not answer in time'],
  QUEUE_FULL: [503, 'SLUICE_ERR_ASGI_QUEUE_FULL', 'All ASGI workers are busy'],
  QUEUE_TIMEOUT: [503, 'SLUICE_ERR_ASGI_QUEUE_TIMEOUT', 'No ASGI worker became free in time'],
  NOT_STARTED: [503, 'SLUICE_ERR_ASGI_NOT_STARTED', 'The ASGI application failed to start'],
  CLOSED: [503, 'SLUICE_ERR_ASGI_CLOSED', 'The ASGI bridge is shutting down'],
  STARTUP: [500, 'SLUICE_ERR_ASGI_STARTUP', 'The ASGI application could not be loaded or its lifespan startup failed'],
  WS_BAD_HANDSHAKE: [400, 'SLUICE_ERR_ASGI_WS_BAD_HANDSHAKE', 'Malformed WebSocket handshake'],
  WS_BAD_VERSION: [426, 'SLUICE_ERR_ASGI_WS_BAD_VERSION', 'Unsupported WebSocket version (only 13)'],
  WS_REJECTED: [403, 'SLUICE_ERR_ASGI_WS_REJECTED', 'The ASGI application refused the WebSocket connection'],
  BAD_OPTION: [500, 'SLUICE_ERR_ASGI_BAD_OPTION', 'Invalid asgi() option'],
} as const;

/** The registry of {@link asgiErrors}: every code under `SLUICE_ERR_ASGI_`. */
export const asgiErrorRegistry = defineErrors('SLUICE_ERR_ASGI_', asgiErrors);

/** Name of a bridge error. */
export type AsgiErrorName = keyof typeof asgiErrors;

/**
 * An error of the ASGI bridge; `code` is one of {@link asgiErrors}. `message`, when
 * given, replaces the registered default.
 */
export class AsgiError extends SluiceError {
  constructor(name: AsgiErrorName, message?: string, options: SluiceErrorOptions = {}) {
    super(...asgiErrorRegistry.resolve(name, message), options);
    this.name = 'AsgiError';
  }
}
brandErrorClass(AsgiError, 'sluice.error.AsgiError');

/** An error whose stack is a Python traceback, so the application's error reporting shows where Python failed. */
export function pythonError(name: AsgiErrorName, traceback: string): AsgiError {
  const error = new AsgiError(name, undefined, { expose: false });
  error.stack = `${error.name} [${error.code}]: ${error.message}\nPython ${traceback.trimEnd()}`;
  return error;
}
