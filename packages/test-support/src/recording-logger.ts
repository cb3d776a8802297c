/**
 * A logger that keeps what it is told, for tests asserting on diagnostics. Must never print.
 */

import type { Logger } from '@sluice/core';

/** One line a {@link recordingLogger} was told. */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

/** A `Logger` with the lines it was told. */
export type RecordingLogger = Logger & { lines: LogLine[] };

/** A logger that records every line in `lines` (pass an array to share it). */
export function recordingLogger(lines: LogLine[] = []): RecordingLogger {
  return {
    lines,
    info: (message, meta) => { lines.push({ level: 'info', message, meta }); },
    warn: (message, meta) => { lines.push({ level: 'warn', message, meta }); },
    error: (message, meta) => { lines.push({ level: 'error', message, meta }); },
  };
}
