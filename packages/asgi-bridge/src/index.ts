/**
 * `@sluice/asgi-bridge` — public API: the `asgi()` middleware that serves Python ASGI 3
 * applications (FastAPI, Starlette, Django's ASGI handler, any ASGI callable) from a pool
 * of asyncio Python workers.
 *
 * @packageDocumentation
 * @module @sluice/asgi-bridge
 */

export { asgi, type AsgiMiddleware } from './middleware.js';
export { defaults, type AsgiOptions, type LifespanMode, type LoopChoice } from './options.js';
export { AsgiError, asgiErrors, asgiErrorRegistry, type AsgiErrorName } from './errors.js';
export type { PoolStats } from '@sluice/python-workers';
export { WORKER_SCRIPT } from './worker-script.js';
