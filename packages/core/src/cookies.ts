/**
 * `ctx.cookies`: the `cookies` package (signed cookies with `app.keys`) bound to a
 * context through two tiny views, so reading or setting a cookie never builds the
 * Node-style `ctx.req`/`ctx.res` adapters. Created only when a middleware asks.
 * Must never write headers except through `ctx.response`.
 */

import Cookies from 'cookies';
import type { HeaderValue } from './response-head.js';
import { kHeaders } from './symbols.js';

/** What a cookie jar uses of its context (`Context`, above this file, implements it). */
export interface CookieContext {
  readonly app: { readonly keys: string[] | undefined };
  readonly request: { readonly secure: boolean };
  readonly response: { readonly [kHeaders]: Record<string, HeaderValue> };
  get(field: string): string;
  set(field: string, value: string | string[]): void;
}

/** What `cookies` reads from a request: only `headers.cookie`. */
class CookieRequestView {
  readonly #ctx: CookieContext;
  constructor(ctx: CookieContext) {
    this.#ctx = ctx;
  }
  get headers(): Record<string, string | string[]> {
    return { cookie: this.#ctx.get('Cookie') };
  }
}

/** What `cookies` writes to a response: the Set-Cookie list, through ctx.response (CR/LF-checked). */
class CookieResponseView {
  readonly #ctx: CookieContext;
  constructor(ctx: CookieContext) {
    this.#ctx = ctx;
  }
  getHeader(name: string): HeaderValue | undefined {
    return this.#ctx.response[kHeaders][name.toLowerCase()];
  }
  setHeader(name: string, value: string | string[]): void {
    this.#ctx.set(name, value);
  }
}

/** Builds the cookie jar of `ctx`: signed with `app.keys`, `secure` from the request's protocol. */
export function createCookies(ctx: CookieContext): Cookies {
  return new Cookies(
    new CookieRequestView(ctx) as unknown as ConstructorParameters<typeof Cookies>[0],
    new CookieResponseView(ctx) as unknown as ConstructorParameters<typeof Cookies>[1],
    { keys: ctx.app.keys, secure: ctx.request.secure },
  );
}
