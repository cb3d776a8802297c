import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { alive, childrenOf, eventually, HELPERS, nativeHelperBuilt, raw, SPAWNERS, startCgi, tempDir, writeScript, zombiesOf } from './helpers.js';

function bin(t: ExecutionContext, scripts: Record<string, string>): string {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  for (const [name, source] of Object.entries(scripts)) writeScript(join(tmp.dir, name), `#!/bin/sh\n${source}`);
  return tmp.dir;
}

const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').trim());

async function pidFile(file: string): Promise<number> {
  await eventually(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'), 15_000, file);
  return pidOf(file);
}

for (const spawner of SPAWNERS) {
  test.serial(`[${spawner}] a program silent for timeoutMs is killed and the client gets 504`, async (t) => {
    const dir = bin(t, { 'silent.cgi': 'echo $$ > "$0.pid"; sleep 30' });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, timeoutMs: 1000 });
    t.teardown(s.close);
    const res = await fetch(`${s.url}/cgi-bin/silent.cgi`);
    t.is(res.status, 504);
    const pid = pidOf(join(dir, 'silent.cgi.pid'));
    await eventually(() => !alive(pid), 15_000, 'program killed');
    t.true(s.logger.lines.some((l) => /no output for 1000 ms/.test(l.message)));
  });

  test.serial(`[${spawner}] maxRuntimeMs is a hard limit even for a program that keeps talking`, async (t) => {
    const dir = bin(t, { 'chatty.cgi': `echo $$ > "$0.pid"; printf 'Content-Type: text/plain\\n\\n'; while true; do echo tick; sleep 0.05; done` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, maxRuntimeMs: 2000 });
    t.teardown(s.close);
    const res = await raw(s.port, 'GET /cgi-bin/chatty.cgi HTTP/1.1\r\nHost: x\r\n\r\n');
    t.regex(res.text, /^HTTP\/1\.1 200 /);
    t.regex(res.text, /tick/);
    t.true(res.closed, 'the connection is dropped: the response cannot be completed');
    t.false(res.text.endsWith('0\r\n\r\n'), 'no clean end of the chunked body');
    await eventually(() => !alive(pidOf(join(dir, 'chatty.cgi.pid'))), 15_000, 'program killed');
  });

  test.serial(`[${spawner}] a program ignoring SIGTERM is killed with SIGKILL after killGraceMs, children included`, async (t) => {
    const dir = bin(t, { 'stubborn.cgi': `trap '' TERM; sleep 60 & echo $! > "$0.child"; echo $$ > "$0.pid"; while true; do sleep 0.05; done` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, timeoutMs: 1000, killGraceMs: 500 });
    t.teardown(s.close);
    const res = await fetch(`${s.url}/cgi-bin/stubborn.cgi`);
    t.is(res.status, 504);
    const pid = pidOf(join(dir, 'stubborn.cgi.pid'));
    const child = pidOf(join(dir, 'stubborn.cgi.child'));
    await eventually(() => !alive(pid) && !alive(child), 15_000, 'program and child killed');
    t.pass();
  });

  test.serial(`[${spawner}] a client that disconnects (reset) kills the program and its children`, async (t) => {
    const dir = bin(t, { 'long.cgi': `sleep 60 & echo $! > "$0.child"; echo $$ > "$0.pid"; printf 'Content-Type: text/plain\\n\\nstarted\\n'; wait` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const socket = net.connect(s.port, '127.0.0.1');
    socket.write('GET /cgi-bin/long.cgi HTTP/1.1\r\nHost: x\r\n\r\n');
    const [first] = (await once(socket, 'data')) as [Buffer];
    t.regex(first.toString(), /^HTTP\/1\.1 200/);
    const pid = await pidFile(join(dir, 'long.cgi.pid'));
    const child = await pidFile(join(dir, 'long.cgi.child'));
    t.true(alive(pid));
    socket.resetAndDestroy();
    await eventually(() => !alive(pid) && !alive(child), 15_000, 'program and child killed');
    t.pass();
  });

  test.serial(`[${spawner}] a client that closes its end is noticed at the program's next output, which kills it`, async (t) => {
    const dir = bin(t, { 'ticker.cgi': `echo $$ > "$0.pid"; printf 'Content-Type: text/plain\\n\\n'; while true; do echo tick; sleep 0.1; done` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /cgi-bin/ticker.cgi HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    const pid = await pidFile(join(dir, 'ticker.cgi.pid'));
    socket.destroy();
    await eventually(() => !alive(pid), 15_000, 'program killed');
    t.pass();
  });

  test.serial(`[${spawner}] a client that disconnects before any output also kills the program`, async (t) => {
    const dir = bin(t, { 'quiet.cgi': 'echo $$ > "$0.pid"; sleep 60' });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const socket = net.connect(s.port, '127.0.0.1');
    socket.write('GET /cgi-bin/quiet.cgi HTTP/1.1\r\nHost: x\r\n\r\n');
    const pid = await pidFile(join(dir, 'quiet.cgi.pid'));
    socket.resetAndDestroy();
    await eventually(() => !alive(pid), 15_000, 'program killed');
    t.pass();
  });

  test.serial(`[${spawner}] stderr reaches the logger line by line, bounded`, async (t) => {
    const dir = bin(t, {
      'warn.cgi': `echo "first problem" >&2; printf 'second\\r\\n' >&2; printf 'Content-Type: text/plain\\n\\nok'; printf 'unterminated' >&2`,
      'flood.cgi': `i=0; while [ $i -lt 3000 ]; do echo "noise line $i ........................................" >&2; i=$((i+1)); done; printf 'Content-Type: text/plain\\n\\ndone'`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, maxStderrBytes: 2000 });
    t.teardown(s.close);
    t.is(await (await fetch(`${s.url}/cgi-bin/warn.cgi`)).text(), 'ok');
    await eventually(() => s.logger.lines.some((l) => l.message === 'cgi stderr: unterminated'), 3000, 'last line');
    const warn = s.logger.lines.filter((l) => l.meta?.script === '/cgi-bin/warn.cgi').map((l) => l.message);
    t.deepEqual(warn, ['cgi stderr: first problem', 'cgi stderr: second', 'cgi stderr: unterminated']);
    t.is(await (await fetch(`${s.url}/cgi-bin/flood.cgi`)).text(), 'done', 'a program flooding stderr is not blocked');
    await eventually(() => s.logger.lines.some((l) => /the rest is dropped/.test(l.message)), 3000, 'drop note');
    const flood = s.logger.lines.filter((l) => l.meta?.script === '/cgi-bin/flood.cgi');
    t.true(flood.length < 40, `${flood.length} lines logged`);
  });

  test.serial(`[${spawner}] maxProcesses: later requests queue (bounded), then get 503`, async (t) => {
    const dir = bin(t, { 'hold.cgi': `touch "$0.running"; while [ ! -f "$0.go" ]; do sleep 0.02; done; printf 'Content-Type: text/plain\\n\\ndone'` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, maxProcesses: 1, maxQueue: 1 });
    t.teardown(s.close);
    const first = fetch(`${s.url}/cgi-bin/hold.cgi`);
    await eventually(() => existsSync(join(dir, 'hold.cgi.running')), 15_000, 'first program running');
    const second = fetch(`${s.url}/cgi-bin/hold.cgi`);
    await new Promise((r) => setTimeout(r, 1000));
    const third = await fetch(`${s.url}/cgi-bin/hold.cgi`);
    t.is(third.status, 503);
    t.is(third.headers.get('retry-after'), '1');
    writeFileSync(join(dir, 'hold.cgi.go'), '');
    t.is(await (await first).text(), 'done');
    t.is(await (await second).text(), 'done');
  });

  test.serial(`[${spawner}] a request waiting longer than queueTimeoutMs gets 503`, async (t) => {
    const dir = bin(t, { 'hold.cgi': `touch "$0.running"; while [ ! -f "$0.go" ]; do sleep 0.02; done; printf 'Content-Type: text/plain\\n\\ndone'` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, maxProcesses: 1, queueTimeoutMs: 300 });
    t.teardown(s.close);
    const first = fetch(`${s.url}/cgi-bin/hold.cgi`);
    await eventually(() => existsSync(join(dir, 'hold.cgi.running')), 15_000, 'first program running');
    t.is((await fetch(`${s.url}/cgi-bin/hold.cgi`)).status, 503);
    writeFileSync(join(dir, 'hold.cgi.go'), '');
    t.is(await (await first).text(), 'done');
    t.is(await (await fetch(`${s.url}/cgi-bin/hold.cgi`)).text(), 'done', 'the slot came back');
  });

  test.serial(`[${spawner}] a program inherits no descriptor but its stdio (no pipe or socket of the server or of other programs)`, async (t) => {
    const dir = bin(t, {
      'fds.cgi': `printf 'Content-Type: text/plain\\n\\n'; exec ls -l /proc/self/fd`,
      'slow.cgi': `sleep 1; printf 'Content-Type: text/plain\\n\\nslow'`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const inherited = new Set(readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }));
    // Other programs running at the same time must not leak their pipes into this one.
    const others = [fetch(`${s.url}/cgi-bin/slow.cgi`), fetch(`${s.url}/cgi-bin/slow.cgi`, { method: 'POST', body: 'x' })];
    await new Promise((r) => setTimeout(r, 200));
    for (const request of [fetch(`${s.url}/cgi-bin/fds.cgi`), fetch(`${s.url}/cgi-bin/fds.cgi`, { method: 'POST', body: 'y' })]) {
      const text = await (await request).text();
      const fds = [...text.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
      // What the test process holds without close-on-exec reaches every child that child_process
      // starts (direct spawning); the helpers close such descriptors when they start.
      const extra = fds.filter(([fd, target]) => fd > 2 && /^(pipe|socket):/.test(target) && !(spawner === 'direct' && inherited.has(target)));
      t.deepEqual(extra, [], text);
      t.true(fds.some(([fd]) => fd === 1));
    }
    for (const other of others) t.is(await (await other).text(), 'slow');
  });

  test.serial(`[${spawner}] no zombies are left, whatever way programs end`, async (t) => {
    const dir = bin(t, {
      'ok.cgi': `printf 'Content-Type: text/plain\\n\\nok'`,
      'fail.cgi': 'exit 1',
      'silent.cgi': 'sleep 30',
      'orphan.cgi': `sleep 0.2 & printf 'Content-Type: text/plain\\n\\nok'`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, timeoutMs: 3000, killGraceMs: 200 });
    t.teardown(s.close);
    const results = await Promise.all(
      ['ok', 'fail', 'silent', 'orphan', 'ok', 'fail'].map(async (name) => (await fetch(`${s.url}/cgi-bin/${name}.cgi`)).status),
    );
    t.deepEqual(results, [200, 502, 504, 200, 200, 502]);
    const helper = s.cgi.helperPid;
    const parents = [process.pid, ...(helper === undefined ? [] : [helper])];
    // A killed program is answered (504) before it has finished dying, so it
    // may become a zombie for an instant after the responses: wait until no
    // program is left at all (zombies count as children), then check that
    // none was left unreaped.
    await eventually(() => childrenOf(parents).every((pid) => pid === helper), 5000, 'every program gone and reaped');
    t.deepEqual(zombiesOf(parents), []);
  });
}

for (const spawner of HELPERS) {
  test.serial(`[${spawner}] a dead spawn helper is replaced; what it ran is killed`, async (t) => {
    const dir = bin(t, {
      'ok.cgi': `printf 'Content-Type: text/plain\\n\\nok'`,
      'long.cgi': `echo $$ > "$0.pid"; printf 'Content-Type: text/plain\\n\\nstarted\\n'; sleep 60`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    t.is(await (await fetch(`${s.url}/cgi-bin/ok.cgi`)).text(), 'ok');
    const helper = s.cgi.helperPid as number;
    t.true(alive(helper));
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    // The response head means the server has the program's pid (the helper reports it before any
    // output); killed earlier, on a loaded machine, the helper may die before reporting it.
    const head = once(socket, 'data');
    socket.write('GET /cgi-bin/long.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const pid = await pidFile(join(dir, 'long.cgi.pid'));
    await head;
    socket.resume();
    process.kill(helper, 'SIGKILL');
    await eventually(() => !alive(pid), 15_000, 'orphaned program killed');
    await closed;
    t.is(await (await fetch(`${s.url}/cgi-bin/ok.cgi`)).text(), 'ok');
    t.not(s.cgi.helperPid, helper);
    t.true(s.logger.lines.some((l) => /spawn helper exited/.test(l.message)));
  });
}

/** The scheduler slice (ns) /proc/<pid>/sched shows for a task, when the kernel shows one. */
function sliceOf(text: string): number | undefined {
  const match = /^se\.slice\s*:\s*(\d+)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

// EEVDF custom slices (sched_setattr's sched_runtime for normal tasks) arrived in Linux 6.12.
const [major, minor] = release().split('.').map(Number);
const customSlices = (major > 6 || (major === 6 && minor >= 12)) && sliceOf(readFileSync('/proc/self/sched', 'utf8')) !== undefined;

for (const spawner of HELPERS) {
  test.serial(`[${spawner}] programs get programSliceMs as their scheduler slice; the helper keeps the default`, async (t) => {
    const dir = bin(t, { 'slice.cgi': `printf 'Content-Type: text/plain\\n\\n'; cat /proc/$$/sched` });
    const own = sliceOf(readFileSync('/proc/self/sched', 'utf8'));
    const cases: Array<[number | undefined, number | undefined]> = customSlices
      ? [[undefined, 50_000_000], [5, 5_000_000], [0, own]]
      : [[undefined, own], [0, own]]; // an older kernel: nothing changes, nothing fails
    for (const [programSliceMs, expected] of cases) {
      const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, ...(programSliceMs === undefined ? {} : { programSliceMs }) });
      t.teardown(s.close);
      const res = await fetch(`${s.url}/cgi-bin/slice.cgi`);
      t.is(res.status, 200);
      t.is(sliceOf(await res.text()), expected, `programSliceMs ${programSliceMs}`);
      t.is(sliceOf(readFileSync(`/proc/${s.cgi.helperPid}/sched`, 'utf8')), own, 'the helper runs with the kernel default');
    }
  });
}

test.serial('spawner "auto" uses the native helper when built (else the Python one), the Python one when asked, else spawns directly', async (t) => {
  const dir = bin(t, { 'ok.cgi': `printf 'Content-Type: text/plain\\n\\nok'` });
  const auto = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(auto.close);
  t.is(await (await fetch(`${auto.url}/cgi-bin/ok.cgi`)).text(), 'ok');
  t.is(auto.cgi.spawnerKind, 'helper');
  t.is(auto.cgi.helperKind, nativeHelperBuilt ? 'native' : 'python');
  const python = await startCgi({ mounts: { '/cgi-bin': dir }, helper: 'python' });
  t.teardown(python.close);
  t.is(await (await fetch(`${python.url}/cgi-bin/ok.cgi`)).text(), 'ok');
  t.is(python.cgi.helperKind, 'python');
  const noPython = await startCgi({ mounts: { '/cgi-bin': dir }, helper: 'python', helperPython: '/nonexistent/python3' });
  t.teardown(noPython.close);
  t.is(await (await fetch(`${noPython.url}/cgi-bin/ok.cgi`)).text(), 'ok');
  t.is(noPython.cgi.spawnerKind, 'direct');
  t.true(noPython.logger.lines.some((l) => /spawn helper unavailable/.test(l.message)));
});

for (const spawner of HELPERS) {
  test.serial(`[${spawner}] the spawn helper holds no descriptors for finished programs (body or none, stderr or none, failures)`, async (t) => {
    const dir = bin(t, {
      'ok.cgi': `printf 'Content-Type: text/plain\\n\\nok'`,
      'noisy.cgi': `echo complaint >&2; printf 'Content-Type: text/plain\\n\\nok'`,
      'reader.cgi': `body=$(cat); printf 'Content-Type: text/plain\\n\\n%s' "$body"`,
      'ignorer.cgi': `printf 'Content-Type: text/plain\\n\\nignored'`,
      'fail.cgi': 'exit 3',
      'orphan.cgi': `sleep 0.3 & printf 'Content-Type: text/plain\\n\\nok'`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    t.is(await (await fetch(`${s.url}/cgi-bin/ok.cgi`)).text(), 'ok');
    const helper = s.cgi.helperPid as number;
    const fds = (): number => readdirSync(`/proc/${helper}/fd`).length;
    // The first program's pipes may still be open for an instant after its response (the
    // helper closes stderr when it reads its end, possibly just after relaying stdout's end):
    // the baseline is the lowest count over 200 ms.
    let baseline = fds();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 10));
      baseline = Math.min(baseline, fds());
    }
    for (let round = 0; round < 10; round++) {
      const statuses = await Promise.all([
        fetch(`${s.url}/cgi-bin/ok.cgi`).then((r) => r.text()),
        fetch(`${s.url}/cgi-bin/noisy.cgi`).then((r) => r.text()),
        fetch(`${s.url}/cgi-bin/reader.cgi`, { method: 'POST', body: 'x'.repeat(5000) }).then((r) => r.text()),
        fetch(`${s.url}/cgi-bin/ignorer.cgi`, { method: 'POST', body: 'y'.repeat(200_000) }).then((r) => r.text()),
        fetch(`${s.url}/cgi-bin/fail.cgi`).then((r) => String(r.status)),
        fetch(`${s.url}/cgi-bin/orphan.cgi`).then((r) => r.text()),
      ]);
      t.deepEqual(statuses, ['ok', 'ok', 'x'.repeat(5000), 'ignored', '502', 'ok']);
    }
    await eventually(() => fds() === baseline, 5000, `helper back to ${baseline} descriptors`);
    t.is(fds(), baseline);
    t.is(s.logger.lines.filter((l) => l.message === 'cgi stderr: complaint').length, 10, 'every stderr line arrived, once');
  });
}
