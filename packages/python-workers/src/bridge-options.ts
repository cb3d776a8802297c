/**
 * The options every Python bridge takes alike (the application, the Python environment, the
 * pool's sizes and timeouts, the mount, the logger): their defaults, their validation and
 * their resolution, plus the checks a bridge's own options use. Must never build an error
 * itself: the bridge's `bad` throws its own coded error with its own message prefix.
 */

import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { PoolOptions } from './options.js';

/** Throws the bridge's error for option `key` (`message` says what is wrong with it). */
export type BadOption = (key: string, message: string) => never;

/** The options every bridge resolves alike, defaults applied. */
export interface BridgeOptions extends Pick<PoolOptions, 'app' | 'python' | 'cwd' | 'pythonPath' | 'env' | 'workers' | 'timeoutMs'
  | 'maxQueue' | 'queueTimeoutMs' | 'startupTimeoutMs' | 'maxRequests' | 'reload' | 'logger'> {
  /** URL prefix the application is mounted at ('' for everything). */
  mount: string;
}

/** The defaults of {@link BridgeOptions} (`workers` defaults to the number of CPUs). */
export const bridgeDefaults = {
  python: 'python3',
  pythonPath: [] as string[],
  env: {} as Record<string, string>,
  mount: '',
  timeoutMs: 30_000,
  maxQueue: 100,
  queueTimeoutMs: 30_000,
  startupTimeoutMs: 30_000,
  maxRequests: 0,
  reload: false,
} as const;

// Compared with the raw (still percent-encoded) request path, so it may not need encoding itself.
const MOUNT_RE = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*$/;
const APP_SPEC_RE = /^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*(\(\))?)?$/;

/** `options[key]` as an integer >= `min`, `fallback` when absent; else `bad(key, ...)`. */
export function positiveInt(options: Record<string, unknown>, key: string, fallback: number, min: number, bad: BadOption): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) bad(key, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** `value` when it is one of `allowed`, `fallback` when absent; else `bad(key, ...)`. */
export function oneOf<T extends string>(key: string, value: unknown, fallback: T, allowed: readonly T[], bad: BadOption): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) bad(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/**
 * Checks the options every bridge shares and applies their defaults: a key not in `known`
 * is refused, `app` must look like `appForm` (`module:callable`, `module:attr`). The first
 * bad option throws through `bad`.
 */
export function resolveBridgeOptions(options: Record<string, unknown>, known: ReadonlySet<string>, appForm: string, bad: BadOption): BridgeOptions {
  for (const key of Object.keys(options)) if (!known.has(key)) bad(key, 'is not a known option');
  const { app, python, cwd, pythonPath, env, reload, logger } = options;
  if (typeof app !== 'string' || !APP_SPEC_RE.test(app)) bad('app', `must look like "${appForm}", got ${JSON.stringify(app)}`);
  if (python !== undefined && (typeof python !== 'string' || python === '')) bad('python', 'must be a non-empty string');
  if (cwd !== undefined && typeof cwd !== 'string') bad('cwd', 'must be a string');
  if (pythonPath !== undefined && (!Array.isArray(pythonPath) || pythonPath.some((p) => typeof p !== 'string'))) {
    bad('pythonPath', 'must be an array of strings');
  }
  if (env !== undefined && (typeof env !== 'object' || env === null || Object.values(env).some((v) => typeof v !== 'string'))) {
    bad('env', 'must be an object of strings');
  }
  const mount = options.mount ?? bridgeDefaults.mount;
  if (typeof mount !== 'string' || !MOUNT_RE.test(mount)) {
    bad('mount', `must be '' or an unencoded ASCII path like "/app" (no trailing "/"), got ${JSON.stringify(mount)}`);
  }
  if (reload !== undefined && typeof reload !== 'boolean') bad('reload', 'must be a boolean');
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof (logger as { error?: unknown }).error !== 'function')) {
    bad('logger', 'must be a logger');
  }
  const root = path.resolve((cwd as string | undefined) ?? process.cwd());
  return {
    app,
    python: (python as string | undefined) ?? bridgeDefaults.python,
    cwd: root,
    pythonPath: ((pythonPath as string[] | undefined) ?? bridgeDefaults.pythonPath).map((p) => path.resolve(root, p)),
    env: { ...bridgeDefaults.env, ...(env as Record<string, string> | undefined) },
    workers: positiveInt(options, 'workers', availableParallelism(), 1, bad),
    mount,
    timeoutMs: positiveInt(options, 'timeoutMs', bridgeDefaults.timeoutMs, 1, bad),
    maxQueue: positiveInt(options, 'maxQueue', bridgeDefaults.maxQueue, 0, bad),
    queueTimeoutMs: positiveInt(options, 'queueTimeoutMs', bridgeDefaults.queueTimeoutMs, 1, bad),
    startupTimeoutMs: positiveInt(options, 'startupTimeoutMs', bridgeDefaults.startupTimeoutMs, 1, bad),
    maxRequests: positiveInt(options, 'maxRequests', bridgeDefaults.maxRequests, 0, bad),
    reload: (reload as boolean | undefined) ?? bridgeDefaults.reload,
    logger: logger as BridgeOptions['logger'],
  };
}
