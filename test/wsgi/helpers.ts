/** Test helpers for the WSGI bridge: a fresh app with a bridge on an ephemeral port, a recording logger, raw sockets. */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, type Logger, type Middleware } from '@sluice/core';
import { wsgi, type WsgiMiddleware, type WsgiOptions } from '@sluice/wsgi-bridge';

/** Debian's Python, which has python3-django and python3-flask (SLUICE_TEST_PYTHON overrides it, e.g. with a coverage wrapper). */
export const PYTHON = process.env.SLUICE_TEST_PYTHON ?? '/usr/bin/python3';
export const APPS_DIR = fileURLToPath(new URL('./apps/', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/wsgi/', import.meta.url));

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

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

export function recordingLogger(logs: LogEntry[]): Logger {
  return {
    info: (message, meta) => { logs.push({ level: 'info', message, meta }); },
    warn: (message, meta) => { logs.push({ level: 'warn', message, meta }); },
    error: (message, meta) => { logs.push({ level: 'error', message, meta }); },
  };
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
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
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
    app, bridge, port, url: `http://127.0.0.1:${port}`, logs, markers, waitForLog,
    close: async () => {
      await app.close(1000);
      await bridge.close(1000);
    },
  };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Writes `input` on a raw socket and collects everything the server sends until it
 * closes the connection or `timeoutMs` passes.
 */
export async function raw(port: number, input: string | Buffer | Array<string | Buffer>, { timeoutMs = 20_000, gapMs = 20 } = {}): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
  });
  const parts = Array.isArray(input) ? input : [input];
  for (const part of parts) {
    if (socket.destroyed) break;
    socket.write(part);
    if (parts.length > 1) await new Promise((r) => setTimeout(r, gapMs));
  }
  await done;
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}
