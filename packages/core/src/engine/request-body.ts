/**
 * The request body as a Node Readable, fed by the connection as bytes arrive.
 * Reading it is what triggers `100 Continue` and lets a paused socket resume,
 * so backpressure reaches the client. A body that arrived whole with its head is
 * held aside instead: `takeWhole()` hands it over without the stream machinery.
 * Must never parse or frame bytes itself.
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
  /** The whole body, when it arrived with the head and nobody has read the stream yet. */
  #held: Buffer | null = null;
  /** Every byte of it arrived before it was dispatched: the connection owes it nothing. */
  #arrivedWhole = false;

  constructor(source: BodySource, declaredLength: number) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.#source = source;
    this.declaredLength = declaredLength;
    // The engine fails the body when the client aborts or times out; an app that never read
    // it must not crash the process with an unhandled 'error'. Readers still get the error.
    this.on('error', ignoreError);
  }

  /**
   * Set by the connection before dispatch when the whole body (its Content-Length) is
   * already in the input: a 4 KiB POST usually arrives in the same read as its head.
   * It stays aside (no push, no 'data', no nextTick) until a reader asks for it.
   */
  holdWhole(body: Buffer): void {
    this.#held = body;
    this.#arrivedWhole = true;
  }

  /**
   * The whole body, when it arrived with the head and the stream has not been read (nor
   * set flowing): the stream then ends without data. Null otherwise: read the stream.
   * Saves `ctx.request.buffer()` a Readable's worth of work per request.
   */
  takeWhole(): Buffer | null {
    const held = this.#held;
    if (held === null || this.readableFlowing === true || this.readableDidRead || this.destroyed) return null;
    this.#held = null;
    this.push(null);
    // Ends the stream now ('end' on the next tick) for anyone who looks at it afterwards.
    this.read(0);
    return held;
  }

  override _read(): void {
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      this.push(held);
      this.push(null);
      return;
    }
    // A body that arrived whole owes the client no 100 Continue and the socket no resume.
    if (!this.#arrivedWhole) this.#source.bodyWanted();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#held = null;
    if (!this.readableEnded && !this.#arrivedWhole) this.#source.bodyDestroyed();
    callback(error);
  }
}
