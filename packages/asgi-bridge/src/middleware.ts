/**
 * `asgi()`: the middleware that serves a Python ASGI application from a pool of asyncio
 * workers, with `ready()`, `close()` and `stats()` attached. Decides only whether a
 * request is for the application (the mount prefix, on the normalised path), what
 * `root_path` and the remaining path are, and whether it is an `http` or `websocket` scope. Must never touch the workers' protocol: the
 * pool and calls do.
 */

import type { Context, Middleware } from '@sluice/core';
import { mountedMiddleware, WorkerPool, type PoolStats } from '@sluice/python-workers';
import { AsgiCall } from './call.js';
import { AsgiError } from './errors.js';
import { resolveOptions, type AsgiOptions } from './options.js';
import { AsgiWebSocketCall } from './websocket-call.js';
import { checkHandshake, isWebSocketHandshake } from './websocket-handshake.js';
import { WebSocketUpgrader } from './websocket-upgrader.js';
import { WORKER_SCRIPT, workerArgs } from './worker-script.js';

/** The middleware returned by {@link asgi}, with the pool's lifecycle. */
export interface AsgiMiddleware extends Middleware {
  /**
   * Resolves when every worker has imported the application and run its lifespan startup.
   * Rejects with an `AsgiError` (`SLUICE_ERR_ASGI_STARTUP`) whose message ends with the
   * Python error (module not found, missing attribute, `lifespan.startup.failed` message)
   * and whose stack is the traceback.
   */
  ready(): Promise<void>;
  /**
   * Stops the workers gracefully: new requests get 503, running and queued requests
   * may finish for up to `graceMs` (default 10000), then each worker runs the lifespan
   * shutdown and exits. Call it after `app.close()`.
   */
  close(graceMs?: number): Promise<void>;
  /** Worker pids, running and queued request counts, respawns. */
  stats(): PoolStats;
}

/**
 * Serves the ASGI 3 application `options.app` (`module:attr`) through a pool of Python
 * worker processes, each running many requests at once on an asyncio event loop.
 * WebSocket handshakes (HTTP/1.1) become `websocket` scopes, completed when the
 * application sends `websocket.accept`.
 *
 * @example
 * const api = asgi({ app: 'main:app', cwd: '/srv/api', workers: 2 });
 * app.use(api);
 * await api.ready();             // throws with the Python error if the app cannot start
 * app.listen(8000);
 * // on shutdown: await app.close(); await api.close();
 */
export function asgi(options: AsgiOptions): AsgiMiddleware {
  const resolved = resolveOptions(options);
  const pool = new WorkerPool<AsgiCall | AsgiWebSocketCall>({
    ...resolved,
    protocol: 'ASGI',
    script: WORKER_SCRIPT,
    args: workerArgs(resolved),
    pipeline: 0,
    error: (failure, message, errorOptions) => new AsgiError(failure, message, errorOptions),
  });
  const upgrader = new WebSocketUpgrader(resolved.maxMessageBytes);
  const watched = new WeakSet<object>();
  // Async: a refused handshake or a full queue is a rejection, as from an async middleware.
  const run = async (ctx: Context, rootPath: string, rest: string): Promise<void> => {
    const logger = resolved.logger ?? ctx.app.logger;
    // A WebSocket handshake is a `websocket` scope; every other request (other upgrades too) an `http` one.
    if (!isWebSocketHandshake(ctx)) return pool.run(new AsgiCall(ctx, rootPath, rest, logger));
    checkHandshake(ctx);
    if (!watched.has(ctx.app)) {
      // As nginx and uvicorn do on shutdown: open WebSockets get a 1001 close within the grace period.
      watched.add(ctx.app);
      ctx.app.on('closing', () => upgrader.closeAll(1001, 'server shutting down'));
    }
    return pool.run(new AsgiWebSocketCall(ctx, rootPath, rest, logger, upgrader));
  };
  return Object.assign(mountedMiddleware(resolved.mount, run), {
    ready: () => pool.ready(),
    close: (graceMs?: number) => pool.close(graceMs),
    stats: () => pool.stats(),
  });
}
