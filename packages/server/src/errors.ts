/**
 * The one error the `sluice` command reports for bad configuration: a flag, a
 * config key, a missing file or directory, an unusable TLS key, a WSGI app that
 * cannot start. `main` prints its message alone and exits 2. Must never carry a
 * message that does not name the problem.
 */

import { brandErrorClass, defineErrors, SluiceError } from '@sluice/core';

/** Exit code for bad configuration (as in many Unix tools: 2 = usage error). */
export const CONFIG_EXIT_CODE = 2;

/** The errors of the `sluice` command, one registry (core's `defineErrors`). */
export const serverErrors = {
  CONFIG: [500, 'SLUICE_ERR_CONFIG', 'Invalid configuration'],
} as const;

/** The registry of {@link serverErrors}. */
export const serverErrorRegistry = defineErrors('SLUICE_ERR_', serverErrors);

/**
 * A configuration problem. Its message is meant for a human at a terminal and names
 * the key, flag or file at fault.
 *
 * @example
 * throw new ConfigError('root directory "site" does not exist');
 */
export class ConfigError extends SluiceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(...serverErrorRegistry.resolve('CONFIG', message), { expose: false, cause: options.cause });
    this.name = 'ConfigError';
  }
}
brandErrorClass(ConfigError, 'sluice.error.ConfigError');
