/** Test helpers for the WSGI bridge: a fresh app with a bridge on an ephemeral port, a recording logger, raw sockets. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, type Middleware } from '@sluice/core';
import { wsgi, type WsgiMiddleware, type WsgiOptions } from '@sluice/wsgi-bridge';
import { listen, raw as rawExchange, recordingLogger, type LogLine, type RawReply } from '@sluice/test-support';

export { eventually, recordingLogger } from '@sluice/test-support';

/** Debian's Python, which has python3-django and python3-flask (SLUICE_TEST_PYTHON overrides it, e.g. with a coverage wrapper). */
export const PYTHON = process.env.SLUICE_TEST_PYTHON ?? '/usr/bin/python3';
export const APPS_DIR = fileURLToPath(new URL('./apps/', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/wsgi/', import.meta.url));

/** One line the app's logger was told. */
export type LogEntry = LogLine;

export interface Running {
  app: Application;
  bridge: WsgiMiddleware;
  port: number;
  url: string;
  logs: LogEntry[];
  /** A fresh directory the test apps write marker files to (WSGI_TEST_MARKERS). */
  markers: string;
  /** Resolves when a log message matching `pattern` has been recorded. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<LogEntry>;
  close(): Promise<void>;
}

/** Starts an app whose only middleware (after `before`) is `wsgi(options)`, and waits until the workers are ready. */
export async function startWsgi(options: Partial<WsgiOptions> & { app: string }, before: Middleware[] = [], after: Middleware[] = []): Promise<Running> {
  const logs: LogEntry[] = [];
  const logger = recordingLogger(logs);
  const markers = mkdtempSync(path.join(tmpdir(), 'sluice-wsgi-'));
  // Longer than undici's own 4 s idle timeout, so a slow test never races the server closing an idle connection.
  const app = new Application({ logger, limits: { keepAliveTimeoutMs: 60_000 } });
  const bridge = wsgi({
    python: PYTHON,
    cwd: APPS_DIR,
    workers: 1,
    logger,
    ...options,
    env: { WSGI_TEST_MARKERS: markers, PYTHONWARNINGS: 'error', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
  });
  for (const fn of before) app.use(fn);
  app.use(bridge);
  for (const fn of after) app.use(fn);
  await bridge.ready();
  const { port, url } = await listen(app);
  const waitForLog = async (pattern: RegExp, timeoutMs = 20_000): Promise<LogEntry> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs.find((entry) => pattern.test(entry.message));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no log matching ${pattern} in ${JSON.stringify(logs.map((l) => l.message))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    app, bridge, port, url, logs, markers, waitForLog,
    close: async () => {
      await app.close(1000);
      await bridge.close(1000);
    },
  };
}

/** Writes `input` on a raw socket and collects the reply until the server closes or `timeoutMs` (here 20 s) passes. */
export function raw(port: number, input: string | Buffer | Array<string | Buffer>, { timeoutMs = 20_000, gapMs = 20 } = {}): Promise<RawReply> {
  return rawExchange(port, input, { timeoutMs, gapMs });
}
