/**
 * `multipart/byteranges` bodies (RFC 9110 §14.6): the layout (part heads, exact
 * total length, boundary) and the bytes, from a buffer in memory or streamed from
 * an open file one range at a time. Must never hold more than one read chunk of a
 * streamed file in memory.
 */

import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ByteRange } from './ranges.js';

/** A multipart/byteranges body, planned but not yet read. */
export interface MultipartPlan {
  /** The response's Content-Type, with the boundary. */
  readonly contentType: string;
  /** Exact body length in bytes. */
  readonly length: number;
  /** Each part's head (delimiter, Content-Type, Content-Range, blank line) with its range. */
  readonly parts: ReadonlyArray<{ readonly head: Buffer; readonly range: ByteRange }>;
  /** The closing delimiter. */
  readonly tail: Buffer;
}

/** Plans the body for `ranges` of a `size`-byte representation of type `partType`. */
export function planMultipart(ranges: readonly ByteRange[], size: number, partType: string): MultipartPlan {
  const boundary = randomBytes(12).toString('hex');
  let length = 0;
  const parts = ranges.map((range, i) => {
    // The CRLF before every delimiter but the first belongs to the delimiter (RFC 2046 §5.1.1).
    const head = Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
      'latin1',
    );
    length += head.byteLength + range.end - range.start + 1;
    return { head, range };
  });
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  length += tail.byteLength;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, tail };
}

/** The whole body from a file already in memory. */
export function multipartFromBuffer(plan: MultipartPlan, contents: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (const { head, range } of plan.parts) pieces.push(head, contents.subarray(range.start, range.end + 1));
  pieces.push(plan.tail);
  return Buffer.concat(pieces, plan.length);
}

/** The body streamed from `handle`, one range after another; closes the handle when done or destroyed. */
export function multipartFromFile(plan: MultipartPlan, handle: FileHandle, chunkBytes: number): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    try {
      for (const { head, range } of plan.parts) {
        yield head;
        const stream = handle.createReadStream({ start: range.start, end: range.end, highWaterMark: chunkBytes, autoClose: false });
        for await (const chunk of stream) yield chunk as Buffer;
      }
      yield plan.tail;
    } finally {
      await handle.close();
    }
  }
  return Readable.from(parts(), { objectMode: false });
}
