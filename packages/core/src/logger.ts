/**
 * Where diagnostics go: the `Logger` interface every package logs through, and the default
 * (the console, warnings and errors only). Must never import the framework's objects.
 */

/** Where diagnostics go (CGI stderr, worker output, unhandled errors). */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** The default logger: warnings and errors to the console, info dropped. */
export const consoleLogger: Logger = {
  info: () => {},
  warn: (message, meta) => console.warn(`[sluice] ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`[sluice] ${message}`, meta ?? ''),
};
