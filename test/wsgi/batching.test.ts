/**
 * Response batching in single-threaded workers: frames are held to be written together, but
 * never past responseBatchMs, not even while the application runs a long request, and an
 * application that uses SIGALRM itself keeps its alarms. (Streamed chunks reaching the client
 * while the application waits: validator.test.ts; bodies, files and disconnects: the others.)
 */
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, startWsgi } from './helpers.js';

async function fastBeforeSlow(t: ExecutionContext, slowPath: string, responseBatchMs?: number): Promise<void> {
  const s = await startWsgi({ app: 'behaviours:application', workers: 1, pipeline: 4, ...(responseBatchMs === undefined ? {} : { responseBatchMs }) });
  t.teardown(s.close);
  const first = fetch(`${s.url}/hold?first`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const fast = fetch(`${s.url}/pid`);
  await eventually(() => (s.bridge.stats().active === 2 ? true : undefined));
  const slow = fetch(`${s.url}${slowPath}?slow`);
  await eventually(() => (s.bridge.stats().active === 3 ? true : undefined));
  // The worker finishes `first`, runs `fast` (already read, so its response is held), then `slow`.
  writeFileSync(path.join(s.markers, 'first'), '');
  t.is(await (await first).text(), 'released\n');
  const res = await fast;
  t.is(res.status, 200);
  t.is(typeof (await res.json() as { pid: number }).pid, 'number');
  // Only now is the slow request let go: the fast response did not wait for it.
  writeFileSync(path.join(s.markers, 'slow'), '');
  t.is(await (await slow).text(), 'released\n', 'the slow request was released by the test, not by its own deadline');
}

test('a response is not held while the worker runs a slow (sleeping) request sent after it', fastBeforeSlow, '/hold');
test('a response is not held while the worker runs a slow (CPU-bound) request sent after it', fastBeforeSlow, '/spin');
test('with responseBatchMs 0 every frame is written at once', fastBeforeSlow, '/hold', 0);

async function alarmKept(t: ExecutionContext, env: Record<string, string>): Promise<void> {
  const s = await startWsgi({ app: 'alarms:application', workers: 1, pipeline: 4, env });
  t.teardown(s.close);
  const hellos = async (from: number): Promise<void> => {
    const bodies = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await fetch(`${s.url}/hello?${from + i}`)).text()));
    t.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `hello ${from + i}\n`));
  };
  await hellos(0);
  const [, armed] = await Promise.all([hellos(100), fetch(`${s.url}/arm`).then((r) => r.text()), hellos(200)]);
  t.is(armed, 'armed\n');
  await hellos(300);
  const { fired, after } = await (await fetch(`${s.url}/wait`)).json() as { fired: number; after: number };
  t.is(fired, 1, 'the alarm fired once: the worker fired no SIGALRM of its own into the handler');
  t.true(after >= 0.99, `signal.alarm(1) fired after ${after} s: its timer was not re-armed by the worker`);
  await hellos(400);
}

test('an application that installs a SIGALRM handler in a request keeps its alarm, and responses stay right', alarmKept, {});
test('an application that installs a SIGALRM handler at import keeps its alarm, and responses stay right', alarmKept, { ALARM_AT_IMPORT: '1' });
