/**
 * One run of one program for one request: feeds stdin, reads the header block,
 * then streams the rest of stdout with backpressure both ways; enforces the idle
 * and hard timeouts (SIGTERM, then SIGKILL, to the whole process group); kills the
 * program when the client leaves; cleans up exactly once when the program has
 * exited and its output is closed. Must never decide what the response means.
 */

import { Readable } from 'node:stream';
import type { Context, Logger } from '@sluice/core';
import { CgiError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { RequestInput } from './request-input.js';
import { headEnd, parseHead, type CgiHead } from './response-head.js';
import type { ExitStatus, RunningProgram } from './spawner.js';
import { logStderr } from './stderr-lines.js';

const OUTPUT_HIGH_WATER_MARK = 64 * 1024;
// After output ends, how long to wait for the exit status before explaining a 502 without it.
const EXIT_STATUS_WAIT_MS = 200;

/** A parsed header block and the body bytes read along with it. */
export interface HeadResult {
  readonly head: CgiHead;
  readonly rest: Buffer;
}

function describe(status: ExitStatus | undefined): string {
  if (status === undefined) return 'still running';
  return status.signal !== null ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

/** One program run for one request; see the file header for what it guarantees. */
export class Invocation {
  readonly #program: RunningProgram;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #meta: Record<string, unknown>;
  readonly #onDone: () => void;
  #idleTimer: NodeJS.Timeout | undefined = undefined;
  #idleSuspended = false;
  readonly #hardTimer: NodeJS.Timeout;
  #killTimer: NodeJS.Timeout | undefined = undefined;
  #exit: ExitStatus | undefined = undefined;
  #outputEnded = false;
  #done = false;
  /** Why the program is being stopped, once it is. */
  #stopReason: CgiError | undefined = undefined;
  /** Called when the program is stopped while its output is being read. */
  #onStop: ((reason: CgiError) => void) | undefined = undefined;

  constructor(ctx: Context, program: RunningProgram, input: RequestInput, options: ResolvedOptions, logger: Logger, meta: Record<string, unknown>, onDone: () => void) {
    this.#program = program;
    this.#options = options;
    this.#logger = logger;
    this.#meta = meta;
    this.#onDone = onDone;
    logStderr(program.stderr, logger, meta, options.maxStderrBytes, options.maxStderrLineBytes);
    this.#hardTimer = setTimeout(() => this.stop(new CgiError('TIMEOUT', `CGI program timed out: ran longer than ${options.maxRuntimeMs} ms`)), options.maxRuntimeMs);
    this.#armIdle();
    const stdout = program.stdout;
    const outputEnded = (): void => {
      if (this.#outputEnded) return;
      this.#outputEnded = true;
      this.#maybeDone();
    };
    stdout.once('end', outputEnded);
    stdout.once('close', outputEnded);
    void program.exited.then((status) => {
      this.#exit = status;
      if (status.code !== 0 && this.#stopReason === undefined) this.#logger.warn(`cgi program ended with ${describe(status)}`, this.#meta);
      this.#maybeDone();
    });
    ctx.onAbort(() => this.stop(new CgiError('CLIENT_GONE')));
    this.#feed(input);
  }

  /** Writes the request body to stdin with backpressure; ends stdin after it. */
  #feed(input: RequestInput): void {
    const stdin = this.#program.stdin;
    if (stdin === null) return; // no body: the program reads /dev/null
    const source = input.open();
    if (source === null) {
      stdin.end();
      return;
    }
    source.on('data', () => this.#touch());
    // An error reading the request (client gone) ends the program's input; the abort kills it.
    source.once('error', () => stdin.end());
    stdin.once('error', () => source.unpipe(stdin));
    source.pipe(stdin);
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#done || this.#idleSuspended) return;
    this.#idleTimer = setTimeout(() => this.stop(new CgiError('TIMEOUT', `CGI program timed out: no output for ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs);
  }

  /** Activity: the idle timeout starts over. */
  #touch(): void {
    if (!this.#idleSuspended) this.#armIdle();
  }

  /** The client is not reading: waiting on it is not the program's idleness. */
  #suspendIdle(suspended: boolean): void {
    this.#idleSuspended = suspended;
    if (suspended) clearTimeout(this.#idleTimer);
    else this.#armIdle();
  }

  /** Stops the program: SIGTERM to its group now, SIGKILL after `killGraceMs`. Idempotent. */
  stop(reason: CgiError): void {
    if (this.#stopReason !== undefined || this.#done) return;
    this.#stopReason = reason;
    if (reason.code !== 'SLUICE_ERR_CGI_CLIENT_GONE') this.#logger.warn(`cgi program stopped: ${reason.message}`, this.#meta);
    clearTimeout(this.#idleTimer);
    if (this.#exit === undefined || !this.#outputEnded) {
      this.#program.kill('SIGTERM');
      this.#killTimer = setTimeout(() => this.#program.kill('SIGKILL'), this.#options.killGraceMs);
    }
    this.#onStop?.(reason);
  }

  #maybeDone(): void {
    if (this.#done || this.#exit === undefined || !this.#outputEnded) return;
    this.#done = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#hardTimer);
    clearTimeout(this.#killTimer);
    this.#program.release();
    this.#onDone();
  }

  /**
   * Reads stdout up to the end of the header block and parses it. Rejects with 502
   * (no valid block, or one larger than `maxHeaderBytes`), 504 (timeout) or 499
   * (client gone); the program is stopped then.
   */
  readHead(): Promise<HeadResult> {
    const stdout = this.#program.stdout;
    const limit = this.#options.maxHeaderBytes;
    return new Promise<HeadResult>((resolve, reject) => {
      let buffer: Buffer = Buffer.alloc(0);
      const settle = (error: CgiError | undefined, result?: HeadResult): void => {
        stdout.off('data', onData);
        stdout.off('end', onEnd);
        stdout.off('close', onEnd);
        this.#onStop = undefined;
        if (error === undefined) {
          stdout.pause();
          resolve(result as HeadResult);
          return;
        }
        this.stop(error);
        this.discard();
        reject(error);
      };
      const onData = (chunk: Buffer): void => {
        this.#touch();
        const from = buffer.length;
        buffer = from === 0 ? chunk : Buffer.concat([buffer, chunk]);
        const end = headEnd(buffer, from);
        if (end === -1) {
          if (buffer.length > limit) settle(new CgiError('BAD_HEADER', `CGI program sent an invalid response: header block larger than ${limit} bytes`));
          return;
        }
        if (end > limit) {
          settle(new CgiError('BAD_HEADER', `CGI program sent an invalid response: header block larger than ${limit} bytes`));
          return;
        }
        try {
          settle(undefined, { head: parseHead(buffer.toString('latin1', 0, end)), rest: buffer.subarray(end) });
        } catch (error) {
          settle(error as CgiError);
        }
      };
      const onEnd = (): void => {
        const timer = setTimeout(explain, EXIT_STATUS_WAIT_MS);
        void this.#program.exited.then(() => {
          clearTimeout(timer);
          explain();
        });
      };
      const explain = (): void => {
        if (this.#onStop === undefined) return;
        const what = buffer.length === 0 ? 'no output' : 'output without a complete header block';
        settle(new CgiError('BAD_HEADER', `CGI program sent an invalid response: ${what} (${describe(this.#exit)})`));
      };
      this.#onStop = (reason) => settle(reason);
      stdout.on('data', onData);
      stdout.once('end', onEnd);
      stdout.once('close', onEnd);
      stdout.resume();
    });
  }

  /**
   * The whole body, when the program's output had already ended by the time its header
   * block was parsed (a small, quick program: the common case): `rest` is all of it.
   */
  completeBody(rest: Buffer): Buffer | undefined {
    return this.#outputEnded && this.#stopReason === undefined ? rest : undefined;
  }

  /**
   * The rest of the program's output as a stream for the response, starting with
   * `rest`. Pauses the program's output while the client is slow; a stop (timeout)
   * destroys the stream with the reason; destroying it early (HEAD, 304, client gone)
   * discards what the program still writes.
   */
  output(rest: Buffer): Readable {
    const stdout = this.#program.stdout;
    let paused = false;
    let ended = false;
    const out = new Readable({
      highWaterMark: OUTPUT_HIGH_WATER_MARK,
      read: () => {
        if (!paused) return;
        paused = false;
        this.#suspendIdle(false);
        stdout.resume();
      },
      destroy: (error, callback) => {
        if (!ended) {
          stdout.off('data', onData);
          this.discard();
        }
        callback(error);
      },
    });
    const onData = (chunk: Buffer): void => {
      this.#touch();
      if (!out.push(chunk)) {
        paused = true;
        this.#suspendIdle(true);
        stdout.pause();
      }
    };
    const onEnd = (): void => {
      if (ended) return;
      ended = true;
      stdout.off('data', onData);
      if (this.#stopReason !== undefined && this.#stopReason.code !== 'SLUICE_ERR_CGI_CLIENT_GONE') out.destroy(this.#stopReason);
      else out.push(null);
    };
    if (rest.length > 0) out.push(rest);
    this.#onStop = (reason) => {
      if (!ended && reason.code !== 'SLUICE_ERR_CGI_CLIENT_GONE') {
        ended = true;
        stdout.off('data', onData);
        this.discard();
        out.destroy(reason);
      }
    };
    if (this.#outputEnded) {
      onEnd();
      return out;
    }
    stdout.on('data', onData);
    stdout.once('end', onEnd);
    stdout.once('close', onEnd);
    stdout.resume();
    return out;
  }

  /** Reads and drops whatever the program still writes (so it never blocks on a full pipe). */
  discard(): void {
    const stdout = this.#program.stdout;
    if (stdout.listenerCount('data') === 0) stdout.on('data', () => this.#touch());
    stdout.resume();
  }
}
