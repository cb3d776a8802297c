/**
 * Options of `asgi()`: their types, the one `defaults` object, and validation with a
 * message naming the bad key. Must never start processes or touch requests.
 */

import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Logger } from '@sluice/core';
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
export interface ResolvedOptions {
  app: string;
  python: string;
  cwd: string;
  pythonPath: string[];
  env: Record<string, string>;
  workers: number;
  concurrency: number;
  mount: string;
  timeoutMs: number;
  maxQueue: number;
  queueTimeoutMs: number;
  startupTimeoutMs: number;
  maxRequests: number;
  reload: boolean;
  lifespan: LifespanMode;
  loop: LoopChoice;
  maxMessageBytes: number;
  logger: Logger | undefined;
}

/** The defaults, in one place. */
export const defaults = {
  python: 'python3',
  pythonPath: [] as string[],
  env: {} as Record<string, string>,
  concurrency: 1000,
  mount: '',
  timeoutMs: 30_000,
  maxQueue: 100,
  queueTimeoutMs: 30_000,
  startupTimeoutMs: 30_000,
  maxRequests: 0,
  reload: false,
  lifespan: 'auto' as LifespanMode,
  loop: 'auto' as LoopChoice,
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

// Compared with the raw (still percent-encoded) request path, so it may not need encoding itself.
const MOUNT_RE = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*$/;
const APP_SPEC_RE = /^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*(\(\))?)?$/;

function bad(key: string, message: string): never {
  throw new AsgiError('BAD_OPTION', `asgi() option "${key}" ${message}`);
}

function positiveInt(options: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) bad(key, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function oneOf<T extends string>(key: string, value: unknown, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) bad(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Applies the defaults and checks every option; throws an AsgiError naming the bad key. */
export function resolveOptions(input: AsgiOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new AsgiError('BAD_OPTION', 'asgi() needs an options object');
  const options = input as unknown as Record<string, unknown>;
  const known = new Set(['app', 'python', 'cwd', 'pythonPath', 'env', 'workers', 'concurrency', 'mount', 'timeoutMs', 'maxQueue',
    'queueTimeoutMs', 'startupTimeoutMs', 'maxRequests', 'reload', 'lifespan', 'loop', 'maxMessageBytes', 'logger']);
  for (const key of Object.keys(options)) if (!known.has(key)) bad(key, 'is not a known option');
  if (typeof input.app !== 'string' || !APP_SPEC_RE.test(input.app)) bad('app', `must look like "module:attr", got ${JSON.stringify(input.app)}`);
  if (input.python !== undefined && (typeof input.python !== 'string' || input.python === '')) bad('python', 'must be a non-empty string');
  if (input.cwd !== undefined && typeof input.cwd !== 'string') bad('cwd', 'must be a string');
  if (input.pythonPath !== undefined && (!Array.isArray(input.pythonPath) || input.pythonPath.some((p) => typeof p !== 'string'))) {
    bad('pythonPath', 'must be an array of strings');
  }
  if (input.env !== undefined && (typeof input.env !== 'object' || input.env === null || Object.values(input.env).some((v) => typeof v !== 'string'))) {
    bad('env', 'must be an object of strings');
  }
  const mount = input.mount ?? defaults.mount;
  if (typeof mount !== 'string' || !MOUNT_RE.test(mount)) {
    bad('mount', `must be '' or an unencoded ASCII path like "/app" (no trailing "/"), got ${JSON.stringify(mount)}`);
  }
  if (input.reload !== undefined && typeof input.reload !== 'boolean') bad('reload', 'must be a boolean');
  const logger = input.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function')) bad('logger', 'must be a logger');
  // A message crosses the worker channel as one frame, which may not exceed 64 MiB.
  if (typeof input.maxMessageBytes === 'number' && input.maxMessageBytes > 64 * 1024 * 1024 - 64) bad('maxMessageBytes', 'must be at most 64 MiB - 64');
  const cwd = path.resolve(input.cwd ?? process.cwd());
  return {
    app: input.app,
    python: input.python ?? defaults.python,
    cwd,
    pythonPath: (input.pythonPath ?? defaults.pythonPath).map((p) => path.resolve(cwd, p)),
    env: { ...defaults.env, ...input.env },
    workers: positiveInt(options, 'workers', availableParallelism(), 1),
    concurrency: positiveInt(options, 'concurrency', defaults.concurrency, 1),
    mount,
    timeoutMs: positiveInt(options, 'timeoutMs', defaults.timeoutMs, 1),
    maxQueue: positiveInt(options, 'maxQueue', defaults.maxQueue, 0),
    queueTimeoutMs: positiveInt(options, 'queueTimeoutMs', defaults.queueTimeoutMs, 1),
    startupTimeoutMs: positiveInt(options, 'startupTimeoutMs', defaults.startupTimeoutMs, 1),
    maxRequests: positiveInt(options, 'maxRequests', defaults.maxRequests, 0),
    reload: input.reload ?? defaults.reload,
    lifespan: oneOf('lifespan', input.lifespan, defaults.lifespan, ['auto', 'on', 'off']),
    loop: oneOf('loop', input.loop, defaults.loop, ['auto', 'asyncio', 'uvloop']),
    maxMessageBytes: positiveInt(options, 'maxMessageBytes', defaults.maxMessageBytes, 1),
    logger,
  };
}
