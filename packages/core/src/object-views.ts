/**
 * What Koa's objects see of the objects above them: `ctx.app`, `request.ctx`, `response.ctx`
 * and `response.request`. The application makes the context, the context makes the request and
 * the response; each file imports only the files below it, and a link upward is typed by one of
 * these interfaces (which the class above implements). Types only: must never import
 * application.ts, context.ts, request.ts or response.ts.
 */

import type { EventEmitter } from 'node:events';
import type { EngineOptions } from './engine/limits.js';
import type { Logger } from './logger.js';
import type { NodeRequest, NodeResponse } from './node-adapters.js';
import type { AddressMatcher } from './proxy-trust.js';
import type { kTrustedProxy } from './symbols.js';

/**
 * The type of `ctx.state` in an app that does not name one (`new Application<MyState>()`
 * does): any key, as Koa's. Middleware typed with it run in apps of any state type.
 * Augment it to type the state of every app:
 * `declare module '@sluice/core' { interface DefaultState { user?: User } }`.
 */
export interface DefaultState {
  [key: string]: any;
}

/**
 * The application as its contexts, requests and responses see it (`ctx.app`,
 * `ctx.request.app`): its settings, its logger, its events, and the chain to run again. The
 * {@link Application} implements it; setting up an app (`use`, `listen`, `close`) is done on
 * the app itself, not through a context.
 * @example
 * app.use(async (ctx) => {
 *   if (ctx.path === '/old') { ctx.path = '/new'; return ctx.app.dispatch(ctx); }
 *   ctx.app.logger.info('served', { path: ctx.path });
 * });
 */
export interface ApplicationView extends EventEmitter {
  /** Environment name ('development' shows stack traces in error pages). */
  env: string;
  /** Keys for signed cookies. */
  keys: string[] | undefined;
  /** Whether X-Forwarded-* headers are trusted (see {@link ApplicationView.trustsProxy}). */
  proxy: boolean;
  /** Header holding client addresses when `proxy` is on. */
  proxyIpHeader: string;
  /** Most addresses read from `proxyIpHeader` (0 = all). */
  maxIpsCount: number;
  /** Host labels ignored by `ctx.subdomains`. */
  subdomainOffset: number;
  /** Default limit of `ctx.request.buffer()/text()/json()`, in bytes. */
  bodyLimit: number;
  /** Where diagnostics go. */
  logger: Logger;
  /** Whether TRACE is answered. */
  readonly trace: boolean;
  /** Whether request paths are normalised before the middleware. */
  readonly normalizePath: boolean;
  /** The methods the app implements. */
  readonly methods: string[];
  /** The engine's resolved limits. */
  readonly limits: Readonly<EngineOptions>;
  /** Open connections right now. */
  readonly connectionCount: number;
  /** The `trustedProxies` matcher, if the option was given. */
  readonly [kTrustedProxy]: AddressMatcher | undefined;
  /** Whether X-Forwarded-* headers from a peer at `address` are believed. */
  trustsProxy(address: string): boolean;
  /** Runs the whole middleware chain on `ctx` again (an internal redirect). */
  dispatch(ctx: ContextView): Promise<void>;
  /** Turns an error into a response through the app's error handling. */
  handleError(thrown: unknown, ctx: ContextView, report?: boolean): Promise<void>;
  /** A JSON-friendly summary (as Koa's `app.toJSON()`). */
  toJSON(): Record<string, unknown>;
}

/**
 * The request as its response sees it (`ctx.response.request`): the request line, the
 * headers and content negotiation. The whole {@link Request} is `ctx.request`.
 */
export interface RequestBasics {
  /** Request method. */
  method: string;
  /** Request URL (path and query). */
  url: string;
  /** Path part of the URL. */
  path: string;
  /** Query string without `?`. */
  querystring: string;
  /** Request headers, lowercased names. */
  readonly headers: Record<string, string | string[]>;
  /** Host (hostname:port). */
  readonly host: string;
  /** Full URL. */
  readonly href: string;
  /** A request header's value ('' if absent). */
  get(field: string): string;
  /** The best of `types` for the request's `Accept`, or false. */
  accepts(...types: string[]): string | false;
}

/**
 * The context as its request and response see it (`ctx.request.ctx`, `ctx.response.ctx`):
 * the objects it holds, its state, and what they ask of it. `RequestT` and `ResponseT` are the
 * request and response types the holder knows. The whole {@link Context} is `ctx`.
 */
export interface ContextView<RequestT = RequestBasics, ResponseT = object> {
  /** The application. */
  readonly app: ApplicationView;
  /** `ctx.request`. */
  readonly request: RequestT;
  /** `ctx.response`. */
  readonly response: ResponseT;
  /** The Node-style request adapter. */
  readonly req: NodeRequest;
  /** The Node-style response adapter. */
  readonly res: NodeResponse;
  /** Per-request namespace for passing data between middleware. */
  state: DefaultState;
  /** Response status. */
  status: number;
  /** Full request URL. */
  readonly href: string;
  /** Request host (hostname:port). */
  readonly host: string;
  /** A request header's value ('' if absent). */
  get(field: string): string;
  /** The best of `types` for the request's `Accept`, or false. */
  accepts(...types: string[]): string | false;
  /** Turns an error into a response through the app's error handling. */
  onerror(error: unknown): void;
}
