/** PEP 3333 conformance through wsgiref.validate.validator (warnings are errors in these workers). */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { raw, startWsgi } from './helpers.js';

test('GET /wsgi: the environ passes the validator and carries every CGI variable', async (t) => {
  const s = await startWsgi({ app: 'validated:application', mount: '/app' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/app/wsgi?x=1&y=%20`, { headers: { 'X-Custom': 'v', Proxy: 'http://evil:1', 'X_Under': 'spoof' } });
  t.is(res.status, 200);
  const env = await res.json() as Record<string, unknown>;
  t.is(env.REQUEST_METHOD, 'GET');
  t.is(env.SCRIPT_NAME, '/app');
  t.is(env.PATH_INFO, '/wsgi');
  t.is(env.QUERY_STRING, 'x=1&y=%20');
  t.is(env.SERVER_NAME, '127.0.0.1');
  t.is(env.SERVER_PORT, String(s.port));
  t.is(env.SERVER_PROTOCOL, 'HTTP/1.1');
  t.is(env.REMOTE_ADDR, '127.0.0.1');
  t.is(env.HTTP_X_CUSTOM, 'v');
  t.is(env.HTTP_HOST, `127.0.0.1:${s.port}`);
  t.false('HTTP_PROXY' in env, 'httpoxy: the Proxy header never becomes HTTP_PROXY');
  t.false('HTTP_X_UNDER' in env, 'header names with "_" are dropped');
  t.deepEqual(env['wsgi.version'], [1, 0]);
  t.is(env['wsgi.url_scheme'], 'http');
  t.is(env['wsgi.multithread'], false);
  t.is(env['wsgi.multiprocess'], false);
  t.is(env['wsgi.run_once'], false);
  t.is(env['wsgi.input_terminated'], true);
  t.false('CONTENT_LENGTH' in env);
  t.false(s.logs.some((l) => l.level !== 'info'), JSON.stringify(s.logs));
});

test('PATH_INFO is percent-decoded, its bytes carried as latin-1 characters (NUL and %2F included)', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/wsgi/caf%C3%A9%2Fx%00y%zz?q=%C3%A9`);
  t.is(res.status, 200);
  const env = await res.json() as Record<string, string>;
  t.is(env.PATH_INFO, '/wsgi/caf\u00c3\u00a9/x\u0000y%zz');
  t.is(env.QUERY_STRING, 'q=%C3%A9', 'the query string stays encoded');
  t.is(env.REQUEST_URI, '/wsgi/caf%C3%A9%2Fx%00y%zz?q=%C3%A9');
});

test('SCRIPT_NAME is the mount prefix; paths outside it go to the next middleware', async (t) => {
  const s = await startWsgi({ app: 'validated:application', mount: '/m' }, [], [async (ctx) => { ctx.body = 'next middleware'; }]);
  t.teardown(s.close);
  const exact = await (await fetch(`${s.url}/m`)).text();
  t.is(exact, 'not found\n', 'PATH_INFO "" reaches the app');
  const env = await (await fetch(`${s.url}/m/wsgi`)).json() as Record<string, string>;
  t.is(env.SCRIPT_NAME, '/m');
  t.is(env.PATH_INFO, '/wsgi');
  t.is(await (await fetch(`${s.url}/mx/wsgi`)).text(), 'next middleware');
});

test('POST body is echoed through wsgi.input (Content-Length)', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const body = Buffer.alloc(300_000, 'abc');
  const res = await fetch(`${s.url}/echo`, { method: 'POST', body });
  t.is(res.status, 200);
  t.is(res.headers.get('x-received'), String(body.length));
  t.true(Buffer.from(await res.arrayBuffer()).equals(body));
});

test('a chunked request body is streamed and ends with EOF (wsgi.input_terminated)', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, [
    'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    '5\r\nhello\r\n', '6\r\n world\r\n', '0\r\n\r\n',
  ]);
  t.regex(text, /^HTTP\/1\.1 200 OK/);
  t.regex(text, /X-Received: 11/i);
  t.true(text.endsWith('hello world') || /hello world/.test(text));
});

test('readlines() splits the body at newlines', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/lines`, { method: 'POST', body: 'one\ntwo\nthree' });
  t.deepEqual(await res.json(), ['one\n', 'two\n', 'three']);
});

test('100 Continue is sent only when the application reads the body', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const socket = net.connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
  const [first] = await once(socket, 'data') as [Buffer];
  t.regex(first.toString('latin1'), /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  const rest: Buffer[] = [];
  socket.on('data', (c: Buffer) => rest.push(c));
  socket.write('ping');
  await once(socket, 'close');
  t.regex(Buffer.concat(rest).toString("latin1"), /200 OK[\s\S]*\r\n\r\n(4\r\n)?ping/);
});

test('a streamed response reaches the client chunk by chunk, as the iterable yields', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/stream?go-stream`);
  t.is(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  t.is(Buffer.from(first.value!).toString(), 'first\n', 'the first chunk arrives while the app is still blocked');
  writeFileSync(path.join(s.markers, 'go-stream'), '');
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += Buffer.from(value).toString();
  }
  t.is(rest, 'second\n');
});

test('start_response with exc_info before the body replaces the status', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/exc-before`);
  t.is(res.status, 503);
  t.is(await res.text(), 'recovered with exc_info\n');
});

test('start_response with exc_info after the head re-raises: the connection is aborted and the traceback logged', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const { text, closed } = await raw(s.port, 'GET /exc-after HTTP/1.1\r\nHost: h\r\n\r\n');
  t.true(closed, text + JSON.stringify(s.logs));
  t.regex(text, /^HTTP\/1\.1 200 OK/);
  t.regex(text, /partial body/);
  t.notRegex(text, /0\r\n\r\n$/, 'no terminating chunk: the client sees an incomplete body');
  const entry = await s.waitForLog(/ValueError: failed after the head/);
  t.is(entry.level, 'error');
  const after = await fetch(`${s.url}/wsgi`);
  t.is(after.status, 200, 'the worker keeps serving');
});

test('the write() callable sends before the returned iterable', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/write`);
  t.is(await res.text(), 'written and returned\n');
});

test('HEAD gets the headers and no body', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, 'HEAD /wsgi HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 200 OK/);
  t.regex(text, /Content-Type: application\/json/);
  t.true(text.endsWith('\r\n\r\n'));
});

test('an HTTP/1.0 request has SERVER_PROTOCOL HTTP/1.0; repeated headers are joined', async (t) => {
  const s = await startWsgi({ app: 'validated:application' });
  t.teardown(s.close);
  const { text } = await raw(s.port, 'GET /wsgi HTTP/1.0\r\nHost: h:81\r\nX-Twice: a\r\nX-Twice: b\r\nCookie: c=1\r\nCookie: d=2\r\n\r\n');
  const env = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
  t.is(env.SERVER_PROTOCOL, 'HTTP/1.0');
  t.is(env.SERVER_NAME, 'h');
  t.is(env.HTTP_HOST, 'h:81');
  t.is(env.HTTP_X_TWICE, 'a, b');
  t.is(env.HTTP_COOKIE, 'c=1; d=2');
});
