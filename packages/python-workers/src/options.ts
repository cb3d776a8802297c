/**
 * Options of a worker pool: what a bridge hands `WorkerPool` once it has resolved and
 * validated its own options, and how the pool names its failures in the bridge's
 * error registry. Must never validate user input: the bridges do, with their own messages.
 */

import type { Logger, SluiceError, SluiceErrorOptions } from '@sluice/core';

/** The failures the pool itself raises; each bridge maps them to a code of its own registry. */
export type PoolFailure = 'WORKER_CRASHED' | 'TIMEOUT' | 'QUEUE_FULL' | 'QUEUE_TIMEOUT' | 'NOT_STARTED' | 'CLOSED' | 'STARTUP';

/** Builds the bridge's error for a pool failure (`message` replaces the registered default). */
export type PoolErrorFactory = (failure: PoolFailure, message?: string, options?: SluiceErrorOptions) => SluiceError;

/** Everything a pool needs, defaults already applied by the bridge. */
export interface PoolOptions {
  /** The protocol's name in messages: `WSGI` or `ASGI`. */
  protocol: string;
  /** The worker program (a Python file). */
  script: string;
  /** Arguments after the script. */
  args: string[];
  /** The application spec, for messages (`module:attr`). */
  app: string;
  /** Python executable. */
  python: string;
  /** Working directory of the workers (absolute). */
  cwd: string;
  /** Directories prepended to `PYTHONPATH` (absolute). */
  pythonPath: string[];
  /** Environment added to the Node process's. */
  env: Record<string, string>;
  /** Worker processes. */
  workers: number;
  /** Requests one worker runs at once. */
  concurrency: number;
  /** Requests sent ahead to a busy worker of concurrency 1 (0: none). */
  pipeline: number;
  /** Longest a request may go silent before its worker is killed (504). */
  timeoutMs: number;
  /** Requests that may wait for a worker; one more gets 503. */
  maxQueue: number;
  /** Longest a request waits in the queue before 503. */
  queueTimeoutMs: number;
  /** Longest a worker may take to import the application. */
  startupTimeoutMs: number;
  /** Replace a worker after it served this many requests (0: never). */
  maxRequests: number;
  /** Replace the workers when a `.py` file under `cwd` or `pythonPath` changes. */
  reload: boolean;
  /** Where worker output and pool events go (else the application's logger). */
  logger: Logger | undefined;
  /** The bridge's errors for the pool's failures. */
  error: PoolErrorFactory;
}
