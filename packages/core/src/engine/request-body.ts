/**
 * The request body as a Node Readable, fed by the connection as bytes arrive.
 * Reading it is what triggers `100 Continue` and lets a paused socket resume,
 * so backpressure reaches the client. Must never parse or frame bytes itself.
 */

import { Readable } from 'node:stream';

/** What the body asks of the connection that feeds it. */
export interface BodySource {
  /** The consumer wants more: send 100 Continue if owed, resume reading. */
  bodyWanted(): void;
  /** The consumer destroyed the body before its end. */
  bodyDestroyed(): void;
}

const HIGH_WATER_MARK = 64 * 1024;

function ignoreError(): void {}

/** A request body as a Readable; created by the connection, read by the app (`ctx.req`). */
export class RequestBody extends Readable {
  readonly #source: BodySource;
  /** Bytes announced by Content-Length, or -1 for chunked. */
  readonly declaredLength: number;

  constructor(source: BodySource, declaredLength: number) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.#source = source;
    this.declaredLength = declaredLength;
    // The engine fails the body when the client aborts or times out; an app that never read
    // it must not crash the process with an unhandled 'error'. Readers still get the error.
    this.on('error', ignoreError);
  }

  override _read(): void {
    this.#source.bodyWanted();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.readableEnded) this.#source.bodyDestroyed();
    callback(error);
  }
}
