import { Readable } from 'node:stream';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import test from 'ava';
import compress from 'koa-compress';
import type { Context } from '@sluice/core';
import { raw, start } from './helpers.js';

const BIG = 'sluice '.repeat(1000);

/** The body of a raw HTTP/1.1 response with Content-Length or chunked framing, as bytes. */
function bodyOf(response: Buffer): Buffer {
  const split = response.indexOf('\r\n\r\n');
  const head = response.subarray(0, split).toString('latin1');
  let rest = response.subarray(split + 4);
  if (!/Transfer-Encoding: chunked/i.test(head)) return rest;
  const parts: Buffer[] = [];
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.subarray(0, eol).toString('latin1'), 16);
    if (size === 0) break;
    parts.push(rest.subarray(eol + 2, eol + 2 + size));
    rest = rest.subarray(eol + 4 + size);
  }
  return Buffer.concat(parts);
}

const get = (encoding: string) => `GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: ${encoding}\r\nConnection: close\r\n\r\n`;

test('koa-compress: a large text body is gzipped for a gzip client', async (t) => {
  const s = await start([compress(), (ctx: Context) => { ctx.body = BIG; }]);
  const response = await raw(s.port, get('gzip'));
  const head = response.subarray(0, response.indexOf('\r\n\r\n')).toString();
  t.regex(head, /Content-Encoding: gzip\r\n/);
  t.regex(head, /Vary: Accept-Encoding\r\n/);
  t.is(gunzipSync(bodyOf(response)).toString(), BIG);
  await s.close();
});

test('koa-compress: brotli is preferred when the client offers it', async (t) => {
  const s = await start([compress(), (ctx: Context) => { ctx.body = BIG; }]);
  const response = await raw(s.port, get('gzip, br'));
  t.regex(response.toString('latin1'), /Content-Encoding: br\r\n/);
  t.is(brotliDecompressSync(bodyOf(response)).toString(), BIG);
  await s.close();
});

test('koa-compress: a JSON body is compressed', async (t) => {
  const data = { items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })) };
  const s = await start([compress(), (ctx: Context) => { ctx.body = data; }]);
  const response = await raw(s.port, get('gzip'));
  t.deepEqual(JSON.parse(gunzipSync(bodyOf(response)).toString()), data);
  await s.close();
});

test('koa-compress: a stream body is compressed', async (t) => {
  const s = await start([compress({ threshold: 0 }), (ctx: Context) => {
    ctx.type = 'text/plain';
    ctx.body = Readable.from([BIG, BIG]);
  }]);
  const response = await raw(s.port, get('gzip'));
  t.is(gunzipSync(bodyOf(response)).toString(), BIG + BIG);
  await s.close();
});

test('koa-compress: a body under the threshold is sent as is', async (t) => {
  const s = await start([compress(), (ctx: Context) => { ctx.body = 'tiny'; }]);
  const response = (await raw(s.port, get('gzip'))).toString();
  t.notRegex(response, /Content-Encoding/);
  t.true(response.endsWith('\r\n\r\ntiny'));
  await s.close();
});

test('koa-compress: an identity client gets the plain body', async (t) => {
  const s = await start([compress(), (ctx: Context) => { ctx.body = BIG; }]);
  const response = await raw(s.port, get('identity'));
  t.notRegex(response.toString('latin1'), /Content-Encoding/);
  t.is(bodyOf(response).toString(), BIG);
  await s.close();
});

test('koa-compress: HEAD is not compressed', async (t) => {
  const s = await start([compress(), (ctx: Context) => { ctx.body = BIG; }]);
  const response = (await raw(s.port, 'HEAD / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n')).toString();
  t.notRegex(response, /Content-Encoding/);
  t.regex(response, new RegExp(`Content-Length: ${BIG.length}\r\n`));
  await s.close();
});
