/**
 * Where the ASGI worker program lives and the arguments it takes. Must never start
 * processes: the shared pool of `@sluice/python-workers` does.
 */

import { fileURLToPath } from 'node:url';
import type { ResolvedOptions } from './options.js';

/** Path of the Python worker program shipped in this package. */
export const WORKER_SCRIPT = fileURLToPath(new URL('../python/sluice_asgi_worker.py', import.meta.url));

/** The worker's command-line arguments: the application, the lifespan mode, the event loop and the largest WebSocket message. */
export function workerArgs(options: ResolvedOptions): string[] {
  return [options.app, options.lifespan, options.loop, String(options.maxMessageBytes)];
}
