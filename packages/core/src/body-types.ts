/**
 * Recognisers for the kinds of value `ctx.body` may hold. Shared by the response
 * (type inference) and respond (framing); must never write anything.
 */

import { Readable } from 'node:stream';

/** A Node readable stream (or anything that pipes like one). */
export function isStream(value: unknown): value is Readable {
  return value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function');
}

/** An async iterable that is not a stream (async generator, web stream...). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && !isStream(value);
}

/** What `ctx.body` accepts. */
export type Body =
  | string
  | Buffer
  | Uint8Array
  | Readable
  | AsyncIterable<unknown>
  | Blob
  | globalThis.Response
  | Record<string, unknown>
  | unknown[]
  | null
  | undefined;
