/**
 * The errors @sluice/cgi raises, one registry (core's `defineErrors`): each is a
 * `CgiError` with a stable `SLUICE_ERR_CGI_*` code and the HTTP status the client gets.
 * Must never hold behaviour beyond building these values.
 */

import { brandErrorClass, defineErrors, SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** Every CGI failure: its status, code and default message. */
export const cgiErrors = {
  BAD_OPTION: [500, 'SLUICE_ERR_CGI_BAD_OPTION', 'Invalid cgi() option'],
  BAD_PATH: [400, 'SLUICE_ERR_CGI_BAD_PATH', 'Malformed path'],
  NOT_FOUND: [404, 'SLUICE_ERR_CGI_NOT_FOUND', 'No such script'],
  NOT_EXECUTABLE: [403, 'SLUICE_ERR_CGI_NOT_EXECUTABLE', 'Script is not executable'],
  DOTFILE: [403, 'SLUICE_ERR_CGI_DOTFILE', 'Forbidden'],
  BUSY: [503, 'SLUICE_ERR_CGI_BUSY', 'Too many CGI programs running'],
  SPAWN_FAILED: [500, 'SLUICE_ERR_CGI_SPAWN', 'CGI program could not be started'],
  SPAWN_UNAVAILABLE: [503, 'SLUICE_ERR_CGI_SPAWN_UNAVAILABLE', 'CGI program could not be started (resources)'],
  BAD_HEADER: [502, 'SLUICE_ERR_CGI_BAD_HEADER', 'CGI program sent an invalid response'],
  TIMEOUT: [504, 'SLUICE_ERR_CGI_TIMEOUT', 'CGI program timed out'],
  REDIRECT_LOOP: [500, 'SLUICE_ERR_CGI_REDIRECT_LOOP', 'Too many CGI local redirects'],
  CLIENT_GONE: [499, 'SLUICE_ERR_CGI_CLIENT_GONE', 'Client disconnected'],
} as const;

/** The registry of {@link cgiErrors}: every code under `SLUICE_ERR_CGI_`. */
export const cgiErrorRegistry = defineErrors('SLUICE_ERR_CGI_', cgiErrors);

/** Name of a CGI error in {@link cgiErrors}. */
export type CgiErrorName = keyof typeof cgiErrors;

/**
 * An error of the CGI middleware. `message`, when given, replaces the registered
 * default; the client only sees the message of errors below 500.
 *
 * @example
 * if (err instanceof CgiError && err.code === 'SLUICE_ERR_CGI_TIMEOUT') ...
 */
export class CgiError extends SluiceError {
  constructor(name: CgiErrorName, message?: string, options: SluiceErrorOptions = {}) {
    super(...cgiErrorRegistry.resolve(name, message), options);
    this.name = 'CgiError';
  }
}
brandErrorClass(CgiError, 'sluice.error.CgiError');
