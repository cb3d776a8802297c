/**
 * Turns a worker's stdout or stderr into log lines (what applications print goes to
 * the server's logger, one entry per line). Must never buffer without bound: a line
 * longer than the limit is logged in pieces.
 */

import type { Readable } from 'node:stream';

const MAX_LINE_CHARS = 16 * 1024;

/** Calls `onLine` for every line `stream` produces (the trailing newline removed). */
export function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      onLine(pending + text.slice(start, newline));
      pending = '';
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    pending += text.slice(start);
    while (pending.length > MAX_LINE_CHARS) {
      onLine(pending.slice(0, MAX_LINE_CHARS));
      pending = pending.slice(MAX_LINE_CHARS);
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
    pending = '';
  });
}
