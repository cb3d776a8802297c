/** Helpers for the cross-package static tests: a server in its own process, and running real clients. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Node arguments that run a TypeScript entry point from sources, as ava does. */
export const TS_NODE_ARGS = ['--loader=ts-node/esm', '--no-warnings', '--conditions=sluice-source'];
export const TS_NODE_ENV = { TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: `${REPO}tsconfig.test.json` };

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Resident set size of the server process now, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** Starts `entry` (a .ts file) in a Node process with `env`; resolves once it prints "listening <port>" or "listening on http://127.0.0.1:<port>". */
export async function startProcess(entry: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, entry], {
    cwd: REPO,
    env: { ...process.env, ...TS_NODE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
      reject(new Error(`server did not start: ${stderr}`));
    }, timeoutMs);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (?:on http:\/\/127\.0\.0\.1:)?(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** Runs a command; resolves with its exit code, stdout (bytes) and stderr. */
export async function run(cmd: string, args: string[], { cwd, timeoutMs = 30_000 }: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close', not 'exit': stdout may still hold data when the process exits.
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: Buffer.concat(out), stderr };
}
