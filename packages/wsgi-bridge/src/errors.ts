/**
 * The errors the WSGI bridge raises, one registry (core's `defineErrors`: status, stable
 * code, default message): every failure a client can see maps to a row here. Must never
 * hold logic beyond building the error values.
 */

import { brandErrorClass, defineErrors, SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** Codes of the bridge's errors, with their HTTP status and default message. */
export const wsgiErrors = {
  APP_ERROR: [500, 'SLUICE_ERR_WSGI_APP_ERROR', 'The WSGI application raised an exception'],
  BAD_RESPONSE: [500, 'SLUICE_ERR_WSGI_BAD_RESPONSE', 'The WSGI application sent an invalid status or header'],
  WORKER_CRASHED: [502, 'SLUICE_ERR_WSGI_WORKER_CRASHED', 'The WSGI worker stopped while handling the request'],
  TIMEOUT: [504, 'SLUICE_ERR_WSGI_TIMEOUT', 'The WSGI application did not answer in time'],
  QUEUE_FULL: [503, 'SLUICE_ERR_WSGI_QUEUE_FULL', 'All WSGI workers are busy'],
  QUEUE_TIMEOUT: [503, 'SLUICE_ERR_WSGI_QUEUE_TIMEOUT', 'No WSGI worker became free in time'],
  NOT_STARTED: [503, 'SLUICE_ERR_WSGI_NOT_STARTED', 'The WSGI application failed to start'],
  CLOSED: [503, 'SLUICE_ERR_WSGI_CLOSED', 'The WSGI bridge is shutting down'],
  STARTUP: [500, 'SLUICE_ERR_WSGI_STARTUP', 'The WSGI application could not be loaded'],
  BAD_OPTION: [500, 'SLUICE_ERR_WSGI_BAD_OPTION', 'Invalid wsgi() option'],
} as const;

/** The registry of {@link wsgiErrors}: every code under `SLUICE_ERR_WSGI_`. */
export const wsgiErrorRegistry = defineErrors('SLUICE_ERR_WSGI_', wsgiErrors);

/** Name of a bridge error. */
export type WsgiErrorName = keyof typeof wsgiErrors;

/**
 * An error of the WSGI bridge; `code` is one of {@link wsgiErrors}. `message`, when
 * given, replaces the registered default.
 */
export class WsgiError extends SluiceError {
  constructor(name: WsgiErrorName, message?: string, options: SluiceErrorOptions = {}) {
    super(...wsgiErrorRegistry.resolve(name, message), options);
    this.name = 'WsgiError';
  }
}
brandErrorClass(WsgiError, 'sluice.error.WsgiError');

/**
 * An error whose stack is a Python traceback, so that the application's error
 * reporting (the logger, and the error page in development) shows where Python failed.
 */
export function pythonError(name: WsgiErrorName, traceback: string): WsgiError {
  const error = new WsgiError(name, undefined, { expose: false });
  error.stack = `${error.name} [${error.code}]: ${error.message}\nPython ${traceback.trimEnd()}`;
  return error;
}
