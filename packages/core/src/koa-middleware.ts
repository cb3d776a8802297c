/**
 * Types only: the context that middleware written for Koa (typed against `@types/koa` or
 * their own bundled Koa types) are checked against when given to `app.use()`.
 * Must never contain runtime code, nor import koa or its types (core does not depend on them).
 */

import type { Context } from './context.js';
import type { Request } from './request.js';
import type { Response } from './response.js';

/**
 * Members whose sluice type cannot be `@types/koa`'s: `app` is a sluice `Application`,
 * not a Koa one; `req`, `res` and `socket` are adapters over sluice's engine, not Node's
 * `IncomingMessage`, `ServerResponse` and `Socket` classes; `length`, `lastModified` and
 * `origin` are typed as they are at run time (`undefined`/`null` when absent) where
 * `@types/koa` says `number`, `Date` and `string`; `assert` is not a TypeScript assertion
 * function (see {@link HttpAssert}). In the Koa view these are `any`; everything else keeps
 * sluice's type, so a Koa middleware that needs what sluice lacks is still refused.
 */
type ContextDivergent = 'app' | 'req' | 'res' | 'socket' | 'length' | 'lastModified' | 'origin' | 'assert' | 'request' | 'response';
type RequestDivergent = 'app' | 'req' | 'res' | 'socket' | 'length' | 'origin' | 'ctx' | 'response';
// `response.get()` returns a `string[]` for a repeated field (Set-Cookie) in Koa too; its types say `string`.
type ResponseDivergent = 'app' | 'req' | 'res' | 'socket' | 'length' | 'lastModified' | 'ctx' | 'request' | 'get';

type Loosened<T, K extends keyof T> = Omit<T, K> & { [P in K]: any };

/**
 * How a sluice `ctx` looks to a Koa middleware's type: sluice's context with the members
 * listed above loosened. Used only to type-check foreign middleware given to `app.use()`.
 */
export type KoaContextView<StateT, ContextT> = Loosened<Context, ContextDivergent> & {
  request: Loosened<Request, RequestDivergent>;
  response: Loosened<Response, ResponseDivergent>;
  state: StateT;
} & ContextT;

/**
 * The members a middleware's context type declares beyond the Koa view (a router's
 * `params` and `router`): what that middleware adds to `ctx` itself. Index signatures
 * (Koa's `DefaultContext`) are not members.
 */
export type KoaContextAdditions<DeclaredT, ViewT> = DeclaredT extends object
  ? { [K in keyof DeclaredT as K extends keyof ViewT ? never : string extends K ? never : number extends K ? never : symbol extends K ? never : K]: DeclaredT[K] }
  : {};

/**
 * A middleware written for Koa: `app.use(cors())`, `app.use(router.routes())`. Its declared
 * context must accept the Koa view of `ctx` plus only what it adds itself; a function whose
 * first parameter is anything else (`(n: number) => ...`, a `ctx` with a different
 * `cookies`) is refused.
 */
export type KoaMiddleware<StateT, ContextT, DeclaredT = unknown> = (
  ctx: KoaContextView<StateT, ContextT> & KoaContextAdditions<DeclaredT, KoaContextView<StateT, ContextT>>,
  next: () => Promise<void>,
) => unknown;
