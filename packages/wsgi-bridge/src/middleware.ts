/**
 * `wsgi()`: the middleware that serves a Python WSGI application from a pool of
 * workers, with `ready()`, `close()` and `stats()` attached. Decides only whether a
 * request is for the application (the mount prefix, on the normalised path) and what
 * SCRIPT_NAME and the remaining path are. Must never touch the workers' protocol: the
 * pool and calls do.
 */

import { bufferBody, type BufferedBody, type Context, type Middleware } from '@sluice/core';
import { mountedMiddleware, WorkerPool, type PoolStats } from '@sluice/python-workers';
import { WsgiCall } from './call.js';
import { WsgiError } from './errors.js';
import { resolveOptions, type WsgiOptions } from './options.js';
import { WORKER_SCRIPT, workerArgs } from './worker-script.js';

/** The middleware returned by {@link wsgi}, with the pool's lifecycle. */
export interface WsgiMiddleware extends Middleware {
  /**
   * Resolves when every worker has imported the application. Rejects with a
   * `WsgiError` (`SLUICE_ERR_WSGI_STARTUP`) whose message ends with the Python error
   * (module not found, syntax error, missing callable) and whose stack is the traceback.
   */
  ready(): Promise<void>;
  /**
   * Stops the workers gracefully: new requests get 503, running and queued requests
   * may finish for up to `graceMs` (default 10000), then the workers exit.
   * Call it after `app.close()`.
   */
  close(graceMs?: number): Promise<void>;
  /** Worker pids, running and queued request counts, respawns. */
  stats(): PoolStats;
}

/**
 * Serves the WSGI application `options.app` (`module:callable`) through a pool of
 * Python worker processes.
 *
 * @example
 * const django = wsgi({ app: 'mysite.wsgi:application', cwd: '/srv/mysite', workers: 4 });
 * app.use(django);
 * await django.ready();          // throws with the Python error if the app cannot load
 * app.listen(8000);
 * // on shutdown: await app.close(); await django.close();
 */
export function wsgi(options: WsgiOptions): WsgiMiddleware {
  const resolved = resolveOptions(options);
  const pool = new WorkerPool<WsgiCall>({
    ...resolved,
    protocol: 'WSGI',
    script: WORKER_SCRIPT,
    args: workerArgs(resolved),
    concurrency: resolved.threads,
    error: (failure, message, errorOptions) => new WsgiError(failure, message, errorOptions),
  });
  const bodyOptions = { memoryBytes: resolved.bodyMemoryBytes, maxBytes: resolved.maxSpoolBytes, tempDir: resolved.tempDir };
  const start = (ctx: Context, scriptName: string, rawPath: string, buffered: BufferedBody | null): Promise<void> =>
    pool.run(new WsgiCall(ctx, scriptName, rawPath, resolved.logger ?? ctx.app.logger, buffered));
  // The body is read whole before the pool sees the request: a trickling client holds no worker.
  const runBuffered = async (ctx: Context, scriptName: string, rawPath: string): Promise<void> =>
    start(ctx, scriptName, rawPath, await bufferBody(ctx, bodyOptions));
  // Not async itself: a request without a body (most of them) gets the call's own promise, no
  // wrapper promise and its extra microtask turn.
  const run = (ctx: Context, scriptName: string, rawPath: string): Promise<void> => {
    if (resolved.requestBuffering !== 'stream' && ctx.request.hasBody) return runBuffered(ctx, scriptName, rawPath);
    try {
      return start(ctx, scriptName, rawPath, null);
    } catch (error) {
      // 503 (queue full, closed, not started) as a rejection, as from an async function.
      return Promise.reject(error);
    }
  };
  return Object.assign(mountedMiddleware(resolved.mount, run), {
    ready: () => pool.ready(),
    close: (graceMs?: number) => pool.close(graceMs),
    stats: () => pool.stats(),
  });
}
