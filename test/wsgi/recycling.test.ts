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
 * An app in a fresh directory that counts its imports in the file `imports` there; the
 * import numbered `slowImport` sleeps `slowSeconds` first. `/crash` ends the process.
 */
function countingApp(slowImport: number, slowSeconds: number): { dir: string; imports(): number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-recycle-'));
  writeFileSync(path.join(dir, 'counting.py'), [
    'import os, time',
    "counter = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'imports')",
    "with open(counter, 'a') as f:",
    "    f.write('x')",
    `if os.path.getsize(counter) == ${slowImport}:`,
    `    time.sleep(${slowSeconds})`,
    'def application(environ, start_response):',
    "    if environ['PATH_INFO'] == '/crash':",
    '        os._exit(1)',
    "    start_response('200 OK', [('Content-Type', 'text/plain')])",
    '    return [str(os.getpid()).encode()]',
    '',
  ].join('\n'));
  return { dir, imports: () => readFileSync(path.join(dir, 'imports'), 'utf8').length };
}

async function pid(url: string): Promise<number> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return Number(await res.text());
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
