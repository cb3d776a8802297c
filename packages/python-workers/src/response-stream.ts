/**
 * The response body of a streamed response from a Python worker, as the Readable that `ctx.body` holds,
 * with its bookkeeping: the worker's chunks pushed (counted against the declared Content-Length),
 * credit granted for what the client side consumed (flow control back to Python), the worker told to
 * stop when it is destroyed early, and a failure after the head turned into an aborted response.
 * Must never parse frames or settle the request: the bridge's call does.
 */

import { Readable } from 'node:stream';
import type { Context, Logger } from '@sluice/core';
import { encodeFrame, encodeU32Frame, ToWorker } from './framing.js';
import type { CallHost } from './pool-call.js';

/** What a streamed response needs from the request (the bridge's call) it belongs to. */
export interface StreamOwner {
  /** The request: its method and URL name it in the log, `headerSent` decides how a failure aborts. */
  readonly ctx: Context;
  /** Where a body shorter than its Content-Length is reported. */
  readonly logger: Logger;
  /** Request id on its worker's channel. */
  readonly id: number;
  /** The worker running the request (credit and abort frames go to it), or null. */
  readonly host: CallHost | null;
  /** The worker sent its terminal frame (or the request was failed): no credit or abort is sent any more. */
  readonly finished: boolean;
  /** When something last happened on the request (ms); granting credit counts. */
  lastActivity: number;
}

// The worker's window (256 KiB, in the Python worker) bounds what is in flight; this bounds what waits here.
const HIGH_WATER_MARK = 64 * 1024;

/**
 * A response body fed by a worker's body frames; reading it grants the worker credit.
 *
 * @example
 * const stream = new ResponseStream(call, declaredLength, 'wsgi');
 * ctx.body = stream;
 * stream.feed(chunk);   // each DATA frame
 * stream.complete();    // END
 */
export class ResponseStream extends Readable {
  readonly #owner: StreamOwner;
  /** The Content-Length the application declared, or -1. */
  readonly #declaredLength: number;
  /** The bridge's name in log messages (`wsgi`, `asgi`). */
  readonly #label: string;
  #received = 0;
  #uncredited = 0;

  /**
   * @param owner the request it belongs to
   * @param declaredLength the Content-Length the application declared, or -1
   * @param label the bridge's name in log messages (`wsgi`, `asgi`)
   */
  constructor(owner: StreamOwner, declaredLength: number, label: string) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.#owner = owner;
    this.#declaredLength = declaredLength;
    this.#label = label;
  }

  /** Pushes a chunk of the body (copied: the chunk is a view of the channel's read buffer). */
  feed(chunk: Buffer): void {
    if (this.destroyed) return;
    this.#received += chunk.length;
    this.#uncredited += chunk.length;
    this.push(Buffer.from(chunk));
  }

  /** The worker ended the body; one shorter than its Content-Length is logged (the connection is then aborted). */
  complete(): void {
    if (this.destroyed) return;
    if (this.#declaredLength >= 0 && this.#received < this.#declaredLength) {
      const ctx = this.#owner.ctx;
      this.#owner.logger.error(`${this.#label}: response body shorter than its Content-Length (${this.#received} of ${this.#declaredLength} bytes); connection aborted`,
        { method: ctx.method, url: ctx.url });
    }
    this.push(null);
  }

  /** The request failed after its head: the stream fails with `error` and the connection is aborted. */
  fail(error: Error): void {
    if (this.destroyed) return;
    // The worker already committed to this response: let respond() send the head and what
    // was buffered (it runs in the microtasks after the middleware resolved), then abort.
    // Destroying now would turn it into a 500 depending on how the frames were batched.
    if (this.#owner.ctx.headerSent) this.destroy(error);
    else setImmediate(() => this.destroy(error));
  }

  override _read(): void {
    // The consumer wants more: grant the worker credit for what was consumed.
    const owner = this.#owner;
    if (this.#uncredited === 0 || owner.finished || owner.host === null) return;
    owner.host.send(encodeU32Frame(ToWorker.Credit, owner.id, this.#uncredited));
    this.#uncredited = 0;
    owner.lastActivity = Date.now();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before the end (client disconnected): the worker stops the application.
    const owner = this.#owner;
    if (!this.readableEnded && !owner.finished && owner.host !== null) owner.host.send(encodeFrame(ToWorker.Abort, owner.id));
    callback(error);
  }
}
