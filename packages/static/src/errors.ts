/**
 * The errors @sluice/static raises, one registry: each a `StaticError` (a
 * `SluiceError`) with a stable `SLUICE_ERR_STATIC_*` code and its HTTP status.
 * Must never carry a file-system path in an exposed message.
 */

import { SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** An error raised by `serveStatic`; rendered by the application's error handler. */
export class StaticError extends SluiceError {
  constructor(status: number, code: string, message: string, options: SluiceErrorOptions = {}) {
    super(status, code, message, options);
    this.name = 'StaticError';
  }
}

/** Codes, statuses and public messages of the errors `serveStatic` raises. */
export const staticErrors = {
  BAD_PATH: [400, 'SLUICE_ERR_STATIC_BAD_PATH', 'Malformed or forbidden path'],
  NOT_FOUND: [404, 'SLUICE_ERR_STATIC_NOT_FOUND', 'Not Found'],
  DOTFILE: [403, 'SLUICE_ERR_STATIC_DOTFILE', 'Forbidden'],
  SYMLINK_OUTSIDE_ROOT: [403, 'SLUICE_ERR_STATIC_SYMLINK', 'Forbidden'],
  METHOD_NOT_ALLOWED: [405, 'SLUICE_ERR_STATIC_METHOD', 'Method Not Allowed'],
  PRECONDITION_FAILED: [412, 'SLUICE_ERR_STATIC_PRECONDITION', 'Precondition Failed'],
  RANGE_NOT_SATISFIABLE: [416, 'SLUICE_ERR_STATIC_RANGE', 'Range Not Satisfiable'],
} as const;

/** Name of a registered static error. */
export type StaticErrorName = keyof typeof staticErrors;

/** Builds the {@link StaticError} registered under `name`, with extra response headers. */
export function staticError(name: StaticErrorName, headers?: Record<string, string>): StaticError {
  const [status, code, message] = staticErrors[name];
  return new StaticError(status, code, message, { headers });
}

/** A bad `serveStatic` option: thrown at construction, naming the key. */
export function badOption(key: string, expected: string): StaticError {
  return new StaticError(500, 'SLUICE_ERR_STATIC_BAD_OPTION', `serveStatic: option "${key}" must be ${expected}`, { expose: false });
}

/** An option `serveStatic` does not know (a typo, usually): thrown at construction. */
export function unknownOption(key: string): StaticError {
  return new StaticError(500, 'SLUICE_ERR_STATIC_BAD_OPTION', `serveStatic: unknown option "${key}"`, { expose: false });
}
