/**
 * `defineErrors(prefix, table)`: the one factory every package builds its coded errors
 * with. A registry checks its table once (codes under the package's prefix, unique,
 * statuses 400-599) and resolves a row to status, code and message, always the same
 * way. Must never hold a concrete error row: the tables live in each package's errors.ts.
 */

import { SluiceError, type SluiceErrorOptions } from './sluice-error.js';

/** One registered error: its HTTP status, its stable code and its default message. */
export type ErrorRow = readonly [status: number, code: string, message: string];

/** A registry table: error name → {@link ErrorRow}. */
export type ErrorTable = { readonly [name: string]: ErrorRow };

/** What {@link defineErrors} returns: a checked table and the one way to build its errors. */
export interface ErrorRegistry<T extends ErrorTable = ErrorTable> {
  /** The prefix every code of the table starts with, e.g. `SLUICE_ERR_CGI_`. */
  readonly prefix: string;
  /** The table itself, as given. */
  readonly table: T;
  /**
   * Status, code and message of the error registered under `name`: `message`, when
   * given, replaces the row's default message (the thrower knows the details).
   */
  resolve(name: keyof T & string, message?: string): [status: number, code: string, message: string];
  /** Builds a plain {@link SluiceError} from the row registered under `name` (see `resolve`). */
  create(name: keyof T & string, message?: string, options?: SluiceErrorOptions): SluiceError;
}

const kRegistry = Symbol.for('sluice.errorRegistry');
const PREFIX = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_$/;

/**
 * Defines a package's error registry. Throws a `TypeError` naming the row when the table
 * is inconsistent: a code outside `prefix`, a code used twice, a status outside 400-599.
 *
 * @example
 * export const cgiErrors = {
 *   TIMEOUT: [504, 'SLUICE_ERR_CGI_TIMEOUT', 'CGI program timed out'],
 * } as const;
 * export const cgiErrorRegistry = defineErrors('SLUICE_ERR_CGI_', cgiErrors);
 * throw cgiErrorRegistry.create('TIMEOUT', 'no output for 5000 ms');
 */
export function defineErrors<T extends ErrorTable>(prefix: string, table: T): ErrorRegistry<T> {
  if (!PREFIX.test(prefix)) throw new TypeError(`defineErrors: prefix "${prefix}" must be upper-case words joined and ended by "_"`);
  const seen = new Set<string>();
  for (const [name, [status, code, message]] of Object.entries(table)) {
    if (!code.startsWith(prefix) || !PREFIX.test(code + '_')) throw new TypeError(`defineErrors: ${name} has code "${code}", not an upper-case code under ${prefix}`);
    if (seen.has(code)) throw new TypeError(`defineErrors: ${name} repeats the code ${code}`);
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new TypeError(`defineErrors: ${name} has status ${status}, not 400-599`);
    if (message === '') throw new TypeError(`defineErrors: ${name} has no default message`);
    seen.add(code);
  }
  const registry: ErrorRegistry<T> = {
    prefix,
    table,
    resolve(name, message) {
      const [status, code, text] = table[name];
      return [status, code, message ?? text];
    },
    create(name, message, options) {
      return new SluiceError(...registry.resolve(name, message), options);
    },
  };
  Object.defineProperty(registry, kRegistry, { value: true });
  return Object.freeze(registry);
}

/** Whether `value` is a registry made by {@link defineErrors} (from any copy of core). */
export function isErrorRegistry(value: unknown): value is ErrorRegistry {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kRegistry] === true;
}
