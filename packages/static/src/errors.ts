/**
 * The errors @sluice/static raises, one registry (core's `defineErrors`): each a
 * `StaticError` (a `SluiceError`) with a stable `SLUICE_ERR_STATIC_*` code and its HTTP
 * status. Must never carry a file-system path in an exposed message.
 */

import { brandErrorClass, defineErrors, SluiceError, type SluiceErrorOptions } from '@sluice/core';

/** Codes, statuses and public messages of the errors `serveStatic` raises. */
export const staticErrors = {
  BAD_PATH: [400, 'SLUICE_ERR_STATIC_BAD_PATH', 'Malformed or forbidden path'],
  NOT_FOUND: [404, 'SLUICE_ERR_STATIC_NOT_FOUND', 'Not Found'],
  DOTFILE: [403, 'SLUICE_ERR_STATIC_DOTFILE', 'Forbidden'],
  SYMLINK_OUTSIDE_ROOT: [403, 'SLUICE_ERR_STATIC_SYMLINK', 'Forbidden'],
  METHOD_NOT_ALLOWED: [405, 'SLUICE_ERR_STATIC_METHOD', 'Method Not Allowed'],
  PRECONDITION_FAILED: [412, 'SLUICE_ERR_STATIC_PRECONDITION', 'Precondition Failed'],
  RANGE_NOT_SATISFIABLE: [416, 'SLUICE_ERR_STATIC_RANGE', 'Range Not Satisfiable'],
  BAD_OPTION: [500, 'SLUICE_ERR_STATIC_BAD_OPTION', 'Invalid serveStatic option'],
} as const;

/** The registry of {@link staticErrors}: every code under `SLUICE_ERR_STATIC_`. */
export const staticErrorRegistry = defineErrors('SLUICE_ERR_STATIC_', staticErrors);

/** Name of a registered static error. */
export type StaticErrorName = keyof typeof staticErrors;

/**
 * An error raised by `serveStatic`; rendered by the application's error handler.
 * `message`, when given, replaces the registered default.
 */
export class StaticError extends SluiceError {
  constructor(name: StaticErrorName, message?: string, options: SluiceErrorOptions = {}) {
    super(...staticErrorRegistry.resolve(name, message), options);
    this.name = 'StaticError';
  }
}
brandErrorClass(StaticError, 'sluice.error.StaticError');

/** Builds the {@link StaticError} registered under `name`, with extra response headers. */
export function staticError(name: StaticErrorName, headers?: Record<string, string>): StaticError {
  return new StaticError(name, undefined, { headers });
}

/** A bad `serveStatic` option: thrown at construction, naming the key. */
export function badOption(key: string, expected: string): StaticError {
  return new StaticError('BAD_OPTION', `serveStatic: option "${key}" must be ${expected}`);
}

/** An option `serveStatic` does not know (a typo, usually): thrown at construction. */
export function unknownOption(key: string): StaticError {
  return new StaticError('BAD_OPTION', `serveStatic: unknown option "${key}"`);
}
