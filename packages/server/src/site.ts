/**
 * One site (the top-level one or a virtual host): its WSGI and ASGI apps, CGI programs and
 * static files composed into one middleware, its error renderer (custom error
 * pages), and what must be started and stopped with the server. Must never serve
 * anything its configuration did not name.
 */

import compose from 'koa-compose';
import { createErrorPagesHandler, defaultErrorHandler, type Context, type ErrorHandler, type Logger, type Middleware } from '@sluice/core';
import { cgi } from '@sluice/cgi';
import { serveStatic } from '@sluice/static';
import { asgi } from '@sluice/asgi-bridge';
import { wsgi } from '@sluice/wsgi-bridge';
import type { ResolvedSite } from './config-types.js';
import { ConfigError } from './errors.js';
import { startupLogger } from './startup-logger.js';
import { staticOptionsFor } from './static-options.js';

/** A mounted WSGI or ASGI app: both bridges have the same lifecycle. */
interface PythonApp {
  kind: 'wsgi' | 'asgi';
  mount: string;
  app: Middleware & { ready(): Promise<void>; close(graceMs?: number): Promise<void> };
}

/** A built site. */
export interface Site {
  /** Runs the site's handlers; falls through to `next` when none answers. */
  middleware: Middleware;
  /** Renders errors for requests to this site (its error pages over the default renderer). */
  errorHandler: ErrorHandler;
  /** Waits until every WSGI and ASGI app has started; one that cannot rejects with a `ConfigError`. */
  ready(): Promise<void>;
  /** Stops the site's child processes (call after the app has drained). */
  close(graceMs: number): Promise<void>;
}

/**
 * Builds `site`; `where` names it in messages ('' for the top-level site, `hosts["a.test"]`
 * for a virtual host). Order of the handlers: WSGI and ASGI apps mounted below `/` (longest
 * prefix first), CGI (mounts and extension handlers), static files (unless `staticFiles` is
 * off), then an app mounted at `/`, which so receives every request that no file
 * answers. Static serving never sends a CGI directory's files, a `cgiHandlers` script
 * (an index one is run by internal redirect) or a Python app's package or module.
 */
export function buildSite(site: ResolvedSite, where: string, logger: Logger): Site {
  const at = where === '' ? '' : `${where}.`;
  const handlers: Middleware[] = [];
  const pythonLog = startupLogger(logger);
  const pythonApps: PythonApp[] = [];
  let closeCgi: (() => Promise<void>) | null = null;
  try {
    const mounts = [
      ...Object.entries(site.wsgi).map(([mount, target]) => ['wsgi', mount, target] as const),
      ...Object.entries(site.asgi).map(([mount, target]) => ['asgi', mount, target] as const),
    ].sort(([, a], [, b]) => b.length - a.length);
    for (const [kind, mount, target] of mounts) {
      const shared = { app: target, mount: mount === '/' ? '' : mount, python: site.python, pythonPath: site.wsgiPath, logger: pythonLog.logger };
      const app = kind === 'wsgi' ? wsgi({ ...shared, workers: site.wsgiWorkers }) : asgi({ ...shared, workers: site.asgiWorkers });
      pythonApps.push({ kind, mount, app });
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
    const atRoot = pythonApps.find(({ mount }) => mount === '/');
    if (atRoot) handlers.push(atRoot.app);
  } catch (error) {
    void Promise.all(pythonApps.map(({ app }) => app.close(0)));
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
          pythonApps.map(({ kind, mount, app }) =>
            app.ready().catch((error: unknown) => {
              throw new ConfigError(`${at}${kind}["${mount}"]: ${firstLine((error as Error).message)}`, { cause: error });
            }),
          ),
        );
      } catch (error) {
        pythonLog.release(false);
        throw error;
      }
      pythonLog.release(true);
    },
    close: async (graceMs) => {
      await Promise.all([...pythonApps.map(({ app }) => app.close(graceMs)), closeCgi?.()]);
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
