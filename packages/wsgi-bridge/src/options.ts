/**
 * Options of `wsgi()`: their types, the one `defaults` object, and validation with a
 * message naming the bad key. Must never start processes or touch requests.
 */

import path from 'node:path';
import type { Logger } from '@sluice/core';
import { bridgeDefaults, positiveInt, resolveBridgeOptions, type BridgeOptions } from '@sluice/python-workers';
import { WsgiError } from './errors.js';

/** Whether a request body is read whole before a worker takes the request (`buffer`) or streamed to it (`stream`). */
export type RequestBuffering = 'buffer' | 'stream';

/** Options of {@link wsgi}. */
export interface WsgiOptions {
  /** The application as `module:callable` (`callable` may be dotted, or `factory()` to call a factory). Required. */
  app: string;
  /** Python executable. Default `python3`. */
  python?: string;
  /** Working directory of the workers; also put first on `sys.path`. Default: the Node process's. */
  cwd?: string;
  /** Directories prepended to `PYTHONPATH`. Default none. */
  pythonPath?: string[];
  /** Environment variables for the workers, added to the Node process's environment. */
  env?: Record<string, string>;
  /** Worker processes. Default: the number of CPUs. */
  workers?: number;
  /** Threads per worker (requests one worker runs at once). Default 1. */
  threads?: number;
  /**
   * Requests sent ahead to a busy single-threaded worker, which runs them in order (0: none).
   * Under load Node and Python then exchange batches instead of one request per round trip;
   * a request sent ahead is taken back for a worker that becomes idle, if it has not started.
   * Default 8 (against 4: Flask hello +15 % req/s, plain hello +50 %, half the context switches
   * per request, with Node and one worker on one core; 16 gained nothing more on Flask).
   */
  pipeline?: number;
  /**
   * Longest a single-threaded worker holds the response frames it has produced, to write them
   * to Node together when it next waits for work (one wake-up of the Node process per batch,
   * not per response). 0: every frame is written at once. Ignored with `threads > 1`, and off
   * in a worker whose application uses SIGALRM (see the README). Default 1.
   */
  responseBatchMs?: number;
  /** URL prefix the application is mounted at (`SCRIPT_NAME`); other paths go to the next middleware. Default '' (everything). */
  mount?: string;
  /** Longest a request may go without its worker producing anything (head, body chunk, body read); then the worker is killed and the client gets 504. Default 30000. */
  timeoutMs?: number;
  /** Requests that may wait for a worker; one more gets 503. Default 100. */
  maxQueue?: number;
  /** Longest a request waits in the queue before 503. Default 30000. */
  queueTimeoutMs?: number;
  /** Longest a worker may take to import the application. Default 30000. */
  startupTimeoutMs?: number;
  /** Replace a worker after it served this many requests (0: never). Default 0. */
  maxRequests?: number;
  /** Development: replace the workers when a `.py` file under `cwd` or `pythonPath` changes. Default false. */
  reload?: boolean;
  /**
   * `buffer`: a request body is read whole (memory, then a temporary file) before the
   * request goes to a worker, so a client sending slowly holds a connection, not a worker;
   * the app's `limits.maxBufferedBodyBytes` bounds all buffered bodies together (→ 503), and
   * a chunked body gets a CONTENT_LENGTH. `stream`: `wsgi.input` reads the client as it
   * sends (large uploads without a copy on disk; a slow client holds a worker). Default `buffer`.
   */
  requestBuffering?: RequestBuffering;
  /** Buffered request bodies up to this size are held in memory; larger ones go to a temporary file. Default 64 KiB. */
  bodyMemoryBytes?: number;
  /** Largest request body buffered; larger → 413. Default 64 MiB. */
  maxSpoolBytes?: number;
  /** Directory of the temporary files of buffered bodies. Default the OS temp dir. */
  tempDir?: string;
  /** Where worker output and bridge events go. Default: the logger of the application the middleware runs in (the console before its first request). */
  logger?: Logger;
}

/** Options with every default applied. */
export interface ResolvedOptions extends BridgeOptions {
  threads: number;
  pipeline: number;
  responseBatchMs: number;
  requestBuffering: RequestBuffering;
  bodyMemoryBytes: number;
  maxSpoolBytes: number;
  tempDir: string | undefined;
}

/** The defaults, in one place (those every Python bridge shares come from `@sluice/python-workers`). */
export const defaults = {
  ...bridgeDefaults,
  threads: 1,
  pipeline: 8,
  responseBatchMs: 1,
  requestBuffering: 'buffer' as RequestBuffering,
  bodyMemoryBytes: 64 * 1024,
  maxSpoolBytes: 64 * 1024 * 1024,
} as const;

// How the worker learns responseBatchMs (it removes the variable before importing the application).
const RESPONSE_BATCH_ENV = 'SLUICE_WSGI_RESPONSE_BATCH_MS';
const MAX_RESPONSE_BATCH_MS = 1000;

function bad(key: string, message: string): never {
  throw new WsgiError('BAD_OPTION', `wsgi() option "${key}" ${message}`);
}

/** Applies the defaults and checks every option; throws a WsgiError naming the bad key. */
export function resolveOptions(input: WsgiOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new WsgiError('BAD_OPTION', 'wsgi() needs an options object');
  const options = input as unknown as Record<string, unknown>;
  const known = new Set(['app', 'python', 'cwd', 'pythonPath', 'env', 'workers', 'threads', 'pipeline', 'responseBatchMs', 'mount', 'timeoutMs', 'maxQueue',
    'queueTimeoutMs', 'startupTimeoutMs', 'maxRequests', 'reload', 'logger',
    'requestBuffering', 'bodyMemoryBytes', 'maxSpoolBytes', 'tempDir']);
  const shared = resolveBridgeOptions(options, known, 'module:callable', bad);
  const requestBuffering = input.requestBuffering ?? defaults.requestBuffering;
  if (requestBuffering !== 'buffer' && requestBuffering !== 'stream') bad('requestBuffering', `must be "buffer" or "stream", got ${JSON.stringify(requestBuffering)}`);
  if (input.tempDir !== undefined && (typeof input.tempDir !== 'string' || input.tempDir === '')) bad('tempDir', 'must be a directory path');
  const responseBatchMs = input.responseBatchMs ?? defaults.responseBatchMs;
  if (typeof responseBatchMs !== 'number' || !(responseBatchMs >= 0 && responseBatchMs <= MAX_RESPONSE_BATCH_MS)) {
    bad('responseBatchMs', `must be a number from 0 to ${MAX_RESPONSE_BATCH_MS}, got ${String(responseBatchMs)}`);
  }
  return {
    ...shared,
    env: { ...shared.env, [RESPONSE_BATCH_ENV]: String(responseBatchMs) },
    threads: positiveInt(options, 'threads', defaults.threads, 1, bad),
    pipeline: positiveInt(options, 'pipeline', defaults.pipeline, 0, bad),
    responseBatchMs,
    requestBuffering,
    bodyMemoryBytes: positiveInt(options, 'bodyMemoryBytes', defaults.bodyMemoryBytes, 0, bad),
    maxSpoolBytes: positiveInt(options, 'maxSpoolBytes', defaults.maxSpoolBytes, 0, bad),
    tempDir: input.tempDir === undefined ? undefined : path.resolve(shared.cwd, input.tempDir),
  };
}
