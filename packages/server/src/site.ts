/**
 * One site (the top-level one or a virtual host): its WSGI mounts, CGI mounts and
 * extension handlers, and its static files, composed in that order into one
 * middleware, plus what must be closed when the server stops. Must never serve
 * anything its configuration did not name.
 */

import compose from 'koa-compose';
import type { Context, Middleware } from '@sluice/core';
import type { ResolvedSite } from './config-types.js';

/** A built site. */
export interface Site {
  /** Runs the site's handlers; falls through to `next` when none answers. */
  middleware: Middleware;
  /** Waits until every child process the site needs is ready (a WSGI app that fails to import rejects). */
  ready(): Promise<void>;
  /** Stops the site's child processes after requests in flight finish. */
  close(): Promise<void>;
}

/** Builds the middleware of `site`. */
export function buildSite(site: ResolvedSite): Site {
  const handlers: Middleware[] = [];
  void site;
  const chain = compose(handlers as compose.Middleware<Context>[]);
  return {
    middleware: (ctx, next) => chain(ctx, next),
    ready: async () => {},
    close: async () => {},
  };
}
