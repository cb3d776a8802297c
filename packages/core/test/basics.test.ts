import test from 'ava';
import { raw, start } from './helpers.js';

test('GET answers with the body, Content-Length and Date, and keeps the connection', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'Hello World';
  });
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.is(await res.text(), 'Hello World');
  t.is(res.headers.get('content-length'), '11');
  t.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.truthy(res.headers.get('date'));
  await s.close();
});

test('nothing answering gives 404', async (t) => {
  const s = await start(async () => {});
  const res = await fetch(s.url + '/nope');
  t.is(res.status, 404);
  await s.close();
});

test('pipelined requests are answered in order', async (t) => {
  const s = await start((ctx) => {
    ctx.body = ctx.path;
  });
  const req = (p: string, last = false) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
  const { text, closed } = await raw(s.port, req('/a') + req('/b') + req('/c', true));
  const bodies = text.split('\r\n\r\n').slice(1).map((b) => b.slice(0, 2));
  t.deepEqual(bodies, ['/a', '/b', '/c']);
  t.true(closed);
  await s.close();
});

test('a malformed request line gets 400 and the connection closes', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'x';
  });
  const { text, closed } = await raw(s.port, 'GARBAGE\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 400 /);
  t.regex(text, /Connection: close/);
  t.true(closed);
  await s.close();
});
