/** Test helpers for @sluice/cgi: temp script dirs, an app running cgi() on an ephemeral port, raw sockets, process checks. */
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, type ApplicationOptions, type Middleware } from '@sluice/core';
import { cgi, type CgiMiddleware, type CgiOptions } from '@sluice/cgi';
import { listen, raw as rawExchange, recordingLogger, type RawReply } from '@sluice/test-support';

export { eventually, recordingLogger, type LogLine } from '@sluice/test-support';

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(prefix = 'sluice-cgi-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a script file (executable unless `mode` says otherwise). */
export function writeScript(path: string, source: string, mode = 0o755): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, source);
  chmodSync(path, mode);
  return path;
}

export interface RunningCgi {
  app: Application;
  cgi: CgiMiddleware;
  port: number;
  url: string;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

/** Starts an app with `before` middleware, then cgi(options), then `after`. */
export async function startCgi(
  testOptions: Omit<CgiOptions, 'spawner'> & { spawner?: TestSpawner },
  { before = [], after = [], app: appOptions = {}, tls }: { before?: Middleware[]; after?: Middleware[]; app?: ApplicationOptions; tls?: { key: string; cert: string } } = {},
): Promise<RunningCgi> {
  const logger = recordingLogger();
  const app = new Application({ logger, ...appOptions });
  const { spawner, ...rest } = testOptions;
  // 'helper' means the native one here: a test run without it built must fail, not fall back.
  const options: CgiOptions =
    spawner === 'python-helper' ? { ...rest, spawner: 'helper', helper: 'python' } : spawner === 'helper' ? { helper: 'native', ...rest, spawner } : { ...rest, spawner };
  const middleware = cgi(options);
  for (const fn of before) app.use(fn);
  app.use(middleware);
  for (const fn of after) app.use(fn);
  return {
    app,
    cgi: middleware,
    ...(await listen(app, tls)),
    logger,
    close: async () => {
      await app.close(500);
      await middleware.close();
    },
  };
}

/** Writes `input` on a raw socket; collects the reply until the server closes or `timeoutMs` (here 30 s) passes. */
export function raw(port: number, input: string | Buffer, { timeoutMs = 30_000 } = {}): Promise<RawReply> {
  return rawExchange(port, input, { timeoutMs });
}

/** Whether process `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Zombie processes whose parent is one of `parents`. */
export function zombiesOf(parents: number[]): number[] {
  return processesOf(parents, true);
}

/** Every process (running or zombie) whose parent is one of `parents`. */
export function childrenOf(parents: number[]): number[] {
  return processesOf(parents, false);
}

function processesOf(parents: number[], zombiesOnly: boolean): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if ((!zombiesOnly || fields[0] === 'Z') && parents.includes(Number(fields[1]))) out.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/** Where `pnpm build` (scripts/build-helper.mjs) puts the native spawn helper. */
export const NATIVE_HELPER_FILE = fileURLToPath(new URL('../dist/spawn-helper/spawn-helper', import.meta.url));

/**
 * Whether the native helper was built. When it was not, native-helper.test.ts fails once and
 * says why; the behaviour tests below then run without it instead of failing one by one.
 */
export const nativeHelperBuilt = ((): boolean => {
  try {
    accessSync(NATIVE_HELPER_FILE, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

const ALL_SPAWNERS = ['helper', 'python-helper', 'direct'] as const;
export type TestSpawner = CgiOptions['spawner'] | (typeof ALL_SPAWNERS)[number];

/**
 * The spawners every behaviour test runs with: the native helper (built by `pnpm build`
 * from src/spawn-helper/spawn-helper.c), the Python helper, and child_process.spawn.
 */
export const SPAWNERS: readonly TestSpawner[] = ALL_SPAWNERS.filter((s) => s !== 'helper' || nativeHelperBuilt);

/** The spawners that are helpers: the native one (when built) and the Python one. */
export const HELPERS: readonly TestSpawner[] = SPAWNERS.filter((s) => s !== 'direct');
