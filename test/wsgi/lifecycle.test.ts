/** Start-up, readiness, recycling, reload, threads, graceful shutdown, options. */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Application } from '@sluice/core';
import { wsgi, WsgiError } from '@sluice/wsgi-bridge';
import { APPS_DIR, EXAMPLES_DIR, eventually, PYTHON, recordingLogger, startWsgi, type LogEntry } from './helpers.js';

async function startupError(app: string, extra: Record<string, unknown> = {}): Promise<{ error: WsgiError; logs: LogEntry[] }> {
  const logs: LogEntry[] = [];
  const bridge = wsgi({ app, python: PYTHON, cwd: APPS_DIR, workers: 2, logger: recordingLogger(logs), env: { PYTHONDONTWRITEBYTECODE: '1' }, ...extra });
  try {
    await bridge.ready();
  } catch (error) {
    await bridge.close();
    return { error: error as WsgiError, logs };
  }
  await bridge.close();
  throw new Error('ready() resolved for a broken application');
}

test('start-up failure: a missing module is reported with the Python error before ready', async (t) => {
  const { error, logs } = await startupError('no_such_module:application');
  t.true(error instanceof WsgiError);
  t.is(error.code, 'SLUICE_ERR_WSGI_STARTUP');
  t.regex(error.message, /ModuleNotFoundError: No module named 'no_such_module'/);
  t.regex(error.stack ?? '', /Traceback \(most recent call last\)/);
  t.true(logs.some((l) => l.level === 'error' && /No module named 'no_such_module'/.test(l.message)));
});

test('start-up failure: a syntax error names the file and line', async (t) => {
  const { error } = await startupError('broken_syntax:application');
  t.regex(error.message, /SyntaxError: expected ':'/);
  t.regex(error.stack ?? '', /broken_syntax\.py", line 3/);
});

test('start-up failure: a missing callable is named', async (t) => {
  const { error } = await startupError('no_callable:application');
  t.regex(error.message, /AttributeError: module 'no_callable' has no attribute 'application'/);
  const notCallable = await startupError('no_callable:something_else');
  t.regex(notCallable.error.message, /TypeError: no_callable:something_else is not callable \(it is int\)/);
});

test('start-up failure: a missing Python executable is reported', async (t) => {
  const { error } = await startupError('behaviours:application', { python: '/nonexistent/python3' });
  t.regex(error.message, /could not be started: spawn \/nonexistent\/python3 ENOENT/);
});

test('requests to a bridge whose application failed to start get 503', async (t) => {
  const logs: LogEntry[] = [];
  const app = new Application({ logger: recordingLogger(logs) });
  const bridge = wsgi({ app: 'no_such_module:application', python: PYTHON, cwd: APPS_DIR, workers: 1, logger: recordingLogger(logs) });
  app.use(bridge);
  await t.throwsAsync(bridge.ready());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => { await app.close(); await bridge.close(); });
  const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, { headers: { Accept: 'application/json' } });
  t.is(res.status, 503);
  t.is((await res.json() as { code: string }).code, 'SLUICE_ERR_WSGI_NOT_STARTED');
});

test('maxRequests recycles a worker: a new process takes over, no request fails', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', maxRequests: 3 });
  t.teardown(s.close);
  const pids = new Set<number>();
  // The old worker keeps serving until its replacement has imported the app: no gap.
  for (let i = 0; i < 300 && pids.size < 3; i++) {
    const res = await fetch(`${s.url}/pid`);
    t.is(res.status, 200);
    pids.add((await res.json() as { pid: number }).pid);
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(pids.size, 3);
  const [first] = pids;
  await eventually(() => {
    try {
      process.kill(first, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  t.is(s.bridge.stats().respawns, 0, 'recycling is not a crash');
});

test('graceful close: a request in flight finishes, new ones get 503, then the workers exit', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  const [pid] = s.bridge.stats().workers;
  const slow = fetch(`${s.url}/sleep?0.5`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const closing = s.bridge.close(5000);
  const refused = await fetch(`${s.url}/pid`, { headers: { Accept: 'application/json' } });
  t.is(refused.status, 503);
  t.is((await refused.json() as { code: string }).code, 'SLUICE_ERR_WSGI_CLOSED');
  const res = await slow;
  t.is(res.status, 200);
  t.is(await res.text(), 'slept\n');
  await closing;
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  await s.app.close(1000);
});

test('reload: changing a .py file replaces the workers with ones running the new code', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-reload-'));
  const write = (text: string) => writeFileSync(path.join(dir, 'reloadable.py'),
    `def application(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'${text}']\n`);
  write('version one');
  const s = await startWsgi({ app: 'reloadable:application', cwd: dir, reload: true });
  t.teardown(s.close);
  t.is(await (await fetch(s.url)).text(), 'version one');
  write('version two');
  await eventually(() => (s.logs.some((l) => /reloadable\.py changed/.test(l.message)) ? true : undefined), 10_000);
  let body = '';
  for (let i = 0; i < 200 && body !== 'version two'; i++) {
    body = await (await fetch(s.url)).text();
    if (body !== 'version two') await new Promise((r) => setTimeout(r, 50));
  }
  t.is(body, 'version two');
});

test('reload keeps the running workers when the new code does not load', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-reload-'));
  copyFileSync(path.join(APPS_DIR, 'behaviours.py'), path.join(dir, 'app.py'));
  const s = await startWsgi({ app: 'app:application', cwd: dir, reload: true });
  t.teardown(s.close);
  const [pid] = s.bridge.stats().workers;
  writeFileSync(path.join(dir, 'app.py'), 'def application(environ, start_response)\n');
  await s.waitForLog(/keeping the running worker/, 60_000);
  const res = await fetch(`${s.url}/pid`);
  t.is((await res.json() as { pid: number }).pid, pid);
});

test('threads: one worker runs several requests at once and says so in wsgi.multithread', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', threads: 3 });
  t.teardown(s.close);
  const blocked = [fetch(`${s.url}/block?go`), fetch(`${s.url}/block?go`)];
  await eventually(() => (s.bridge.stats().active === 2 ? true : undefined));
  const info = await (await fetch(`${s.url}/pid`)).json() as { multithread: boolean; multiprocess: boolean };
  t.true(info.multithread);
  t.false(info.multiprocess);
  writeFileSync(path.join(s.markers, 'go'), '');
  for (const res of await Promise.all(blocked)) t.is(await res.text(), 'released\n');
});

test('several workers: wsgi.multiprocess is true and requests spread over them', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', workers: 2 });
  t.teardown(s.close);
  t.is(s.bridge.stats().workers.length, 2);
  const blocked = fetch(`${s.url}/block?go`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const info = await (await fetch(`${s.url}/pid`)).json() as { multiprocess: boolean; pid: number };
  t.true(info.multiprocess);
  writeFileSync(path.join(s.markers, 'go'), '');
  t.is((await blocked).status, 200);
});

test('options are validated with a message naming the bad key', (t) => {
  t.throws(() => wsgi({ app: 'x:y', wokers: 2 } as never), { message: /option "wokers" is not a known option/ });
  t.throws(() => wsgi({ app: 'not a spec' }), { message: /option "app" must look like "module:callable"/ });
  t.throws(() => wsgi({ app: 'a:b', workers: 0 }), { message: /option "workers" must be an integer >= 1/ });
  t.throws(() => wsgi({ app: 'a:b', mount: '/app/' }), { message: /option "mount"/ });
  t.throws(() => wsgi({ app: 'a:b', timeoutMs: -1 }), { message: /option "timeoutMs"/ });
  t.throws(() => wsgi({ app: 'a:b', responseBatchMs: -1 }), { message: /option "responseBatchMs" must be a number from 0 to 1000/ });
  t.throws(() => wsgi({ app: 'a:b', responseBatchMs: '1' as never }), { message: /option "responseBatchMs"/ });
});

test('the stdlib example server runs as documented', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', '--conditions=sluice-source', path.join(EXAMPLES_DIR, 'stdlib', 'server.ts')], {
    env: { ...process.env, PORT: String(port), PYTHON, WORKERS: '1', TS_NODE_TRANSPILE_ONLY: 'true', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { child.kill('SIGTERM'); });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await eventually(() => (out.includes('listening') ? true : undefined), 120_000);
  // curl, one connection per request: a real client, and no keep-alive races on a loaded machine.
  const curl = (...args: string[]) => execFileSync('curl', ['-s', '--max-time', '30', ...args], { encoding: 'utf8' });
  t.regex(curl(`http://127.0.0.1:${port}/`), /Hello from Python 3\./);
  t.is(curl('--data-urlencode', 'message=héllo', `http://127.0.0.1:${port}/echo`), 'You said: héllo\n');
  t.is(curl('-N', `http://127.0.0.1:${port}/events`).split('\n\n').filter(Boolean).length, 5);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.not(code, null);
});

test('threads: request bodies and large streamed responses work in a threaded worker', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', threads: 4 });
  t.teardown(s.close);
  const { createHash } = await import('node:crypto');
  const body = Buffer.alloc(3 * 1024 * 1024 + 5, 'q');
  const [upload, big] = await Promise.all([
    fetch(`${s.url}/upload-hash`, { method: 'POST', body }),
    fetch(`${s.url}/big?${5 * 1024 * 1024}`),
  ]);
  t.deepEqual(await upload.json(), { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  t.is((await big.arrayBuffer()).byteLength, 5 * 1024 * 1024);
});

test('HTTP/1.0: a streamed response is close-delimited; the iterable is closed when the client leaves', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const socket = net.connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /sse HTTP/1.0\r\nHost: h\r\n\r\n');
  let text = '';
  socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
  await eventually(() => (text.includes('data: 1\n\n') ? true : undefined));
  t.regex(text, /^HTTP\/1\.0 200 OK\r\n/);
  t.notRegex(text, /Transfer-Encoding/i);
  t.regex(text, /\r\n\r\ndata: 0\n\ndata: 1\n\n/);
  t.false(socket.destroyed, 'the event stream is still running');
  socket.destroy();
  await eventually(() => (existsSync(path.join(s.markers, 'sse-closed')) ? true : undefined));
});
