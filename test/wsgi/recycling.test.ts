/**
 * Recycling edge cases: a worker's seat in the pool is filled exactly once, whatever
 * happens to the worker being replaced or to its replacement while it starts.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startWsgi } from './helpers.js';

/**
 * An app in a fresh directory that writes the pid of every process importing it, one line
 * each, to the file `imports` there; the import numbered `slowImport` sleeps `slowSeconds`
 * first. `/crash` ends the process; every response says the pid and `version`.
 */
function countingApp(slowImport: number, slowSeconds: number, version = 'one'): { dir: string; importers(): number[]; imports(): number; write(version: string): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-recycle-'));
  const write = (text: string) => writeFileSync(path.join(dir, 'counting.py'), [
    'import os, time',
    "counter = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'imports')",
    "with open(counter, 'a') as f:",
    "    f.write('%d\\n' % os.getpid())",
    "with open(counter) as f:",
    "    number = len(f.readlines())",
    `if number == ${slowImport}:`,
    `    time.sleep(${slowSeconds})`,
    'def application(environ, start_response):',
    "    if environ['PATH_INFO'] == '/crash':",
    '        os._exit(1)',
    "    start_response('200 OK', [('Content-Type', 'text/plain')])",
    `    return [b'%d ${text}' % os.getpid()]`,
    '',
  ].join('\n'));
  write(version);
  const importers = () => readFileSync(path.join(dir, 'imports'), 'utf8').trim().split('\n').map(Number);
  return { dir, importers, imports: () => importers().length, write };
}

async function answer(url: string): Promise<{ pid: number; version: string }> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  const [pid, version] = (await res.text()).split(' ');
  return { pid: Number(pid), version };
}

async function pid(url: string): Promise<number> {
  return (await answer(url)).pid;
}

function gone(pid: number): true | undefined {
  try {
    process.kill(pid, 0);
    return undefined;
  } catch {
    return true;
  }
}

test('a replacement that times out at start-up leaves the pool at its size: no extra worker is started for it', async (t) => {
  const app = countingApp(2, 600);
  const s = await startWsgi({ app: 'counting:application', cwd: app.dir, maxRequests: 2, startupTimeoutMs: 3000 });
  t.teardown(s.close);
  const first = await pid(s.url);
  t.is(await pid(s.url), first);
  // The second request made it due: its replacement (import 2) hangs until the start-up timeout kills it.
  await s.waitForLog(/did not start within 3000 ms[^]*keeping the running worker/);
  t.is(await pid(s.url), first);
  t.is(await pid(s.url), first);
  // Due again after two more: this replacement (import 3) starts and the first worker retires.
  await eventually(() => gone(first));
  const [serving, ...others] = s.bridge.stats().workers;
  t.deepEqual(others, []);
  t.not(serving, first);
  t.is(app.imports(), 3);
  t.is(s.bridge.stats().respawns, 0);
});

test('a worker that dies while its replacement starts gives its seat to that replacement, not to a second new worker', async (t) => {
  const app = countingApp(2, 2);
  const s = await startWsgi({ app: 'counting:application', cwd: app.dir, maxRequests: 2 });
  t.teardown(s.close);
  const first = await pid(s.url);
  t.is(await pid(s.url), first);
  // Its replacement is importing (for 2 s); the worker it replaces crashes meanwhile.
  t.is((await fetch(`${s.url}/crash`)).status, 502);
  await s.waitForLog(/its replacement is starting/);
  const next = await pid(s.url);
  t.not(next, first);
  t.deepEqual(s.bridge.stats().workers, [next]);
  t.is(app.imports(), 2);
});

test('a reload while a recycling replacement is still starting replaces that replacement too: one new worker, on the new code', async (t) => {
  const app = countingApp(2, 600);
  const s = await startWsgi({ app: 'counting:application', cwd: app.dir, maxRequests: 2, reload: true });
  t.teardown(s.close);
  const first = await pid(s.url);
  t.is(await pid(s.url), first);
  // The recycling replacement (import 2) hangs in its import; the file changes meanwhile.
  await eventually(() => (app.imports() === 2 ? true : undefined));
  const [, stale] = app.importers();
  app.write('two');
  await eventually(() => gone(stale));
  await eventually(() => gone(first));
  const after = await answer(s.url);
  t.is(after.version, 'two');
  t.deepEqual(s.bridge.stats().workers, [after.pid]);
  t.deepEqual(app.importers(), [first, stale, after.pid]);
});
