/**
 * One HTTP request's trip through an ASGI worker: the promise the middleware awaits, the
 * frames the worker sends for it (head, body chunks, body pulls, errors) turned into `ctx`
 * changes, the request body forwarded on demand (`receive()` pulls it), the client's
 * disconnect forwarded (`http.disconnect`), and the failure outcomes (500, 502, 504).
 * Must never choose a worker or spawn processes: the pool does.
 */

import type { Readable } from 'node:stream';
import type { Context, Logger } from '@sluice/core';
import { encodeFrame, FromWorker, logFrame, RequestBodyFeed, ResponseStream, ToWorker, type CallHost, type PoolCall, type StreamOwner } from '@sluice/python-workers';
import { AsgiError, pythonError } from './errors.js';
import { applyHead } from './response-head.js';
import { encodeScope } from './scope.js';

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export class AsgiCall implements PoolCall, StreamOwner {
  readonly ctx: Context;
  /** `root_path`: the mount prefix. */
  readonly rootPath: string;
  /** The (still encoded) path after the mount prefix. */
  readonly rest: string;
  readonly logger: Logger;
  id = 0;
  host: CallHost | null = null;
  lastActivity: number;
  readonly promise: Promise<void>;
  started = false;
  cancelling = false;
  /** The worker sent its terminal frame (or the request was failed): nothing more comes. */
  finished = false;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  #answered = false;
  #stream: ResponseStream | null = null;
  /** The request body, forwarded a chunk per PULL once the application first calls `receive()`. */
  #body: RequestBodyFeed | null = null;
  #aborted = false;

  constructor(ctx: Context, rootPath: string, rest: string, logger: Logger) {
    this.ctx = ctx;
    this.rootPath = rootPath;
    this.rest = rest;
    this.logger = logger;
    this.lastActivity = Date.now();
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The client went away: the application hears `http.disconnect`; the middleware is done.
    ctx.onAbort(() => this.#clientGone());
  }

  /** The REQUEST frame: the scope, for the worker to start the application on. */
  requestFrame(): Buffer {
    return encodeScope(this.ctx, this.id, this.rootPath, this.rest);
  }

  /** Handles a frame from the worker; returns true when it was the request's terminal frame. */
  onFrame(type: number, payload: Buffer): boolean {
    this.lastActivity = Date.now();
    this.started = true;
    switch (type) {
      case FromWorker.Full:
        this.finished = true;
        this.#head(payload, true);
        return true;
      case FromWorker.Head:
        this.#head(payload, false);
        return false;
      case FromWorker.Data:
        this.#stream?.feed(payload);
        return false;
      case FromWorker.End:
        this.finished = true;
        if (this.#stream !== null) {
          if (payload.length > 0) this.#stream.feed(payload);
          this.#stream.complete();
        }
        return true;
      case FromWorker.Pull:
        // BODY_END goes with the last declared byte, so the worker's last chunk carries more_body=False.
        (this.#body ??= new RequestBodyFeed(this, this.ctx.req as unknown as Readable, this.ctx.request.length ?? -1)).pull();
        return false;
      case FromWorker.Error:
      case FromWorker.Failed:
        this.finished = true;
        this.fail(pythonError('APP_ERROR', payload.toString('utf8')));
        return true;
      case FromWorker.Log:
        logFrame(this.logger, 'asgi', this.ctx, payload);
        return false;
      default:
        this.logger.error(`asgi: unexpected frame type ${type} from the worker`);
        return false;
    }
  }

  /**
   * Ends the request with `error`: thrown to the error middleware if no response was
   * given yet, else the response stream fails and the connection is aborted.
   */
  fail(error: AsgiError): void {
    this.finished = true;
    if (!this.#answered) {
      this.#answered = true;
      if (this.#aborted) this.#resolve();
      else this.#reject(error);
    } else if (this.#stream !== null) {
      this.#stream.fail(error);
    }
  }

  detach(): void {
    this.host = null;
    this.id = 0;
    this.cancelling = false;
  }

  /** Tells the worker the client went away: the application hears `http.disconnect`. */
  #sendAbort(): void {
    if (!this.finished && this.host !== null) this.host.send(encodeFrame(ToWorker.Abort, this.id));
  }

  #clientGone(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#sendAbort();
    // Nobody is waiting for an answer any more; the worker still ends the request (END), freeing its seat.
    if (!this.#answered) {
      this.#answered = true;
      this.#resolve();
    }
  }

  #answer(): void {
    this.#answered = true;
    this.#resolve();
  }

  #head(payload: Buffer, complete: boolean): void {
    if (this.#answered) return;
    const headLength = payload.readUInt32BE(0);
    const head = (payload as Latin1Buffer).latin1Slice(4, 4 + headLength);
    let facts;
    try {
      facts = applyHead(this.ctx, head, this.logger);
    } catch (error) {
      this.#answered = true;
      this.#reject(error as Error);
      if (!complete) this.#sendAbort();
      return;
    }
    const ctx = this.ctx;
    const body = payload.subarray(4 + headLength);
    if (complete && (facts.declaredLength < 0 || body.length === facts.declaredLength)) {
      ctx.body = body;
    } else {
      if (facts.declaredLength >= 0) ctx.set('Content-Length', String(facts.declaredLength));
      const stream = new ResponseStream(this, facts.declaredLength, 'asgi');
      this.#stream = stream;
      ctx.body = stream;
      if (body.length > 0) stream.feed(body);
      if (complete) stream.complete();
    }
    if (!facts.hasType) ctx.remove('Content-Type');
    this.#answer();
  }
}
