// ASGI 3.0 conformance through a real server and a real client: a raw ASGI application
// (test/asgi/apps/conformance.py) reports its scope and the events it received; the tests
// assert every key of the http scope, the event order, lifespan state, and both event loops.
import { once } from 'node:events';
import net from 'node:net';
import test from 'ava';
import { startAsgi } from './helpers.js';

interface Report {
  scope: Record<string, unknown>;
  keys: string[];
  events: Array<{ type: string; body: string; more_body: boolean | null }>;
  header_types: string[];
  loop: string;
  lifespan_asgi: Record<string, string> | null;
}

const SCOPE_KEYS = ['asgi', 'client', 'headers', 'http_version', 'method', 'path', 'query_string', 'raw_path', 'root_path', 'scheme', 'server', 'state', 'type'];

test('the http scope has every key of the spec, with the values of the request', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const response = await fetch(`${running.url}/scope?a=1&b=%20x`, { method: 'POST', body: 'hello', headers: { 'X-Custom': 'one' } });
    t.is(response.status, 200);
    const report = (await response.json()) as Report;
    t.deepEqual(report.keys, SCOPE_KEYS);
    const scope = report.scope;
    t.is(scope.type, 'http');
    t.deepEqual(scope.asgi, { version: '3.0', spec_version: '2.3' });
    t.is(scope.http_version, '1.1');
    t.is(scope.method, 'POST');
    t.is(scope.scheme, 'http');
    t.is(scope.path, '/scope');
    t.deepEqual(scope.raw_path, { bytes: '/scope' });
    t.deepEqual(scope.query_string, { bytes: 'a=1&b=%20x' });
    t.is(scope.root_path, '');
    t.deepEqual(scope.client, ['127.0.0.1', (scope.client as [string, number])[1]]);
    t.true((scope.client as [string, number])[1] > 0);
    t.deepEqual(scope.server, ['127.0.0.1', running.port]);
    // Headers are (bytes, bytes) pairs with lower-case names, as received.
    t.deepEqual(report.header_types, ['bytes/bytes']);
    const headers = (scope.headers as Array<[{ bytes: string }, { bytes: string }]>).map(([n, v]) => [n.bytes, v.bytes]);
    t.deepEqual(headers.find(([n]) => n === 'x-custom'), ['x-custom', 'one']);
    t.deepEqual(headers.find(([n]) => n === 'content-length'), ['content-length', '5']);
    // The lifespan's state, copied into the request's scope.
    t.like(scope.state as object, { started_by: 'lifespan' });
    t.deepEqual(report.lifespan_asgi, { version: '3.0', spec_version: '2.0' });
    // The whole body in one event, more_body false: the declared length was reached.
    t.deepEqual(report.events, [{ type: 'http.request', body: 'hello', more_body: false }]);
  } finally {
    await running.close();
  }
});

test('mounted at a prefix: root_path is the prefix, path the rest (decoded), raw_path the path as received', async (t) => {
  const running = await startAsgi({ app: 'conformance:app', mount: '/api' });
  try {
    const response = await fetch(`${running.url}/api/scope`);
    const report = (await response.json()) as Report;
    t.is(report.scope.root_path, '/api');
    t.is(report.scope.path, '/scope');
    t.deepEqual(report.scope.raw_path, { bytes: '/api/scope' });
    const outside = await fetch(`${running.url}/apiary/scope`);
    t.is(outside.status, 404);
    t.regex(await outside.text(), /^Not Found/);
    const decoded = await fetch(`${running.url}/api/caf%C3%A9%20x`);
    t.deepEqual(await decoded.json(), { path: '/café x' });
  } finally {
    await running.close();
  }
});

test('a request without a body gets one http.request event with more_body false', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const report = (await (await fetch(`${running.url}/scope`)).json()) as Report;
    t.deepEqual(report.events, [{ type: 'http.request', body: '', more_body: false }]);
  } finally {
    await running.close();
  }
});

test('a chunked request body arrives as several http.request events in order, the last with more_body false', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const socket = net.connect(running.port, '127.0.0.1');
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('POST /scope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nfirst\r\n');
    await new Promise((r) => setTimeout(r, 300));
    socket.write('6\r\nsecond\r\n');
    await new Promise((r) => setTimeout(r, 300));
    socket.write('0\r\n\r\n');
    await once(socket, 'close');
    const text = Buffer.concat(received).toString();
    const report = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Report;
    t.deepEqual(report.events.map((e) => e.type), report.events.map(() => 'http.request'));
    t.is(report.events.map((e) => e.body).join(''), 'firstsecond');
    t.is(report.events.at(-1)!.more_body, false);
    t.true(report.events.slice(0, -1).every((e) => e.more_body === true));
    t.true(report.events.length >= 3, JSON.stringify(report.events));
  } finally {
    await running.close();
  }
});

test('response headers are byte pairs: repeats kept (Set-Cookie), the status sent as given', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const response = await fetch(`${running.url}/headers`);
    t.is(response.status, 201);
    t.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    t.is(response.headers.get('x-one'), '1');
    t.is(await response.text(), 'made');
  } finally {
    await running.close();
  }
});

test('a streamed response reaches the client chunk by chunk (chunked encoding)', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const response = await fetch(`${running.url}/stream?5`);
    t.is(response.headers.get('transfer-encoding'), 'chunked');
    t.is(await response.text(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
  } finally {
    await running.close();
  }
});

test('loop "asyncio" runs on the standard event loop, "uvloop" on uvloop, "auto" takes uvloop when importable', async (t) => {
  for (const [loop, expected] of [['asyncio', 'asyncio.unix_events'], ['uvloop', 'uvloop'], ['auto', 'uvloop']] as const) {
    const running = await startAsgi({ app: 'conformance:app', loop });
    try {
      const report = (await (await fetch(`${running.url}/scope`)).json()) as Report;
      t.is(report.loop, expected, loop);
      // Both loops serve the same protocol: a body and a stream.
      const echo = await fetch(`${running.url}/echo`, { method: 'POST', body: 'x'.repeat(100_000) });
      t.is((await echo.text()).length, 100_000, loop);
    } finally {
      await running.close();
    }
  }
});
