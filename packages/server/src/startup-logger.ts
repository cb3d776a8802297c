/**
 * A logger that holds messages back while a site starts: if a WSGI app fails to
 * import, the server reports one line (with the Python error) instead of the
 * traceback the bridge logs; if it starts, the held messages are written then.
 * Must never hold messages after `release()`.
 */

import type { Logger } from '@sluice/core';

/** A logger gated until `release`. */
export interface StartupLogger {
  logger: Logger;
  /** Stops holding messages; writes the held ones when `flush` is true, else drops them. */
  release(flush: boolean): void;
}

/** Wraps `target` so that messages wait for `release()`. */
export function startupLogger(target: Logger): StartupLogger {
  let held: Array<[level: keyof Logger, message: string, meta?: Record<string, unknown>]> | null = [];
  const write = (level: keyof Logger) => (message: string, meta?: Record<string, unknown>) => {
    if (held) held.push([level, message, meta]);
    else target[level](message, meta);
  };
  return {
    logger: { info: write('info'), warn: write('warn'), error: write('error') },
    release(flush) {
      const messages = held ?? [];
      held = null;
      if (flush) for (const [level, message, meta] of messages) target[level](message, meta);
    },
  };
}
