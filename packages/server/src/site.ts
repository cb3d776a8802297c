/**
 * One site (the top-level one or a virtual host): its WSGI apps, CGI programs and
 * static files composed into one middleware, its error renderer (custom error
 * pages), and what must be started and stopped with the server. Must never serve
 * anything its configuration did not name.
 */

import compose from 'koa-compose';
import { createErrorPagesHandler, defaultErrorHandler, type Context, type ErrorHandler, type Logger, type Middleware } from '@sluice/core';
import { cgi } from '@sluice/cgi';
import { serveStatic } from '@sluice/static';
import { wsgi, type WsgiMiddleware } from '@sluice/wsgi-bridge';
import type { ResolvedSite } from './config-types.js';
import { ConfigError } from './errors.js';
import { startupLogger } from './startup-logger.js';
import { staticOptionsFor } from './static-options.js';

/** A built site. */
export interface Site {
  /** Runs the site's handlers; falls through to `next` when none answers. */
  middleware: Middleware;
  /** Renders errors for requests to this site (its error pages over the default renderer). */
  errorHandler: ErrorHandler;
  /** Waits until every WSGI app has imported; one that cannot rejects with a `ConfigError`. */
  ready(): Promise<void>;
  /** Stops the site's child processes (call after the app has drained). */
  close(graceMs: number): Promise<void>;
}

/**
 * Builds `site`; `where` names it in messages ('' for the top-level site, `hosts["a.test"]`
 * for a virtual host). Order of the handlers: WSGI apps mounted below `/` (longest prefix
 * first), CGI (mounts and extension handlers), static files (unless `staticFiles` is
 * off), then a WSGI app mounted at `/`, which so receives every request that no file
 * answers. Static serving never sends a CGI directory's files, a `cgiHandlers` script
 * (an index one is run by internal redirect) or a WSGI app's package or module.
 */
export function buildSite(site: ResolvedSite, where: string, logger: Logger): Site {
  const at = where === '' ? '' : `${where}.`;
  const handlers: Middleware[] = [];
  const wsgiLog = startupLogger(logger);
  const wsgiApps: Array<[mount: string, app: WsgiMiddleware]> = [];
  let closeCgi: (() => Promise<void>) | null = null;
  try {
    const mounts = Object.entries(site.wsgi).sort(([a], [b]) => b.length - a.length);
    for (const [mount, target] of mounts) {
      const app = wsgi({
        app: target,
        mount: mount === '/' ? '' : mount,
        python: site.python,
        pythonPath: site.wsgiPath,
        workers: site.wsgiWorkers,
        logger: wsgiLog.logger,
      });
      wsgiApps.push([mount, app]);
      if (mount !== '/') handlers.push(app);
    }
    if (Object.keys(site.cgi).length > 0 || Object.keys(site.cgiHandlers).length > 0) {
      const handlerCount = Object.keys(site.cgiHandlers).length;
      const programs = cgi({ mounts: site.cgi, interpreters: site.cgiHandlers, ...(handlerCount > 0 ? { root: site.root } : {}) });
      closeCgi = () => programs.close();
      handlers.push(programs);
    }
    if (site.staticFiles) {
      handlers.push(serveStatic({
        ...staticOptionsFor(site),
        // Programs are run, never sent: not the CGI directories, not a handler's scripts, not an app's source.
        scriptExtensions: Object.keys(site.cgiHandlers),
        excludePaths: [...Object.values(site.cgi), ...site.appSources],
      }));
    }
    const atRoot = wsgiApps.find(([mount]) => mount === '/');
    if (atRoot) handlers.push(atRoot[1]);
  } catch (error) {
    void Promise.all(wsgiApps.map(([, app]) => app.close(0)));
    void closeCgi?.();
    throw new ConfigError(`${at}${(error as Error).message}`, { cause: error });
  }
  const chain = compose(handlers as compose.Middleware<Context>[]);
  return {
    middleware: (ctx, next) => chain(ctx, next),
    errorHandler: errorRenderer(site.errorPages),
    ready: async () => {
      try {
        await Promise.all(
          wsgiApps.map(([mount, app]) =>
            app.ready().catch((error: unknown) => {
              throw new ConfigError(`${at}wsgi["${mount}"]: ${firstLine((error as Error).message)}`, { cause: error });
            }),
          ),
        );
      } catch (error) {
        wsgiLog.release(false);
        throw error;
      }
      wsgiLog.release(true);
    },
    close: async (graceMs) => {
      await Promise.all([...wsgiApps.map(([, app]) => app.close(graceMs)), closeCgi?.()]);
    },
  };
}

/** The site's own error pages over the default renderer: each virtual host has its own while the server runs one Application. */
function errorRenderer(errorPages: Record<string, string>): ErrorHandler {
  return Object.keys(errorPages).length === 0 ? defaultErrorHandler : createErrorPagesHandler(errorPages);
}

/** The first line of a message that may carry a traceback. */
function firstLine(message: string): string {
  return message.trim().split('\n', 1)[0];
}
