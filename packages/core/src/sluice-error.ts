/**
 * The base of every error sluice raises, `SluiceError`, and the `Symbol.for` brands that
 * make `instanceof` work across duplicate copies of a package. Must never depend on
 * anything but the standard library, and never name a concrete error code.
 */

/** Options accepted by {@link SluiceError}. */
export interface SluiceErrorOptions {
  /** Whether `message` may be shown to the client. Defaults to `status < 500`. */
  expose?: boolean;
  /** Headers to add to the error response (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>;
  /** The underlying cause, kept for logs. */
  cause?: unknown;
}

/** Where a branded class keeps its brand; local, since only the class itself reads it. */
const kBrand = Symbol('sluice.errorBrand');

/**
 * The base of every error sluice raises.
 *
 * `instanceof SluiceError` (and `instanceof` any class branded with
 * {@link brandErrorClass}) works across duplicate copies of the package: it checks a
 * `Symbol.for` brand, so a package bundling its own copy of core still recognises
 * errors from another copy.
 *
 * @example
 * throw new SluiceError(409, 'APP_CONFLICT', 'version mismatch');
 */
export class SluiceError extends Error {
  /** HTTP status this error maps to. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `SLUICE_ERR_HEADERS_TOO_LARGE`. */
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
    // Only a class that carries its own brand checks it; a user's unbranded subclass
    // keeps the ordinary prototype-chain test.
    const brand = Object.hasOwn(this, kBrand) ? (this as unknown as Record<symbol, symbol>)[kBrand] : undefined;
    if (brand === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/**
 * Gives an error class its own `Symbol.for(brand)` brand, so that `instanceof` that class
 * is true for instances made by any copy of the package (as undici does for its errors).
 * Call once, right after the class, with a name no other class uses.
 *
 * @example
 * export class CgiError extends SluiceError { ... }
 * brandErrorClass(CgiError, 'sluice.error.CgiError');
 */
export function brandErrorClass(errorClass: typeof SluiceError | (abstract new (...args: never[]) => SluiceError), brand: string): void {
  const symbol = Symbol.for(brand);
  Object.defineProperty(errorClass, kBrand, { value: symbol });
  Object.defineProperty(errorClass.prototype, symbol, { value: true });
}

brandErrorClass(SluiceError, 'sluice.error');
