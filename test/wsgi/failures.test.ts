/** Failure outcomes: crashes (502, respawn), timeouts (504), full queue (503), app exceptions (500), bad headers and lengths. */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { eventually, raw, startWsgi } from './helpers.js';

test('a worker that dies mid-request gives 502; a new worker serves the next requests', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const before = await (await fetch(`${s.url}/pid`)).json() as { pid: number };
  const crashed = await fetch(`${s.url}/crash`);
  t.is(crashed.status, 502);
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${s.url}/pid`);
    t.is(res.status, 200);
    const { pid } = await res.json() as { pid: number };
    t.not(pid, before.pid);
  }
  t.is(s.bridge.stats().respawns, 1);
  await s.waitForLog(/worker \d+ exited with code 7/);
});

test('a worker that dies after the head was sent aborts the connection; the next request is served', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  // The worker dies only once the client has the head and first chunk (a worker holds
  // frames up to responseBatchMs; what it had not written yet would die with it).
  const socket = connect(s.port, '127.0.0.1');
  let text = '';
  let released = false;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (!released && text.includes('some of the body')) {
      released = true;
      writeFileSync(path.join(s.markers, 'die'), '');
    }
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('GET /crash-mid-body?die HTTP/1.1\r\nHost: h\r\n\r\n');
  await closed;
  t.regex(text, /^HTTP\/1\.1 200 OK/);
  t.notRegex(text, /0\r\n\r\n$/);
  const res = await fetch(`${s.url}/pid`);
  t.is(res.status, 200);
});

test('only the crashed worker is replaced; the other keeps its process', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', workers: 2 });
  t.teardown(s.close);
  const [a, b] = s.bridge.stats().workers;
  t.is((await fetch(`${s.url}/crash`)).status, 502);
  await eventually(() => (s.bridge.stats().workers.length === 2 ? true : undefined), 20_000);
  const now = s.bridge.stats().workers;
  t.is(now.filter((pid) => pid === a || pid === b).length, 1);
});

test('a request silent for longer than timeoutMs gets 504; its worker is killed and replaced', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', timeoutMs: 1000 });
  t.teardown(s.close);
  const [pid] = s.bridge.stats().workers;
  const res = await fetch(`${s.url}/sleep?30`);
  t.is(res.status, 504);
  const after = await fetch(`${s.url}/pid`);
  t.is(after.status, 200);
  t.not((await after.json() as { pid: number }).pid, pid);
  await s.waitForLog(/silent for more than 1000 ms/);
});

test('a full queue answers 503 with Retry-After; queued requests are served', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', maxQueue: 1, pipeline: 0 });
  t.teardown(s.close);
  const busy = fetch(`${s.url}/block?release`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const queued = fetch(`${s.url}/pid`);
  await eventually(() => (s.bridge.stats().queued === 1 ? true : undefined));
  const refused = await fetch(`${s.url}/pid`, { headers: { Accept: 'application/json' } });
  t.is(refused.status, 503);
  t.is((await refused.json() as { code: string }).code, 'SLUICE_ERR_WSGI_QUEUE_FULL');
  t.is(refused.headers.get('retry-after'), '1');
  writeFileSync(path.join(s.markers, 'release'), '');
  t.is((await busy).status, 200);
  t.is((await queued).status, 200);
});

test('a request waiting in the queue longer than queueTimeoutMs gets 503', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', queueTimeoutMs: 100, pipeline: 0 });
  t.teardown(s.close);
  const busy = fetch(`${s.url}/block?release`);
  await eventually(() => (s.bridge.stats().active === 1 ? true : undefined));
  const res = await fetch(`${s.url}/pid`, { headers: { Accept: 'application/json' } });
  t.is(res.status, 503);
  t.is((await res.json() as { code: string }).code, 'SLUICE_ERR_WSGI_QUEUE_TIMEOUT');
  writeFileSync(path.join(s.markers, 'release'), '');
  t.is((await busy).status, 200);
});

test('an exception before the response starts is a 500 through the error middleware, traceback logged', async (t) => {
  let seen: unknown;
  const s = await startWsgi({ app: 'behaviours:application' }, [async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      seen = error;
      throw error;
    }
  }]);
  t.teardown(s.close);
  const res = await fetch(`${s.url}/raise`);
  t.is(res.status, 500);
  t.notRegex(await res.text(), /boom/, 'the Python error stays out of the production error page');
  t.is((seen as { code: string }).code, 'SLUICE_ERR_WSGI_APP_ERROR');
  const entry = await s.waitForLog(/RuntimeError: boom from the application/);
  t.is(entry.level, 'error');
  t.regex(entry.message, /behaviours\.py", line \d+, in application/);
  t.is((await fetch(`${s.url}/pid`)).status, 200);
});

test('stdout and stderr of the application go to the logger line by line', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  t.is(await (await fetch(`${s.url}/print`)).text(), 'printed\n');
  t.is((await s.waitForLog(/^hello from print$/)).level, 'info');
  t.is((await s.waitForLog(/^warning on stderr$/)).level, 'warn');
  await s.waitForLog(/^via wsgi.errors$/);
});

test('hop-by-hop headers from the application are dropped with a warning', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, 'GET /hop HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /X-Kept: yes/);
  t.notRegex(text, /Keep-Alive: timeout=5/i);
  await s.waitForLog(/hop-by-hop header "keep-alive"/);
});

test('CR/LF in a header value is refused with 500; nothing is injected', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, 'GET /crlf HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 500/);
  t.notRegex(text, /pwned/);
  await s.waitForLog(/invalid header from the WSGI application/);
});

test('repeated headers (Set-Cookie) are all sent', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cookies`);
  t.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
});

test('a body shorter than its Content-Length: logged, connection aborted, close() called', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const { text, closed } = await raw(s.port, 'GET /short HTTP/1.1\r\nHost: h\r\n\r\n');
  t.true(closed);
  t.regex(text, /Content-Length: 100/);
  t.true(text.endsWith('only ten b'));
  await s.waitForLog(/shorter than its Content-Length \(10 of 100 bytes\)/);
  await eventually(() => (existsSync(path.join(s.markers, 'short-closed')) ? true : undefined));
});

test('a body longer than its Content-Length is cut to it and logged; the connection stays usable', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  // Twice: the second time the worker has the head (and its Content-Length) from its cache.
  const long = 'GET /long HTTP/1.1\r\nHost: h\r\n\r\n';
  const { text } = await raw(s.port, [long, long, 'GET /cookies HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n']);
  t.regex(text, /Content-Length: 5\r\n\r\n12345HTTP\/1\.1 200 OK[^]*Content-Length: 5\r\n\r\n12345HTTP\/1\.1 200 OK/);
  await s.waitForLog(/longer than its Content-Length \(5\)/);
});

test('204 responses carry no body and no Content-Type', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, 'GET /empty HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 204/);
  t.notRegex(text, /Content-Type/i);
});

test('a client that disconnects from a streamed response makes the iterable close()', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const controller = new AbortController();
  const res = await fetch(`${s.url}/sse`, { signal: controller.signal });
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  t.regex(Buffer.from(value!).toString(), /^data: 0\n\n/);
  controller.abort();
  const marker = path.join(s.markers, 'sse-closed');
  await eventually(() => (existsSync(marker) ? true : undefined));
  t.is(readFileSync(marker, 'utf8'), 'closed');
  t.is((await fetch(`${s.url}/pid`)).status, 200, 'the worker is free again');
});

test('wsgi.file_wrapper on a real file: Node streams the file itself', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const payload = Buffer.alloc(3 * 1024 * 1024 + 7);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  writeFileSync(path.join(s.markers, 'payload.bin'), payload);
  const res = await fetch(`${s.url}/file`);
  t.is(res.headers.get('content-length'), String(payload.length));
  t.true(Buffer.from(await res.arrayBuffer()).equals(payload));
  const position = await eventually(() => {
    const file = path.join(s.markers, 'file-position');
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  });
  t.is(position, '0', 'Python never read the file: Node did, from its own descriptor');
});

test('wsgi.file_wrapper on something that is not a file is iterated in Python', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const text = await (await fetch(`${s.url}/file-in-memory`)).text();
  t.is(text, 'in memory, '.repeat(10000));
});

test('a large streamed response arrives whole (flow control between Node and Python)', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const size = 20 * 1024 * 1024 + 3;
  const res = await fetch(`${s.url}/big?${size}`);
  const body = Buffer.from(await res.arrayBuffer());
  t.is(body.length, size);
  t.true(body.every((b) => b === 0x78));
});

test('a large upload is streamed to wsgi.input in pieces and arrives intact', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const { createHash } = await import('node:crypto');
  const chunk = Buffer.alloc(1024 * 1024, 'u');
  const total = 48;
  const hash = createHash('sha256');
  for (let i = 0; i < total; i++) hash.update(chunk);
  const body = new ReadableStream({
    pull(controller) {
      controller.enqueue(chunk);
      if (--pending === 0) controller.close();
    },
  });
  let pending = total;
  const res = await fetch(`${s.url}/upload-hash`, { method: 'POST', body, duplex: 'half' } as RequestInit);
  t.deepEqual(await res.json(), { bytes: total * chunk.length, sha256: hash.digest('hex') });
});

test('a body the application never reads does not hold the worker', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/ignore-body`, { method: 'POST', body: Buffer.alloc(100_000, 'z') });
  t.is(await res.text(), 'did not read\n');
  t.is((await fetch(`${s.url}/pid`)).status, 200);
});

test('responses that break PEP 3333 are 500s, logged, and the worker keeps serving', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const cases: Array<[string, RegExp]> = [
    ['/bad-status', /invalid WSGI status "OK 200"/],
    ['/bad-length', /ValueError: invalid literal for int\(\) with base 10: 'twelve'/],
    ['/nul-header', /ValueError: NUL character in the status or a header/],
    ['/not-bytes', /TypeError: the application yielded str, not bytes/],
    ['/no-start', /AssertionError: the application produced a body before calling start_response/],
  ];
  for (const [route, logged] of cases) {
    const res = await fetch(`${s.url}${route}`);
    t.is(res.status, 500, route);
    await s.waitForLog(logged);
  }
  t.is((await fetch(`${s.url}/pid`)).status, 200);
});
