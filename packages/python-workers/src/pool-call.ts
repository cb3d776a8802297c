/**
 * What the pool and its workers need from one request of a bridge (a WSGI or ASGI call),
 * and what a call needs from the worker running it. Must never hold behaviour: the
 * bridges implement calls, the pool only moves them between workers.
 */

import type { Context } from '@sluice/core';
import type { SluiceError } from '@sluice/core';

/** What a call needs from the worker running it. */
export interface CallHost {
  /** The worker's process id (`/proc/<pid>/fd/...` for files it hands over). */
  readonly pid: number;
  /** Writes a frame to the worker (batched per event-loop turn). */
  send(frame: Buffer): void;
}

/**
 * One request's trip through a worker, as the pool sees it. A bridge's call class
 * implements it: it turns the worker's frames into `ctx` changes and settles `promise`.
 */
export interface PoolCall {
  /** The request. */
  readonly ctx: Context;
  /** Settles when `ctx` holds the response (or rejects with the error to throw). */
  readonly promise: Promise<void>;
  /** Request id on its worker's channel, once dispatched (set by the worker). */
  id: number;
  /** The worker running it, once dispatched (set by the worker). */
  host: CallHost | null;
  /** When something last happened on this request (ms): timeouts count from here. */
  lastActivity: number;
  /** The worker sent something for it: the application has started on it. */
  started: boolean;
  /** Node asked the worker to give it back (it was sent ahead and another worker is idle). */
  cancelling: boolean;
  /** The first frame of the request (its `id` is set): what the worker needs to start it. */
  requestFrame(): Buffer;
  /** Handles a frame from the worker; returns true when it was the request's terminal frame. */
  onFrame(type: number, payload: Buffer): boolean;
  /** Ends the request with `error` (thrown to the error middleware, or the response aborted). */
  fail(error: SluiceError): void;
  /** Detaches it from the worker that gave it back unstarted, to be dispatched again. */
  detach(): void;
}
