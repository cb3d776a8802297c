/** Test helpers for the ASGI bridge: a fresh app with a bridge on an ephemeral port and a recording logger. */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, type Middleware } from '@sluice/core';
import { asgi, type AsgiMiddleware, type AsgiOptions } from '@sluice/asgi-bridge';
import { recordingLogger, type LogEntry } from '../wsgi/helpers.js';

export { eventually, raw, recordingLogger, type LogEntry } from '../wsgi/helpers.js';

/** Debian's Python, which has python3-starlette, python3-fastapi, python3-django and python3-uvloop. */
export const PYTHON = process.env.SLUICE_TEST_PYTHON ?? '/usr/bin/python3';
export const APPS_DIR = fileURLToPath(new URL('./apps/', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/asgi/', import.meta.url));

export interface Running {
  app: Application;
  bridge: AsgiMiddleware;
  port: number;
  url: string;
  logs: LogEntry[];
  /** A fresh directory the test apps write marker files to (ASGI_TEST_MARKERS). */
  markers: string;
  close(): Promise<void>;
}

/** Starts an app whose only middleware (after `before`) is `asgi(options)`, and waits until the workers are ready. */
export async function startAsgi(options: Partial<AsgiOptions> & { app: string }, before: Middleware[] = []): Promise<Running> {
  const logs: LogEntry[] = [];
  const logger = recordingLogger(logs);
  const markers = mkdtempSync(path.join(tmpdir(), 'sluice-asgi-'));
  const app = new Application({ logger, limits: { keepAliveTimeoutMs: 60_000 } });
  const bridge = asgi({
    python: PYTHON,
    cwd: APPS_DIR,
    workers: 1,
    logger,
    ...options,
    env: { ASGI_TEST_MARKERS: markers, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
  });
  for (const fn of before) app.use(fn);
  app.use(bridge);
  await bridge.ready();
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    app, bridge, port, url: `http://127.0.0.1:${port}`, logs, markers,
    close: async () => {
      await app.close(1000);
      await bridge.close(1000);
    },
  };
}
