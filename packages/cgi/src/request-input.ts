/**
 * What a program reads on stdin, with the length CONTENT_LENGTH announces. A body
 * with Content-Length streams straight from the client (backpressure end to end); a
 * chunked body is first collected, in memory up to `bodyMemoryBytes`, then in a
 * temporary file up to `maxSpoolBytes` (beyond: 413), because CGI needs the length
 * up front. Must never hold more than `bodyMemoryBytes` of a body in memory.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from '@sluice/core';
import { CgiError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** A request body ready to feed a program. */
export interface RequestInput {
  /** CONTENT_LENGTH, or -1 when the request has no body. */
  readonly length: number;
  /** The bytes, or null when there are none. Call once. */
  open(): Readable | null;
  /** Removes any temporary file; safe to call more than once. */
  dispose(): void;
}

const NO_BODY: RequestInput = { length: -1, open: () => null, dispose: () => {} };

/** Prepares the request body of `ctx` (`consumed`: a local redirect already used it). */
export async function requestInput(ctx: Context, options: ResolvedOptions, consumed: boolean): Promise<RequestInput> {
  if (consumed || !ctx.request.hasBody) return NO_BODY;
  const declared = ctx.request.length;
  if (declared !== undefined) return { length: declared, open: () => ctx.req, dispose: () => {} };
  return spool(ctx.req, options);
}

async function spool(body: Readable, options: ResolvedOptions): Promise<RequestInput> {
  const memory: Buffer[] = [];
  let total = 0;
  let file: FileHandle | undefined;
  let path: string | undefined;
  const dispose = (): void => {
    if (path !== undefined) void rm(path, { force: true });
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > options.maxSpoolBytes) {
        body.destroy();
        throw new CgiError('BODY_TOO_LARGE', `chunked body larger than ${options.maxSpoolBytes} bytes`);
      }
      if (file === undefined && total <= options.bodyMemoryBytes) {
        memory.push(chunk);
        continue;
      }
      if (file === undefined) {
        path = join(options.tempDir, `sluice-cgi-body-${randomBytes(8).toString('hex')}`);
        file = await open(path, 'wx', 0o600);
        for (const held of memory.splice(0)) await file.write(held);
      }
      // Awaiting each write is the backpressure: the client is read no faster than the disk takes it.
      await file.write(chunk);
    }
  } catch (error) {
    dispose();
    throw error;
  } finally {
    await file?.close();
  }
  if (path === undefined) {
    const bytes = memory.length === 1 ? memory[0] : Buffer.concat(memory, total);
    return { length: total, open: () => Readable.from([bytes]), dispose: () => {} };
  }
  const spooled = path;
  return { length: total, open: () => createReadStream(spooled), dispose };
}
