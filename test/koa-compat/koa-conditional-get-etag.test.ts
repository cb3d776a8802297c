import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import conditional from 'koa-conditional-get';
import etag from 'koa-etag';
import type { Context } from '@sluice/core';
import { raw, start } from './helpers.js';

const THIS_FILE = fileURLToPath(import.meta.url);

const request = (extra = '', method = 'GET') => `${method} / HTTP/1.1\r\nHost: h\r\n${extra}Connection: close\r\n\r\n`;

test('koa-etag: a string body gets an ETag', async (t) => {
  const s = await start([conditional(), etag(), (ctx: Context) => { ctx.body = 'versioned content'; }]);
  const res = await fetch(s.url);
  t.regex(res.headers.get('etag') ?? '', /^"[\w+/=-]+"$/);
  t.is(await res.text(), 'versioned content');
  await s.close();
});

test('koa-conditional-get: a matching If-None-Match gets 304 without a body', async (t) => {
  const s = await start([conditional(), etag(), (ctx: Context) => { ctx.body = 'versioned content'; }]);
  const first = (await raw(s.port, request())).toString();
  const tag = /ETag: (.+)\r\n/.exec(first)?.[1] ?? '';
  t.truthy(tag);
  const second = (await raw(s.port, request(`If-None-Match: ${tag}\r\n`))).toString();
  t.regex(second, /^HTTP\/1\.1 304 Not Modified\r\n/);
  t.true(second.endsWith('\r\n\r\n'));
  t.notRegex(second, /versioned content/);
  await s.close();
});

test('koa-conditional-get: a different If-None-Match gets the full 200', async (t) => {
  const s = await start([conditional(), etag(), (ctx: Context) => { ctx.body = 'versioned content'; }]);
  const response = (await raw(s.port, request('If-None-Match: "other"\r\n'))).toString();
  t.regex(response, /^HTTP\/1\.1 200 /);
  t.true(response.endsWith('versioned content'));
  await s.close();
});

test('koa-etag: a file stream gets a weak ETag from its stats, and 304 on match', async (t) => {
  const s = await start([conditional(), etag(), (ctx: Context) => {
    ctx.type = 'text/plain';
    ctx.body = createReadStream(THIS_FILE);
  }]);
  const first = (await raw(s.port, request())).toString();
  const tag = /ETag: (W\/".+")\r\n/.exec(first)?.[1] ?? '';
  t.truthy(tag);
  const second = (await raw(s.port, request(`If-None-Match: ${tag}\r\n`))).toString();
  t.regex(second, /^HTTP\/1\.1 304 /);
  await s.close();
});

test('koa-conditional-get: If-Modified-Since after Last-Modified gets 304', async (t) => {
  const s = await start([conditional(), (ctx: Context) => {
    ctx.lastModified = new Date('2020-01-01T00:00:00Z');
    ctx.body = 'old news';
  }]);
  const response = (await raw(s.port, request('If-Modified-Since: Wed, 01 Jan 2020 00:00:01 GMT\r\n'))).toString();
  t.regex(response, /^HTTP\/1\.1 304 /);
  await s.close();
});

test('koa-conditional-get: a POST is never answered 304', async (t) => {
  const s = await start([conditional(), etag(), (ctx: Context) => { ctx.body = 'posted'; }]);
  const first = (await raw(s.port, request())).toString();
  const tag = /ETag: (.+)\r\n/.exec(first)?.[1] ?? '';
  const response = (await raw(s.port, request(`If-None-Match: ${tag}\r\nContent-Length: 0\r\n`, 'POST'))).toString();
  t.regex(response, /^HTTP\/1\.1 200 /);
  await s.close();
});
