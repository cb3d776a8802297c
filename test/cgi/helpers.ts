/** Helpers for the CGI integration tests: an app running cgi() on an ephemeral port, temp dirs, commands. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, type Logger, type Middleware } from '@sluice/core';
import { cgi, type CgiMiddleware, type CgiOptions } from '@sluice/cgi';
import { listen } from '@sluice/test-support';

/** The examples' CGI programs. */
export const EXAMPLE_BIN = fileURLToPath(new URL('../../examples/cgi/cgi-bin', import.meta.url));
/** The examples' document root (PHP pages). */
export const EXAMPLE_PUBLIC = fileURLToPath(new URL('../../examples/cgi/public', import.meta.url));

export interface Running {
  url: string;
  port: number;
  cgi: CgiMiddleware;
  logs: string[];
  close(): Promise<void>;
}

/** Starts a fresh app with `before` middleware, then cgi(options), on 127.0.0.1. */
export async function startCgi(options: CgiOptions, before: Middleware[] = []): Promise<Running> {
  const logs: string[] = [];
  const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const app = new Application({ logger });
  const middleware = cgi(options);
  for (const fn of before) app.use(fn);
  app.use(middleware);
  return {
    ...(await listen(app)),
    cgi: middleware,
    logs,
    close: async () => {
      await app.close(500);
      await middleware.close();
    },
  };
}

/** A temporary directory removed at teardown. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'sluice-cgi-it-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a command (no shell); resolves with its exit code and output. */
export async function run(cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string>; input?: Buffer } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.input);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
