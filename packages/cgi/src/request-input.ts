/**
 * What a program reads on stdin, with the length CONTENT_LENGTH announces. With
 * `requestBuffering: 'buffer'` (the default) every body is read whole through core's
 * `bufferBody()` before a process slot is taken, so a client trickling its body never
 * holds a program; with `'stream'` a Content-Length body streams straight from the
 * client, and only a chunked one is buffered (CGI needs the length up front).
 * Must never take a process slot itself, nor keep a body beyond the request.
 */

import type { Readable } from 'node:stream';
import { bufferBody, type Context } from '@sluice/core';
import type { ResolvedOptions } from './options.js';

/** A request body ready to feed a program. */
export interface RequestInput {
  /** CONTENT_LENGTH, or -1 when the request has no body. */
  readonly length: number;
  /** The bytes, or null when there are none. Call once. */
  open(): Readable | null;
  /** Frees any memory or temporary file; safe to call more than once. */
  dispose(): void;
}

const NO_BODY: RequestInput = { length: -1, open: () => null, dispose: () => {} };

/** Prepares the request body of `ctx` (`consumed`: a local redirect already used it). */
export async function requestInput(ctx: Context, options: ResolvedOptions, consumed: boolean): Promise<RequestInput> {
  if (consumed || !ctx.request.hasBody) return NO_BODY;
  const declared = ctx.request.length;
  if (declared !== undefined && options.requestBuffering === 'stream') return { length: declared, open: () => ctx.req, dispose: () => {} };
  const body = await bufferBody(ctx, { memoryBytes: options.bodyMemoryBytes, maxBytes: options.maxSpoolBytes, tempDir: options.tempDir });
  return { length: body.length, open: () => body.open(), dispose: () => body.dispose() };
}
