/**
 * A LOG frame from a worker (`u8 level`, then the message: what the worker itself has to
 * report about a request, such as a response header it dropped) written to the logger.
 * Must never decide anything about the request: it only reports.
 */

import type { Context, Logger } from '@sluice/core';

/** The LOG frame's level byte for an error (1 is a warning). */
const LOG_ERROR = 2;

/**
 * Writes the message of LOG frame `payload` to `logger` as `<label>: <message>`, at error
 * level for level 2 and warning level otherwise, with the request's method and URL.
 */
export function logFrame(logger: Logger, label: string, ctx: Context, payload: Buffer): void {
  const text = payload.toString('utf8', 1);
  const meta = { method: ctx.method, url: ctx.url };
  if (payload[0] === LOG_ERROR) logger.error(`${label}: ${text}`, meta);
  else logger.warn(`${label}: ${text}`, meta);
}
