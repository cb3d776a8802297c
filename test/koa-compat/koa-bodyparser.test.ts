import test from 'ava';
import bodyParser from 'koa-bodyparser';
import type { Context } from '@sluice/core';
import { raw, start } from './helpers.js';

const echo = (ctx: Context) => {
  ctx.body = { body: ctx.request.body, raw: (ctx.request as unknown as { rawBody?: string }).rawBody };
};

test('koa-bodyparser: parses a JSON body into ctx.request.body', async (t) => {
  const s = await start([bodyParser(), echo]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":[1,2]}' });
  t.deepEqual(await res.json(), { body: { a: [1, 2] }, raw: '{"a":[1,2]}' });
  await s.close();
});

test('koa-bodyparser: parses a urlencoded form', async (t) => {
  const s = await start([bodyParser(), echo]);
  const res = await fetch(s.url, { method: 'POST', body: new URLSearchParams({ name: 'Ada Lovelace', n: '1' }) });
  t.deepEqual((await res.json() as { body: unknown }).body, { name: 'Ada Lovelace', n: '1' });
  await s.close();
});

test('koa-bodyparser: parses text when enabled', async (t) => {
  const s = await start([bodyParser({ enableTypes: ['text'] }), echo]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'plain words' });
  t.is((await res.json() as { body: unknown }).body, 'plain words');
  await s.close();
});

test('koa-bodyparser: reads a chunked body', async (t) => {
  const s = await start([bodyParser(), echo]);
  const text = (await raw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"k":\r\n4\r\n"v"}\r\n0\r\n\r\n')).toString();
  t.true(text.endsWith('{"body":{"k":"v"},"raw":"{\\"k\\":\\"v\\"}"}'));
  await s.close();
});

test('koa-bodyparser: malformed JSON is a 400', async (t) => {
  const s = await start([bodyParser(), echo]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{broken' });
  t.is(res.status, 400);
  await s.close();
});

test('koa-bodyparser: a body over jsonLimit is a 413', async (t) => {
  const s = await start([bodyParser({ jsonLimit: '10b' }), echo]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ long: 'x'.repeat(50) }) });
  t.is(res.status, 413);
  await s.close();
});

test('koa-bodyparser: a gzip-encoded body is inflated', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const s = await start([bodyParser(), echo]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: gzipSync('{"zipped":true}') });
  t.deepEqual((await res.json() as { body: unknown }).body, { zipped: true });
  await s.close();
});

test('koa-bodyparser: a GET without a body leaves an empty object', async (t) => {
  const s = await start([bodyParser(), echo]);
  t.deepEqual(((await (await fetch(s.url)).json()) as { body: unknown }).body, {});
  await s.close();
});
