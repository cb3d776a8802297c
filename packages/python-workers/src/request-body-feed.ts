/**
 * A request body forwarded to a Python worker on demand: each PULL frame gets the next chunk
 * the client (or the buffered copy) has (a BODY frame), and BODY_END once the body is over.
 * Must never read ahead of the worker's pulls (the worker's reads are the back-pressure) nor
 * decide where the body comes from: the bridge's call hands it the stream.
 */

import type { Readable } from 'node:stream';
import { encodeFrame, ToWorker } from './framing.js';
import type { CallHost } from './pool-call.js';

/** What a request body feed needs from the request (the bridge's call) it belongs to. */
export interface BodyFeedOwner {
  /** Request id on its worker's channel. */
  readonly id: number;
  /** The worker running the request (body frames go to it), or null. */
  readonly host: CallHost | null;
  /** The worker sent its terminal frame (or the request was failed): nothing is sent any more. */
  readonly finished: boolean;
  /** When something last happened on the request (ms); forwarding a chunk counts. */
  lastActivity: number;
}

/**
 * The body of one request, forwarded a chunk per PULL.
 *
 * @example
 * feed ??= new RequestBodyFeed(call, ctx.req, -1);
 * feed.pull();   // each PULL frame
 */
export class RequestBodyFeed {
  readonly #owner: BodyFeedOwner;
  readonly #source: Readable;
  /** Body length after which BODY_END goes right behind the BODY carrying the last byte, or -1. */
  readonly #endAt: number;
  #wanted = false;
  #ended = false;
  #endSent = false;
  #forwarded = 0;

  /**
   * Starts listening to `source`.
   * @param owner the request it belongs to
   * @param source the body: the client's request stream or a buffered copy
   * @param endAt the declared length, when the worker wants BODY_END with the last byte
   * (so its last chunk says no more comes) rather than at its next pull; else -1
   */
  constructor(owner: BodyFeedOwner, source: Readable, endAt: number) {
    this.#owner = owner;
    this.#source = source;
    this.#endAt = endAt;
    source.on('readable', () => this.#forward());
    source.once('end', () => {
      this.#ended = true;
      this.#forward();
    });
    source.once('error', () => {
      this.#ended = true;
      // The client's body broke off: the worker stops the application.
      if (!owner.finished && owner.host !== null) owner.host.send(encodeFrame(ToWorker.Abort, owner.id));
    });
  }

  /** The worker asked for more (a PULL frame): sends the next chunk now or when it comes. */
  pull(): void {
    this.#wanted = true;
    this.#forward();
  }

  #forward(): void {
    const owner = this.#owner;
    if (!this.#wanted || owner.finished || owner.host === null) return;
    if (this.#ended) {
      this.#wanted = false;
      if (!this.#endSent) owner.host.send(encodeFrame(ToWorker.BodyEnd, owner.id));
      this.#endSent = true;
      return;
    }
    const chunk = this.#source.read() as Buffer | null;
    if (chunk === null) return;
    this.#wanted = false;
    owner.lastActivity = Date.now();
    owner.host.send(encodeFrame(ToWorker.Body, owner.id, chunk));
    this.#forwarded += chunk.length;
    if (this.#forwarded === this.#endAt) {
      this.#ended = true;
      this.#endSent = true;
      owner.host.send(encodeFrame(ToWorker.BodyEnd, owner.id));
    }
  }
}
