/**
 * `@sluice/wsgi-bridge` — public API: the `wsgi()` middleware that serves Python WSGI
 * applications (Django, Flask, any PEP 3333 callable) from a pool of Python workers.
 *
 * @packageDocumentation
 * @module @sluice/wsgi-bridge
 */

export { wsgi, type WsgiMiddleware } from './middleware.js';
export { defaults, type RequestBuffering, type WsgiOptions } from './options.js';
export { WsgiError, wsgiErrors, wsgiErrorRegistry, type WsgiErrorName } from './errors.js';
export type { PoolStats } from '@sluice/python-workers';
export { WORKER_SCRIPT } from './worker-script.js';
