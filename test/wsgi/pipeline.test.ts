/** Requests sent ahead to busy single-threaded workers: taken back for idle workers, re-run elsewhere when their worker dies. */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, startWsgi } from './helpers.js';

test('a request sent ahead to a busy worker is taken back when another worker becomes idle', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', workers: 2, pipeline: 4 });
  t.teardown(s.close);
  const first = fetch(`${s.url}/block?first`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const second = fetch(`${s.url}/block?second`);
  await eventually(() => (s.bridge.stats().active === 2 ? true : undefined));
  const ahead = fetch(`${s.url}/pid`);
  await eventually(() => (s.bridge.stats().active === 3 ? true : undefined));
  writeFileSync(path.join(s.markers, 'second'), '');
  t.is((await second).status, 200);
  const res = await ahead;
  t.is(res.status, 200, 'served by the freed worker while the first one is still blocked');
  t.is(s.bridge.stats().active, 1, JSON.stringify(s.bridge.stats()));
  writeFileSync(path.join(s.markers, 'first'), '');
  t.is((await first).status, 200);
});

test('requests waiting behind one that crashes its worker are run by the new worker', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', workers: 1, pipeline: 4 });
  t.teardown(s.close);
  const doomed = fetch(`${s.url}/block-then-crash?boom`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const waiting = [fetch(`${s.url}/pid`), fetch(`${s.url}/pid`)];
  await eventually(() => (s.bridge.stats().active === 3 ? true : undefined));
  writeFileSync(path.join(s.markers, 'boom'), '');
  t.is((await doomed).status, 502);
  for (const res of await Promise.all(waiting)) t.is(res.status, 200);
});

test('with pipeline 0 a busy worker gets nothing more: requests wait in the queue', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', workers: 1, pipeline: 0 });
  t.teardown(s.close);
  const busy = fetch(`${s.url}/block?go`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const queued = fetch(`${s.url}/pid`);
  await eventually(() => (s.bridge.stats().queued === 1 ? true : undefined));
  t.is(s.bridge.stats().active, 1);
  writeFileSync(path.join(s.markers, 'go'), '');
  t.is((await busy).status, 200);
  t.is((await queued).status, 200);
});
