/**
 * The mount of a bridge's middleware: whether a request is for the application (its
 * normalised path at or under the mount prefix) and what the prefix and the rest of the path
 * are. Must never run the application or touch the workers: the bridge's `run` does.
 */

import { normalizePath, type Context } from '@sluice/core';

/** Runs a request that is for the application: `mountPath` is the prefix, `rest` the (still encoded) path after it. */
export type MountedRun = (ctx: Context, mountPath: string, rest: string) => Promise<void>;

/**
 * The middleware that hands requests for the application mounted at `mount` ('' for
 * everything, else like `/app`) to `run` and every other request to the next middleware.
 * Not async itself: a matched request gets `run`'s own promise, no wrapper and its extra
 * microtask turn.
 *
 * @example
 * const middleware = mountedMiddleware('/app', (ctx, scriptName, rest) => pool.run(makeCall(ctx, scriptName, rest)));
 */
export function mountedMiddleware(mount: string, run: MountedRun): (ctx: Context, next: () => Promise<void>) => Promise<void> {
  return (ctx, next) => {
    // Matched on the normal form even when the app does not normalise paths, so that
    // `//app/x` or `/x/../app/x` cannot pass the mount by to a static file server.
    const path = normalizePath(ctx.path);
    if (path === null) return next();
    if (mount === '') return run(ctx, '', path);
    // Mounted at "/app": "/app" and "/app/..." belong to the application, "/apple" does not.
    if (!path.startsWith(mount) || (path.length > mount.length && path.charCodeAt(mount.length) !== 0x2f)) return next();
    return run(ctx, mount, path.slice(mount.length));
  };
}
