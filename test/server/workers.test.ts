/**
 * Multi-process serving through the real command: `--workers` forks processes that
 * share the port, SIGTERM/SIGINT drain requests in flight before exiting, SIGHUP
 * replaces the workers without dropping a request, and a dead worker is replaced.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { freePort, repoRoot, request, startSluice, tempSite, until, type Reply, type Running } from './helpers.js';

const fixtures = path.join(repoRoot, 'test/server/fixtures');
const endpoints = path.join(fixtures, 'endpoints.config.mjs');

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidsServing(sluice: Running, requests: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < requests; i++) pids.add(Number((await request(`${sluice.url}/pid`)).headers['x-worker-pid']));
  return pids;
}

function slowStarts(sluice: Running): number {
  return sluice.stderr().split('\n').filter((line) => line.startsWith('slow-start ')).length;
}

test.serial('--workers 2 serves from two processes sharing the port', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0', '--workers', '2']);
  t.is(sluice.stdout().split('\n').filter((l) => l.startsWith('listening on')).length, 1);
  const workers = childPids(sluice.pid);
  t.is(workers.length, 2);
  const pids = await pidsServing(sluice, 40);
  t.deepEqual([...pids].sort(), [...workers].sort());
  t.false(pids.has(sluice.pid));
});

test.serial('--workers auto starts one worker per core', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--root', site, '--port', '0', '--workers', 'auto']);
  t.is(childPids(sluice.pid).length, os.availableParallelism());
});

test.serial('SIGTERM lets every request in flight finish, then all workers exit', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0', '--workers', '2']);
  const workers = childPids(sluice.pid);
  const inFlight = Array.from({ length: 10 }, () => request(`${sluice.url}/slow?ms=1500`));
  await until(() => slowStarts(sluice) === 10, 10_000);
  process.kill(sluice.pid, 'SIGTERM');
  const replies = await Promise.all(inFlight);
  t.deepEqual(replies.map((r) => r.status), Array(10).fill(200));
  for (const reply of replies) t.regex(reply.body, /^slept 1500 ms in \d+$/);
  t.is(new Set(replies.map((r) => r.body.split(' in ')[1])).size, 2);
  t.is(await sluice.exited, 0);
  t.deepEqual(workers.filter(alive), []);
});

test.serial('SIGINT stops gracefully too', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0']);
  const inFlight = request(`${sluice.url}/slow?ms=800`);
  await until(() => slowStarts(sluice) === 1, 10_000);
  process.kill(sluice.pid, 'SIGINT');
  t.is((await inFlight).status, 200);
  t.is(await sluice.exited, 0);
});

test.serial('after SIGTERM the port is closed to new connections', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0']);
  const inFlight = request(`${sluice.url}/slow?ms=1500`);
  await until(() => slowStarts(sluice) === 1, 10_000);
  process.kill(sluice.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  const late = await request(`${sluice.url}/pid`).then((r) => r.status, (error: NodeJS.ErrnoException) => error.code);
  t.true(late === 'ECONNREFUSED' || late === 503 || late === 'ECONNRESET', String(late));
  t.is((await inFlight).status, 200);
  t.is(await sluice.exited, 0);
});

test.serial('shutdownGraceMs bounds how long requests in flight may take', async (t) => {
  const site = tempSite(t);
  // The endpoints' config, extended with the key under test.
  const wrapper = path.join(site, 'sluice.config.mjs');
  writeFileSync(wrapper, `import base from ${JSON.stringify(endpoints)};\nexport default { ...base, shutdownGraceMs: 200 };\n`);
  const sluice = await startSluice(t, ['--config', wrapper, '--root', site, '--port', '0']);
  const inFlight = request(`${sluice.url}/slow?ms=20000`).then((r) => r.status, (error: NodeJS.ErrnoException) => error.code);
  await until(() => slowStarts(sluice) === 1, 10_000);
  const stoppedAt = Date.now();
  process.kill(sluice.pid, 'SIGTERM');
  t.is(await sluice.exited, 0);
  t.true(Date.now() - stoppedAt < 10_000);
  t.not(await inFlight, 200);
});

test.serial('SIGHUP reloads the configuration and replaces the workers without dropping requests', async (t) => {
  const site = tempSite(t, { 'a.txt': 'before\n', 'b.txt': 'after\n' });
  const config = path.join(site, 'sluice.config.mjs');
  const write = (alias: string) =>
    writeFileSync(config, `import base from ${JSON.stringify(endpoints)};\nexport default { ...base, mime: { '.txt': '${alias}' } };\n`);
  write('text/x-before');
  const sluice = await startSluice(t, ['--config', config, '--root', site, '--port', '0', '--workers', '2']);
  const oldWorkers = childPids(sluice.pid);
  t.is((await request(`${sluice.url}/a.txt`)).headers['content-type'], 'text/x-before; charset=utf-8');

  const slow = Array.from({ length: 4 }, () => request(`${sluice.url}/slow?ms=1500`));
  await until(() => slowStarts(sluice) === 4, 10_000);
  let stop = false;
  const statuses: Array<number | string> = [];
  const steady = (async () => {
    while (!stop) statuses.push(await request(`${sluice.url}/pid`).then((r) => r.status, (error: NodeJS.ErrnoException) => error.code ?? 'error'));
  })();
  let slowReplies: Reply[] = [];
  try {
    write('text/x-after');
    process.kill(sluice.pid, 'SIGHUP');
    await until(() => sluice.stderr().includes('configuration reloaded'), 20_000);
    slowReplies = await Promise.all(slow);
    await until(() => oldWorkers.every((pid) => !alive(pid)), 10_000);
  } finally {
    stop = true;
    await steady;
  }

  t.deepEqual(slowReplies.map((r) => r.status), [200, 200, 200, 200]);
  t.true(statuses.length > 0);
  t.deepEqual(statuses.filter((s) => s !== 200), []);
  t.is((await request(`${sluice.url}/a.txt`)).headers['content-type'], 'text/x-after; charset=utf-8');
  const newWorkers = childPids(sluice.pid);
  t.is(newWorkers.length, 2);
  t.deepEqual(newWorkers.filter((pid) => oldWorkers.includes(pid)), []);
  t.is(sluice.stdout().split('\n').filter((l) => l.startsWith('listening on')).length, 1);
});

test.serial('a reload with a broken configuration keeps the running workers', async (t) => {
  const site = tempSite(t);
  const config = path.join(site, 'sluice.json');
  writeFileSync(config, JSON.stringify({ port: 0, root: '.' }));
  const sluice = await startSluice(t, ['--config', config]);
  const workers = childPids(sluice.pid);
  writeFileSync(config, JSON.stringify({ port: 0, root: '.', colour: 'blue' }));
  process.kill(sluice.pid, 'SIGHUP');
  await until(() => sluice.stderr().includes('reload failed'));
  t.regex(sluice.stderr(), /sluice: reload failed, keeping the running configuration: config file ".*sluice\.json": unknown key "colour"\n/);
  t.deepEqual(childPids(sluice.pid), workers);
  t.is((await request(`${sluice.url}/`)).status, 404);
});

test.serial('a worker that dies is replaced', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0', '--workers', '2']);
  const [victim, survivor] = childPids(sluice.pid);
  process.kill(victim, 'SIGKILL');
  await until(() => childPids(sluice.pid).length === 2 && !childPids(sluice.pid).includes(victim), 10_000);
  t.regex(sluice.stderr(), new RegExp(`sluice: worker ${victim} exited \\(SIGKILL\\); starting a new one`));
  t.true(childPids(sluice.pid).includes(survivor));
  const replacement = childPids(sluice.pid).find((pid) => pid !== survivor)!;
  const pids = new Set<number>();
  const deadline = Date.now() + 10_000;
  while (!pids.has(replacement) && Date.now() < deadline) for (const pid of await pidsServing(sluice, 10)) pids.add(pid);
  t.true(pids.has(replacement));
  t.false(pids.has(victim));
});

test.serial('a reload that moves the port prints the new listening line', async (t) => {
  const site = tempSite(t, { 'index.html': 'moved\n' });
  const config = path.join(site, 'sluice.json');
  writeFileSync(config, JSON.stringify({ port: 0, root: '.' }));
  const sluice = await startSluice(t, ['--config', config]);
  const port = await freePort();
  writeFileSync(config, JSON.stringify({ port, root: '.' }));
  process.kill(sluice.pid, 'SIGHUP');
  await until(() => sluice.stdout().includes(`listening on http://127.0.0.1:${port}\n`), 20_000);
  t.is((await request(`http://127.0.0.1:${port}/`)).body, 'moved\n');
  await until(() => childPids(sluice.pid).length === 1, 10_000);
  await t.throwsAsync(request(`${sluice.url}/`), { code: 'ECONNREFUSED' });
});

test.serial('a reload whose WSGI app cannot be imported keeps the running workers', async (t) => {
  const site = tempSite(t);
  const config = path.join(site, 'sluice.json');
  const write = (module: string) => writeFileSync(config, JSON.stringify({ port: 0, root: '.', wsgi: { '/py': `${module}:application` }, wsgiPath: [fixtures], wsgiWorkers: 1 }));
  write('pid_app');
  const sluice = await startSluice(t, ['--config', config]);
  const workers = childPids(sluice.pid);
  write('broken_app');
  process.kill(sluice.pid, 'SIGHUP');
  await until(() => sluice.stderr().includes('reload failed'), 20_000);
  t.regex(sluice.stderr(), /reload failed, keeping the running configuration: wsgi\["\/py"\]: .*No module named 'module_that_does_not_exist'/);
  // The failed new worker is gone once reaped; the old one never left.
  await until(() => childPids(sluice.pid).length === 1, 5000);
  t.deepEqual(childPids(sluice.pid), workers);
  t.regex((await request(`${sluice.url}/py/`)).body, /^pid=\d+ /);
});

test.serial('a second SIGTERM stops at once, without waiting for requests in flight', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0']);
  const inFlight = request(`${sluice.url}/slow?ms=30000`).then((r) => r.status, (error: NodeJS.ErrnoException) => error.code);
  await until(() => slowStarts(sluice) === 1, 10_000);
  const worker = childPids(sluice.pid)[0];
  process.kill(sluice.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  process.kill(sluice.pid, 'SIGTERM');
  t.is(await sluice.exited, 1);
  t.is(await inFlight, 'ECONNRESET');
  await until(() => !alive(worker), 5000);
});

test.serial('a replacement that cannot start is retried until the configuration is fixed', async (t) => {
  const site = tempSite(t, { 'index.html': 'back\n' });
  const config = path.join(site, 'sluice.json');
  writeFileSync(config, JSON.stringify({ port: 0, root: '.' }));
  const sluice = await startSluice(t, ['--config', config]);
  const [worker] = childPids(sluice.pid);
  writeFileSync(config, JSON.stringify({ port: 0, root: 'gone' }));
  process.kill(worker, 'SIGKILL');
  await until(() => /could not start: root directory ".*gone" does not exist; starting a new one/.test(sluice.stderr()), 20_000).catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${sluice.stderr()}`);
  });
  writeFileSync(config, JSON.stringify({ port: 0, root: '.' }));
  let body = '';
  await until(() => body === 'back\n', 30_000, async () => {
    body = await request(`${sluice.url}/`, { timeoutMs: 2000 }).then((r) => r.body, () => '');
  });
  t.is(body, 'back\n');
});
