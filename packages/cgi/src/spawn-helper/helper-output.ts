/**
 * A program's stdout as relayed by the helper, with the credit that is the helper's only
 * backpressure (PROTOCOL.md, `c` frames). Must never grant credit for bytes nobody consumed,
 * except when the consumer is gone (then the helper may drain the program's output).
 */

import { Readable } from 'node:stream';

// Bytes of a program's stdout the helper may send before the server grants more. Credit is
// granted back once half of it was consumed, so a small response needs no grant at all.
export const OUTPUT_WINDOW = 64 * 1024;

/**
 * A program's stdout as relayed by the helper. The helper sends at most OUTPUT_WINDOW
 * bytes ahead; credit goes back when the consumer has taken at least half of that, so
 * a paused consumer stops the helper reading, and the program blocks on its pipe.
 */
export class HelperOutput extends Readable {
  readonly #grant: (bytes: number) => void;
  #unacknowledged = 0;
  #ended = false;

  constructor(grant: (bytes: number) => void) {
    super({ highWaterMark: OUTPUT_WINDOW });
    this.#grant = grant;
  }

  /** Bytes from the helper. */
  deliver(chunk: Buffer): void {
    if (this.destroyed) return;
    this.#unacknowledged += chunk.length;
    this.push(chunk);
  }

  /** The helper said the program's stdout is at its end (or the helper is gone). */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.push(null);
  }

  override _read(): void {
    if (this.#unacknowledged >= OUTPUT_WINDOW / 2) {
      this.#grant(this.#unacknowledged);
      this.#unacknowledged = 0;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Nobody reads any more: let the helper drain the program's output without asking.
    if (!this.#ended) this.#grant(2 ** 40);
    callback(error);
  }
}
