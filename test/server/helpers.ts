/**
 * Helpers for tests that run the real `sluice` command: spawn it (in its own process
 * group, killed at teardown), wait for its `listening on` line, make real HTTP
 * requests, and build throwaway sites in temp directories. Must never fake the
 * command: it runs packages/server/bin/sluice.js on the built packages.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const bin = path.join(repoRoot, 'packages/server/bin/sluice.js');

/** The command runs compiled code: refuse to test a stale build of it rather than test old code. */
function assertBuilt(): void {
  for (const pkg of ['server']) {
    const newest = (dir: string): number => {
      let max = 0;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        max = Math.max(max, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
      }
      return max;
    };
    const src = path.join(repoRoot, 'packages', pkg, 'src');
    const dist = path.join(repoRoot, 'packages', pkg, 'dist');
    let built = 0;
    try {
      built = newest(dist);
    } catch {
      built = 0;
    }
    if (built < newest(src)) throw new Error(`packages/${pkg}/dist is older than its sources: run \`pnpm -r build\` first (pnpm test does)`);
  }
}
assertBuilt();

/** A running `sluice`. */
export interface Running {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the command has exited. */
  exited: Promise<number | string>;
}

/** Options of {@link startSluice}. */
export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Wait for this much output instead of the `listening on` line (for --quiet). */
  readyWhen?: (running: Running) => Promise<void>;
  timeoutMs?: number;
}

/** Spawns `sluice args` without waiting for anything; killed (with its workers) at teardown. */
export function spawnSluice(t: ExecutionContext, args: string[], options: StartOptions = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  let done = false;
  void exited.then(() => (done = true));
  // Stopped gracefully (so workers also write their coverage and stop their children),
  // then the whole process group is killed in case anything is left.
  t.teardown(async () => {
    if (!done && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  });
  return { child, pid: child.pid!, url: '', port: 0, stdout: () => out, stderr: () => err, exited };
}

/** Starts `sluice args` and waits for `listening on URL` (rejects with stderr if it exits first). */
export async function startSluice(t: ExecutionContext, args: string[], options: StartOptions = {}): Promise<Running> {
  const running = spawnSluice(t, args, options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within ${timeoutMs} ms; stderr: ${running.stderr()}`)), timeoutMs);
    const check = () => {
      const match = /^listening on (\S+)\n/m.exec(running.stdout());
      if (match) {
        clearTimeout(timer);
        running.child.stdout!.off('data', check);
        resolve(match[1]);
      }
    };
    running.child.stdout!.on('data', check);
    void running.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sluice exited (${code}) before listening; stderr: ${running.stderr()}`));
    });
  });
  running.url = line;
  running.port = Number(new URL(line).port);
  return running;
}

/** Runs `sluice args` to completion (for errors, --help, --version). */
export async function runSluice(t: ExecutionContext, args: string[], options: StartOptions = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const running = spawnSluice(t, args, options);
  const timer = setTimeout(() => process.kill(-running.pid, 'SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await running.exited;
  clearTimeout(timer);
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

/** A response as the tests look at it. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For https: the CA (the test's self-signed certificate). */
  ca?: string | Buffer;
  /** Fail with ETIMEDOUT when the whole exchange takes longer. Default 30 s. */
  timeoutMs?: number;
}

/** One request on a fresh connection (no agent, so every request is a new TCP connection). */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      { method: options.method ?? 'GET', headers: options.headers, agent: false, ca: options.ca, servername: target.protocol === 'https:' ? 'localhost' : undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A free TCP port on 127.0.0.1 (for tests that cannot use port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Creates a temp directory with `files` (relative path → content; a trailing `/` makes
 * a directory), removed at teardown. Returns its path.
 */
export function tempSite(t: ExecutionContext, files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-server-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    if (name.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

/** Waits until `predicate` holds, polling every 20 ms (running `step` before each check), up to `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, step?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (step) await step();
    if (predicate()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
