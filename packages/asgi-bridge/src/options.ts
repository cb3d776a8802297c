/**
 * Options of `asgi()`: their types, the one `defaults` object, and validation with a
 * message naming the bad key. Must never start processes or touch requests.
 */

import type { Logger } from '@sluice/core';
import { bridgeDefaults, oneOf, positiveInt, resolveBridgeOptions, type BridgeOptions } from '@sluice/python-workers';
import { AsgiError } from './errors.js';

/** Whether the worker runs the application's `lifespan` scope: `auto` tolerates an app without one, `on` requires it, `off` skips it. */
export type LifespanMode = 'auto' | 'on' | 'off';

/** The worker's event loop: `auto` takes uvloop when importable, else asyncio's own. */
export type LoopChoice = 'auto' | 'asyncio' | 'uvloop';

/** Options of {@link asgi}. */
export interface AsgiOptions {
  /** The application as `module:attr` (`attr` may be dotted, or `factory()` to call a factory; default attribute `app`). Required. */
  app: string;
  /** Python executable. Default `python3`. */
  python?: string;
  /** Working directory of the workers; also put first on `sys.path`. Default: the Node process's. */
  cwd?: string;
  /** Directories prepended to `PYTHONPATH`. Default none. */
  pythonPath?: string[];
  /** Environment variables for the workers, added to the Node process's environment. */
  env?: Record<string, string>;
  /** Worker processes, each one asyncio event loop. Default: the number of CPUs. */
  workers?: number;
  /** Requests one worker runs at once (its coroutines in flight); more wait in the queue. Default 1000. */
  concurrency?: number;
  /** URL prefix the application is mounted at (the scope's `root_path`); other paths go to the next middleware. Default '' (everything). */
  mount?: string;
  /** Longest a request may go without its worker producing anything (head, body chunk, body read); then the worker is killed and the client gets 504. Default 30000. */
  timeoutMs?: number;
  /** Requests that may wait for a worker; one more gets 503. Default 100. */
  maxQueue?: number;
  /** Longest a request waits in the queue before 503. Default 30000. */
  queueTimeoutMs?: number;
  /** Longest a worker may take to import the application and run its lifespan startup. Default 30000. */
  startupTimeoutMs?: number;
  /** Replace a worker after it served this many requests (0: never). Default 0. */
  maxRequests?: number;
  /** Development: replace the workers when a `.py` file under `cwd` or `pythonPath` changes. Default false. */
  reload?: boolean;
  /** The `lifespan` protocol: `auto` (as uvicorn: used if the application supports it), `on`, `off`. Default `auto`. */
  lifespan?: LifespanMode;
  /** Event loop: `auto` (uvloop when importable), `asyncio`, `uvloop` (start-up fails without it). Default `auto`. */
  loop?: LoopChoice;
  /** Largest WebSocket message, each way: a client's larger message closes its connection with 1009; the application's raises in `send()`. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Where worker output and bridge events go. Default: the logger of the application the middleware runs in (the console before its first request). */
  logger?: Logger;
}

/** Options with every default applied. */
export interface ResolvedOptions extends BridgeOptions {
  concurrency: number;
  lifespan: LifespanMode;
  loop: LoopChoice;
  maxMessageBytes: number;
}

/** The defaults, in one place (those every Python bridge shares come from `@sluice/python-workers`). */
export const defaults = {
  ...bridgeDefaults,
  concurrency: 1000,
  lifespan: 'auto' as LifespanMode,
  loop: 'auto' as LoopChoice,
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

function bad(key: string, message: string): never {
  throw new AsgiError('BAD_OPTION', `asgi() option "${key}" ${message}`);
}

/** Applies the defaults and checks every option; throws an AsgiError naming the bad key. */
export function resolveOptions(input: AsgiOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new AsgiError('BAD_OPTION', 'asgi() needs an options object');
  const options = input as unknown as Record<string, unknown>;
  const known = new Set(['app', 'python', 'cwd', 'pythonPath', 'env', 'workers', 'concurrency', 'mount', 'timeoutMs', 'maxQueue',
    'queueTimeoutMs', 'startupTimeoutMs', 'maxRequests', 'reload', 'lifespan', 'loop', 'maxMessageBytes', 'logger']);
  const shared = resolveBridgeOptions(options, known, 'module:attr', bad);
  // A message crosses the worker channel as one frame, which may not exceed 64 MiB.
  if (typeof input.maxMessageBytes === 'number' && input.maxMessageBytes > 64 * 1024 * 1024 - 64) bad('maxMessageBytes', 'must be at most 64 MiB - 64');
  return {
    ...shared,
    concurrency: positiveInt(options, 'concurrency', defaults.concurrency, 1, bad),
    lifespan: oneOf('lifespan', input.lifespan, defaults.lifespan, ['auto', 'on', 'off'], bad),
    loop: oneOf('loop', input.loop, defaults.loop, ['auto', 'asyncio', 'uvloop'], bad),
    maxMessageBytes: positiveInt(options, 'maxMessageBytes', defaults.maxMessageBytes, 1, bad),
  };
}
