/**
 * One request's trip through a worker: the promise the middleware awaits, the frames
 * the worker sends for it (head, body chunks, body pulls, errors, files) turned into
 * `ctx` changes, the request body forwarded on demand, and the failure outcomes
 * (500, 502, 504, aborted connection). Must never choose a worker or spawn processes:
 * the pool does.
 */

import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BufferedBody, Context, Logger } from '@sluice/core';
import { logFrame, RequestBodyFeed, ResponseStream, type CallHost, type PoolCall, type StreamOwner } from '@sluice/python-workers';
import { encodeRequest } from './environ.js';
import { encodeFrame, FromWorker, ToWorker } from './framing.js';
import { pythonError, WsgiError } from './errors.js';
import { applyHead, type HeadFacts } from './response-head.js';


type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export class WsgiCall implements PoolCall, StreamOwner {
  readonly ctx: Context;
  /** SCRIPT_NAME: the mount prefix. */
  readonly scriptName: string;
  /** The (still encoded) path after the mount prefix. */
  readonly rawPath: string;
  readonly logger: Logger;
  /** Request id on its worker's channel, once dispatched. */
  id = 0;
  host: CallHost | null = null;
  /** When something last happened on this request (ms): timeouts count from here. */
  lastActivity: number;
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  /** The middleware's promise is settled: `ctx` holds the response or the error was thrown. */
  #answered = false;
  /** The worker sent its terminal frame (or the request was failed): nothing more comes. */
  finished = false;
  /** The worker sent something for it: the application has started on it. */
  started = false;
  /** Node asked the worker to give it back (it was sent ahead and another worker is idle). */
  cancelling = false;
  #stream: ResponseStream | null = null;
  /** The request body, forwarded a chunk per PULL once the application first reads `wsgi.input`. */
  #body: RequestBodyFeed | null = null;
  /** The request body read whole before the call (requestBuffering 'buffer'), or null: read from the client. */
  readonly #buffered: BufferedBody | null;

  constructor(ctx: Context, scriptName: string, rawPath: string, logger: Logger, buffered: BufferedBody | null) {
    this.ctx = ctx;
    this.#buffered = buffered;
    this.scriptName = scriptName;
    this.rawPath = rawPath;
    this.logger = logger;
    // Set when a worker starts it (worker.start); a queued call's age is the pool's business.
    this.lastActivity = 0;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The body's length when it was buffered (known even for a chunked request), else -1. */
  get bufferedLength(): number {
    return this.#buffered === null ? -1 : this.#buffered.length;
  }

  /** The REQUEST frame: the environ, for the worker to start the application on. */
  requestFrame(): Buffer {
    return encodeRequest(this.ctx, this.id, this.scriptName, this.rawPath, this.bufferedLength);
  }

  /** Handles a frame from the worker; returns true when it was the request's terminal frame. */
  onFrame(type: number, payload: Buffer): boolean {
    this.started = true;
    // A terminal frame ends the clock: only the others need the time (one clock read less per request).
    if (type !== FromWorker.Full) this.lastActivity = Date.now();
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
        (this.#body ??= new RequestBodyFeed(this, this.#buffered === null ? this.ctx.req : this.#buffered.open(), -1)).pull();
        return false;
      case FromWorker.Error:
        this.finished = true;
        this.fail(pythonError('APP_ERROR', payload.toString('utf8')));
        return true;
      case FromWorker.Failed:
        this.finished = true;
        this.fail(pythonError('APP_ERROR', payload.toString('utf8')));
        return true;
      case FromWorker.File:
        this.#file(Buffer.from(payload)).catch((error: Error) => {
          this.logger.error(`wsgi: could not stream the file the application returned: ${error.message}`);
          this.fail(new WsgiError('BAD_RESPONSE', 'file response failed', { expose: false, cause: error }));
          // The worker waits for an answer before closing the file and ending the request.
          this.host?.send(fileAck(this.id, 1));
        });
        return false;
      case FromWorker.Log:
        logFrame(this.logger, 'wsgi', this.ctx, payload);
        return false;
      default:
        this.logger.error(`wsgi: unexpected frame type ${type} from the worker`);
        return false;
    }
  }

  /**
   * Ends the request with `error`: thrown to the error middleware if no response was
   * given yet, else the response stream fails and the connection is aborted.
   */
  fail(error: WsgiError): void {
    this.finished = true;
    if (!this.#answered) {
      this.#answered = true;
      this.#reject(error);
    } else if (this.#stream !== null) {
      this.#stream.fail(error);
    }
  }

  /** Detaches it from the worker that gave it back unstarted, to be dispatched again. */
  detach(): void {
    this.host = null;
    this.id = 0;
    this.cancelling = false;
  }

  #answer(): void {
    this.#answered = true;
    this.#resolve();
  }

  #applyHead(payload: Buffer): { facts: HeadFacts; rest: number } | null {
    const headLength = payload.readUInt32BE(0);
    const head = (payload as Latin1Buffer).latin1Slice(4, 4 + headLength);
    try {
      return { facts: applyHead(this.ctx, head, this.logger), rest: 4 + headLength };
    } catch (error) {
      // Thrown to the error middleware; the application reports it (500) to its logger.
      this.#answered = true;
      this.#reject(error as Error);
      return null;
    }
  }

  #head(payload: Buffer, complete: boolean): void {
    const applied = this.#applyHead(payload);
    if (applied === null) {
      // The worker is told to stop streaming a response that will never be sent.
      if (!complete && !this.finished && this.host !== null) this.host.send(encodeFrame(ToWorker.Abort, this.id));
      return;
    }
    const { facts, rest } = applied;
    const ctx = this.ctx;
    const body = payload.subarray(rest);
    if (complete && (facts.declaredLength < 0 || body.length === facts.declaredLength)) {
      ctx.body = body;
    } else {
      if (facts.declaredLength >= 0) ctx.set('Content-Length', String(facts.declaredLength));
      const stream = new ResponseStream(this, facts.declaredLength, 'wsgi');
      this.#stream = stream;
      ctx.body = stream;
      if (body.length > 0) stream.feed(body);
      if (complete) stream.complete();
    }
    if (!facts.hasType) ctx.remove('Content-Type');
    this.#answer();
  }

  // ---- wsgi.file_wrapper: Node reads the worker's open file itself -------------------

  async #file(payload: Buffer): Promise<void> {
    const host = this.host;
    if (host === null) return;
    const headLength = payload.readUInt32BE(0);
    const at = 4 + headLength;
    const fd = payload.readUInt32BE(at);
    const offset = Number(payload.readBigUInt64BE(at + 4));
    const length = Number(payload.readBigUInt64BE(at + 12));
    let handle;
    try {
      // The worker keeps the file open until it gets the answer, so this is the very file it holds.
      handle = await open(`/proc/${host.pid}/fd/${fd}`, 'r');
    } catch {
      host.send(fileAck(this.id, 0));
      return;
    }
    if (this.finished || this.#answered) {
      await handle.close();
      host.send(fileAck(this.id, 1));
      return;
    }
    const applied = this.#applyHead(payload.subarray(0, at));
    if (applied === null) {
      await handle.close();
      host.send(fileAck(this.id, 1));
      return;
    }
    const { facts } = applied;
    const ctx = this.ctx;
    if (facts.declaredLength > length) {
      this.logger.error(`wsgi: file shorter than its Content-Length (${length} of ${facts.declaredLength} bytes); connection aborted`,
        { method: ctx.method, url: ctx.url });
    }
    ctx.set('Content-Length', String(facts.declaredLength >= 0 ? facts.declaredLength : length));
    if (length === 0) {
      await handle.close();
      ctx.body = Readable.from([]);
    } else {
      ctx.body = handle.createReadStream({ start: offset, end: offset + length - 1 });
    }
    if (!facts.hasType) ctx.remove('Content-Type');
    host.send(fileAck(this.id, 1));
    this.#answer();
  }
}

/** A FILE_ACK frame: one byte, 1 when Node took the file (the worker then closes it). */
function fileAck(id: number, ok: 0 | 1): Buffer {
  return encodeFrame(ToWorker.FileAck, id, Uint8Array.of(ok));
}
