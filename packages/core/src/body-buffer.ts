/**
 * `bufferBody(ctx)`: reads a whole request body before a gateway takes a process or a
 * worker for it, in memory up to a threshold, then in a temporary file, within the app's
 * total budget (`limits.maxBufferedBodyBytes`, shared by every connection) → 503 beyond.
 * Must never hold more than `memoryBytes` of one body in memory, and never leave a
 * temporary file behind once the exchange is over (answered or aborted).
 */

import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ApplicationView } from './object-views.js';
import type { Context } from './context.js';
import { coreError, protocolErrorRegistry, RequestAbortedError, type SluiceError } from './errors.js';
import { kExchange } from './symbols.js';

/** Options of {@link bufferBody}. Sizes in bytes. */
export interface BufferBodyOptions {
  /** Bodies up to this size stay in memory; larger ones go to a temporary file. Default 64 KiB. */
  memoryBytes?: number;
  /** Largest body accepted; larger → 413 `SLUICE_ERR_BODY_TOO_LARGE`. Default the app's `limits.maxBodyBytes`. */
  maxBytes?: number;
  /** Directory of the temporary files (created `0600`, named `sluice-body-*`). Default the OS temp dir. */
  tempDir?: string;
}

/** A request body read to its end, ready to be fed to a program or a worker. */
export interface BufferedBody {
  /** Its size in bytes (also for a chunked request: a gateway can announce it). */
  readonly length: number;
  /** True when it was written to a temporary file. */
  readonly onDisk: boolean;
  /** The bytes from the start; call once. */
  open(): Readable;
  /**
   * Frees its memory, file and budget share. Idempotent; also done by itself when the
   * response is finished or the client leaves, so a forgotten call leaks nothing.
   */
  dispose(): void;
}

const DEFAULT_MEMORY_BYTES = 64 * 1024;

/** Bytes held by `bufferBody` per application: the budget is the app's, across all its connections. */
const budgetsInUse = new WeakMap<ApplicationView, { used: number }>();

function budgetOf(app: ApplicationView): { used: number } {
  let budget = budgetsInUse.get(app);
  if (budget === undefined) {
    budget = { used: 0 };
    budgetsInUse.set(app, budget);
  }
  return budget;
}

function budgetExhausted(limit: number): SluiceError {
  return coreError('BODY_BUFFER_FULL', `request bodies being buffered already hold the budget of ${limit} bytes`, {
    expose: false,
    headers: { 'Retry-After': '1' },
  });
}

function tooLarge(limit: number): SluiceError {
  return protocolErrorRegistry.create('BODY_TOO_LARGE', `Request body larger than ${limit} bytes`);
}

function checkSize(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw coreError('BAD_OPTION', `bufferBody option "${key}" must be a non-negative number`);
  }
  return value;
}

/** Bytes reserved against the app's budget by one body, given back once. */
class Reservation {
  readonly #budget: { used: number };
  readonly #limit: number;
  #held = 0;

  constructor(app: ApplicationView) {
    this.#budget = budgetOf(app);
    this.#limit = app.limits.maxBufferedBodyBytes;
  }

  /** Raises this body's share to `total` bytes, or throws 503 when the app's budget cannot take it. */
  growTo(total: number): void {
    if (total <= this.#held) return;
    const more = total - this.#held;
    if (this.#budget.used + more > this.#limit) throw budgetExhausted(this.#limit);
    this.#budget.used += more;
    this.#held = total;
  }

  release(): void {
    this.#budget.used -= this.#held;
    this.#held = 0;
  }
}

/**
 * Reads the request body of `ctx` to its end and keeps it (memory, then a temporary
 * file) so that a gateway takes its process or worker only once the client has sent
 * everything: a client trickling its body holds a connection, never a program. The
 * app-wide budget `limits.maxBufferedBodyBytes` bounds what all buffered bodies hold
 * at once: a body that does not fit is refused with 503 `SLUICE_ERR_BODY_BUFFER_FULL`
 * (`Retry-After: 1`), a Content-Length body before any of it is read. A body larger
 * than `maxBytes` gets 413 `SLUICE_ERR_BODY_TOO_LARGE`. A request without a body
 * resolves to an empty body of length 0.
 *
 * @example
 * const body = await bufferBody(ctx, { memoryBytes: 64 * 1024, tempDir: '/var/tmp' });
 * const child = spawn(program, { env: { CONTENT_LENGTH: String(body.length) } });
 * body.open().pipe(child.stdin);
 */
export async function bufferBody(ctx: Context, options: BufferBodyOptions = {}): Promise<BufferedBody> {
  const memoryBytes = checkSize('memoryBytes', options.memoryBytes, DEFAULT_MEMORY_BYTES);
  const maxBytes = checkSize('maxBytes', options.maxBytes, ctx.app.limits.maxBodyBytes);
  if (options.tempDir !== undefined && typeof options.tempDir !== 'string') {
    throw coreError('BAD_OPTION', 'bufferBody option "tempDir" must be a directory path');
  }
  if (!ctx.request.hasBody) return inMemory(Buffer.alloc(0), null);
  const body = ctx.req;
  const declared = ctx.request.length;
  if (declared !== undefined && declared > maxBytes) {
    body.destroy();
    throw tooLarge(maxBytes);
  }
  const reservation = new Reservation(ctx.app);
  const exchange = ctx[kExchange];
  const memory: Buffer[] = [];
  let total = 0;
  let file: FileHandle | undefined;
  let path: string | undefined;
  // A client that leaves mid-body makes the loop below throw; this covers the file being created meanwhile.
  const fail = async (): Promise<void> => {
    reservation.release();
    await file?.close().catch(() => {});
    if (path !== undefined) await rm(path, { force: true });
  };
  try {
    // The whole declared length is reserved up front: a body that cannot fit is refused unread.
    if (declared !== undefined) reservation.growTo(declared);
    // Arrived whole with its head and small enough to keep in memory: kept as it is, no stream.
    const whole = declared !== undefined && declared <= memoryBytes && !ctx.aborted ? exchange.takeWholeBody() : null;
    if (whole !== null) return disposeWithExchange(exchange, inMemory(whole, reservation));
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        body.destroy();
        throw tooLarge(maxBytes);
      }
      reservation.growTo(total);
      if (file === undefined && total <= memoryBytes) {
        memory.push(chunk);
        continue;
      }
      if (file === undefined) {
        path = join(options.tempDir ?? tmpdir(), `sluice-body-${randomBytes(8).toString('hex')}`);
        file = await open(path, 'wx+', 0o600);
        for (const held of memory.splice(0)) await file.write(held);
      }
      // Awaiting each write is the backpressure: the client is read no faster than the disk takes it.
      await file.write(chunk);
    }
  } catch (error) {
    await fail();
    if (!body.destroyed) body.destroy();
    throw error;
  }
  if (ctx.aborted) {
    await fail();
    throw new RequestAbortedError();
  }
  // What is kept still counts against the budget until disposed: the share stays reserved.
  const buffered = file === undefined
    ? inMemory(memory.length === 1 ? memory[0] : Buffer.concat(memory, total), reservation)
    : onDisk(file, path as string, total, reservation);
  return disposeWithExchange(exchange, buffered);
}

/** Frees `buffered` once the exchange is over (answered or aborted). */
function disposeWithExchange(exchange: Context[typeof kExchange], buffered: BufferedBody): BufferedBody {
  exchange.onFinish(buffered.dispose);
  exchange.onClose(buffered.dispose);
  return buffered;
}

function inMemory(bytes: Buffer, reservation: Reservation | null): BufferedBody {
  let disposed = false;
  return {
    length: bytes.length,
    onDisk: false,
    open: () => Readable.from(bytes.length === 0 ? [] : [bytes]),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      reservation?.release();
    },
  };
}

function onDisk(file: FileHandle, path: string, length: number, reservation: Reservation): BufferedBody {
  let reader: Readable | undefined;
  let disposed = false;
  return {
    length,
    onDisk: true,
    open: () => {
      // The stream owns the handle from here (closes it at its end): removing the path meanwhile
      // does not disturb a reader that is still feeding a program.
      reader = file.createReadStream({ start: 0, autoClose: true });
      return reader;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      reservation.release();
      // A reader nobody finished (a program that exited without reading its stdin) would keep
      // the descriptor open until garbage collection: the request is over, so it stops here.
      if (reader === undefined) void file.close().catch(() => {});
      else if (!reader.destroyed) reader.destroy();
      void rm(path, { force: true });
    },
  };
}
