/**
 * Which request methods an application implements, and the answers sluice gives
 * when nothing in the chain answered: 501 for a method nobody implements, 405
 * with `Allow` for a method the resource does not allow, automatic OPTIONS, and
 * TRACE (refused unless switched on). Must never decide anything for a request
 * that a middleware answered.
 */

import { coreError, type SluiceError } from './errors.js';

/** The methods RFC 9110 §9 defines, plus PATCH (RFC 5789). */
export const STANDARD_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

// What an app implements before any `app.method()`: the standard set except CONNECT
// (sluice is not a proxy) and TRACE (off by default: cross-site tracing).
const IMPLEMENTED_BY_DEFAULT = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Request fields a TRACE echo leaves out (RFC 9110 §9.3.8: likely to hold credentials).
const TRACE_HIDDEN = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Returns `name` if it is an HTTP token (a valid method name), else throws naming it. */
export function checkMethodName(name: string): string {
  if (typeof name !== 'string' || !TOKEN_RE.test(name)) {
    throw coreError('BAD_METHOD_NAME', `method name ${JSON.stringify(name)} is not an HTTP token`);
  }
  return name;
}

/** The set of methods an application implements; `Allow` values derived from it. */
export class MethodRegistry {
  readonly #implemented = new Set(IMPLEMENTED_BY_DEFAULT);
  #allowAll: string | undefined = undefined;

  /** Adds a method. Throws naming the method if it is not an HTTP token. */
  add(name: string): void {
    this.#implemented.add(checkMethodName(name));
    this.#allowAll = undefined;
  }

  /** Whether the app implements `method` (case-sensitive, as methods are). */
  has(method: string): boolean {
    return this.#implemented.has(method);
  }

  /** Every implemented method, for `Allow` on `OPTIONS *`, 501 and a refused TRACE. */
  get allowAll(): string {
    return (this.#allowAll ??= [...this.#implemented].join(', '));
  }

  /** The methods implemented, in registration order. */
  list(): string[] {
    return [...this.#implemented];
  }
}

/** The `Allow` value for a resource that declared `declared`: HEAD with GET, OPTIONS always. */
export function allowFor(declared: readonly string[]): string {
  const out = new Set(declared);
  if (out.has('GET')) out.add('HEAD');
  out.add('OPTIONS');
  return [...out].join(', ');
}

/** 501: no part of the app implements `method`. The implemented methods are listed. */
export function notImplemented(method: string, registry: MethodRegistry): SluiceError {
  return coreError('METHOD_NOT_IMPLEMENTED', `Method ${method} is not implemented by this server; it implements ${registry.allowAll}`, {
    expose: true,
    headers: { Allow: registry.allowAll },
  });
}

/** 405: the method is known but the resource does not allow it. */
export function notAllowed(method: string, allow: string): SluiceError {
  return coreError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed here; allowed: ${allow}`, {
    expose: true,
    headers: { Allow: allow },
  });
}

/**
 * The body of a TRACE answer (`message/http`): the request line and fields as received,
 * minus credentials and cookies.
 */
export function traceEcho(method: string, target: string, version: string, rawHeaders: readonly string[]): string {
  let out = `${method} ${target} HTTP/${version}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!TRACE_HIDDEN.has(rawHeaders[i].toLowerCase())) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  }
  return out + '\r\n';
}
