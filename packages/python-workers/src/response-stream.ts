/**
 * The response body of a streamed response from a Python worker, as the Readable that `ctx.body` holds.
 * Reading from it grants the worker credit for more bytes (flow control back to Python);
 * destroying it (client gone, error) tells the worker to stop. Must never parse frames.
 */

import { Readable } from 'node:stream';

/** What the stream reports to the request it belongs to. */
export interface StreamOwner {
  /** The consumer wants more: grant the worker credit for what was consumed. */
  grantCredit(): void;
  /** The stream was destroyed before the response ended. */
  streamDestroyed(): void;
}

// The worker's window (256 KiB, in the Python worker) bounds what is in flight; this bounds what waits here.
const HIGH_WATER_MARK = 64 * 1024;

/** A response body fed by a worker's DATA frames; reading it grants the worker credit. */
export class ResponseStream extends Readable {
  readonly #owner: StreamOwner;

  constructor(owner: StreamOwner) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.#owner = owner;
  }

  override _read(): void {
    this.#owner.grantCredit();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.readableEnded) this.#owner.streamDestroyed();
    callback(error);
  }
}
