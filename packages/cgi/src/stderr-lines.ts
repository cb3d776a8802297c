/**
 * A program's stderr, sent to the application's logger one line at a time: lines
 * are cut at `maxLineBytes`, and after `maxBytes` per program the rest is read and
 * dropped (one note says so). Must never stop reading stderr: a program blocked on
 * a full stderr pipe would hang.
 */

import type { Readable } from 'node:stream';
import type { Logger } from '@sluice/core';

/** Reads `stream` to its end, logging its lines as warnings with `meta`. */
export function logStderr(stream: Readable, logger: Logger, meta: Record<string, unknown>, maxBytes: number, maxLineBytes: number): void {
  let logged = 0;
  let partial = '';
  let dropping = false;
  const emit = (line: string): void => {
    if (dropping) return;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > maxLineBytes) line = line.slice(0, maxLineBytes) + ' [line cut]';
    logged += line.length + 1;
    if (logged > maxBytes) {
      dropping = true;
      logger.warn(`cgi stderr: more than ${maxBytes} bytes, the rest is dropped`, meta);
      return;
    }
    logger.warn(`cgi stderr: ${line}`, meta);
  };
  stream.setEncoding('latin1');
  stream.on('data', (text: string) => {
    if (dropping) return;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      emit(partial + text.slice(start, newline));
      partial = '';
      start = newline + 1;
    }
    partial += text.slice(start);
    // A line without an end is still bounded: log its head now.
    if (partial.length > maxLineBytes) {
      emit(partial);
      partial = '';
    }
  });
  stream.on('end', () => {
    if (partial !== '') emit(partial);
  });
  stream.on('error', () => {});
}
