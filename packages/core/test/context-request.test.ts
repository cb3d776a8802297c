import test from 'ava';
import type { Context } from '@sluice/core';
import { raw, start } from './helpers.js';

/** The `value` field of a JSON answer from `probe`. */
async function valueOf(res: Response): Promise<unknown> {
  return ((await res.json()) as { value: unknown }).value;
}

/** Starts an app whose only middleware answers with `pick(ctx)` as JSON. */
async function probe(pick: (ctx: Context) => unknown, options = {}) {
  return start(async (ctx) => {
    ctx.body = { value: await pick(ctx) };
  }, options);
}

test('path, querystring, search and query come from the URL', async (t) => {
  const s = await probe((ctx) => [ctx.path, ctx.querystring, ctx.search, ctx.query, ctx.url, ctx.originalUrl]);
  const res = await fetch(`${s.url}/a%20b/c?x=1&x=2&y=z`);
  t.deepEqual(await valueOf(res), ['/a%20b/c', 'x=1&x=2&y=z', '?x=1&x=2&y=z', { x: ['1', '2'], y: 'z' }, '/a%20b/c?x=1&x=2&y=z', '/a%20b/c?x=1&x=2&y=z']);
  await s.close();
});

test('rewriting ctx.path keeps the query and originalUrl', async (t) => {
  const s = await probe((ctx) => {
    ctx.path = '/rewritten';
    return [ctx.url, ctx.originalUrl, ctx.query.q];
  });
  const res = await fetch(`${s.url}/orig?q=1`);
  t.deepEqual(await valueOf(res), ['/rewritten?q=1', '/orig?q=1', '1']);
  await s.close();
});

test('setting ctx.query re-encodes the query string', async (t) => {
  const s = await probe((ctx) => {
    ctx.query = { a: 'x y', b: ['1', '2'] };
    return ctx.url;
  });
  const res = await fetch(`${s.url}/p?old=1`);
  t.is(await valueOf(res), '/p?a=x%20y&b=1&b=2');
  await s.close();
});

test('an absolute-form target is reduced to path and query', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `${ctx.url}|${ctx.host}`;
  });
  const { text } = await raw(s.port, 'GET http://example.com:81/x?y=1 HTTP/1.1\r\nHost: example.com:81\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('/x?y=1|example.com:81'));
  await s.close();
});

test('get() is case-insensitive, joins repeats and treats Referrer as Referer', async (t) => {
  const s = await probe((ctx) => [ctx.get('x-multi'), ctx.get('REFERRER'), ctx.get('absent'), ctx.headers['x-multi']]);
  const { text } = await raw(
    s.port,
    'GET / HTTP/1.1\r\nHost: h\r\nX-Multi: a\r\nX-Multi: b\r\nReferer: http://h/prev\r\nConnection: close\r\n\r\n',
  );
  t.deepEqual(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).value, ['a, b', 'http://h/prev', '', 'a, b']);
  await s.close();
});

test('forEachHeader visits the received fields (repeats once per line), then what middleware left in headers', async (t) => {
  const s = await probe((ctx) => {
    const received: Array<[string, string | string[]]> = [];
    ctx.request.forEachHeader((name, value) => {
      if (name.startsWith('x-')) received.push([name, value]);
    });
    ctx.request.headers['x-added'] = 'yes';
    const changed: Array<[string, string | string[]]> = [];
    ctx.request.forEachHeader((name, value) => {
      if (name.startsWith('x-')) changed.push([name, value]);
    });
    return [received, changed];
  });
  const res = await fetch(s.url, { headers: [['X-Multi', 'a'], ['X-Multi', 'b'], ['X-One', '1']] });
  const [received, changed] = (await valueOf(res)) as [unknown, unknown];
  // fetch joins a repeated name itself; the raw path is checked below with a raw request.
  t.deepEqual(received, [['x-multi', 'a, b'], ['x-one', '1']]);
  t.deepEqual(changed, [['x-multi', 'a, b'], ['x-one', '1'], ['x-added', 'yes']]);
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n');
  const [rawReceived] = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).value;
  t.deepEqual(rawReceived, [['x-multi', 'a'], ['x-multi', 'b']]);
  await s.close();
});

test('host, hostname, href and protocol without a proxy; origin is the Origin header (Koa 3)', async (t) => {
  const s = await probe((ctx) => [ctx.host, ctx.hostname, ctx.origin, ctx.href, ctx.protocol, ctx.secure, ctx.URL.pathname]);
  const res = await fetch(`${s.url}/p?q=1`, { headers: { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', Origin: 'https://app.example' } });
  const host = `127.0.0.1:${s.port}`;
  t.deepEqual(await valueOf(res), [host, '127.0.0.1', 'https://app.example', `http://${host}/p?q=1`, 'http', false, '/p']);
  await s.close();
});

test('X-Forwarded-Host and -Proto are honoured with proxy on', async (t) => {
  const s = await probe((ctx) => [ctx.host, ctx.hostname, ctx.protocol, ctx.secure], { proxy: true });
  const res = await fetch(s.url, { headers: { 'X-Forwarded-Host': 'site.example:8443, inner', 'X-Forwarded-Proto': 'https, http' } });
  t.deepEqual(await valueOf(res), ['site.example:8443', 'site.example', 'https', true]);
  await s.close();
});

test('an IPv6 Host keeps its brackets in hostname', async (t) => {
  const s = await probe((ctx) => ctx.hostname);
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('{"value":"[::1]"}'));
  await s.close();
});

test('ip is the peer address, and X-Forwarded-For is ignored without proxy', async (t) => {
  const s = await probe((ctx) => [ctx.ip, ctx.ips]);
  const res = await fetch(s.url, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
  t.deepEqual(await valueOf(res), ['127.0.0.1', []]);
  await s.close();
});

test('with proxy on, ips come from X-Forwarded-For, bounded by maxIpsCount', async (t) => {
  const s = await probe((ctx) => [ctx.ip, ctx.ips], { proxy: true, maxIpsCount: 2 });
  const res = await fetch(s.url, { headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9 ,10.0.0.2' } });
  t.deepEqual(await valueOf(res), ['203.0.113.9', ['203.0.113.9', '10.0.0.2']]);
  await s.close();
});

test('a custom proxyIpHeader is read instead of X-Forwarded-For', async (t) => {
  const s = await probe((ctx) => ctx.ip, { proxy: true, proxyIpHeader: 'X-Real-Client' });
  const res = await fetch(s.url, { headers: { 'X-Real-Client': '192.0.2.7', 'X-Forwarded-For': '198.51.100.1' } });
  t.is(await valueOf(res), '192.0.2.7');
  await s.close();
});

test('ctx.request.ip can be overridden', async (t) => {
  const s = await probe((ctx) => {
    ctx.request.ip = '192.0.2.1';
    return ctx.ip;
  });
  t.is(await valueOf(await fetch(s.url)), '192.0.2.1');
  await s.close();
});

test('subdomains drop subdomainOffset labels', async (t) => {
  const s = await probe((ctx) => ctx.subdomains, { subdomainOffset: 2 });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a.b.example.com\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('{"value":["b","a"]}'));
  await s.close();
});

test('socket describes the connection', async (t) => {
  const s = await probe((ctx) => [ctx.socket.remoteAddress, ctx.socket.localPort, ctx.socket.encrypted]);
  t.deepEqual(await valueOf(await fetch(s.url)), ['127.0.0.1', s.port, false]);
  await s.close();
});

test('is() matches the request Content-Type and returns null without a body', async (t) => {
  const s = await probe((ctx) => [ctx.is('json'), ctx.is('text/*', 'json'), ctx.is('html'), ctx.request.type, ctx.request.charset]);
  const res = await fetch(s.url, { method: 'POST', headers: { 'Content-Type': 'application/json; charset=UTF-8' }, body: '{}' });
  t.deepEqual(await valueOf(res), ['json', 'json', false, 'application/json', 'utf-8']);
  const empty = await probe((ctx) => ctx.is('json'));
  t.is(await valueOf(await fetch(empty.url)), null);
  await s.close();
  await empty.close();
});

test('accepts() negotiates types by q-value', async (t) => {
  const s = await probe((ctx) => [ctx.accepts('html', 'json'), ctx.accepts(['text/plain']), ctx.accepts('image/png'), ctx.accepts()]);
  const res = await fetch(s.url, { headers: { Accept: 'text/html;q=0.5, application/json, text/plain;q=0.1' } });
  t.deepEqual(await valueOf(res), ['json', 'text/plain', false, ['application/json', 'text/html', 'text/plain']]);
  await s.close();
});

test('acceptsEncodings, acceptsCharsets and acceptsLanguages negotiate their headers', async (t) => {
  const s = await probe((ctx) => [ctx.acceptsEncodings('gzip', 'br'), ctx.acceptsCharsets('utf-8'), ctx.acceptsLanguages('de', 'fr')]);
  const res = await fetch(s.url, { headers: { 'Accept-Encoding': 'br;q=1, gzip;q=0.5', 'Accept-Charset': 'utf-8', 'Accept-Language': 'fr;q=0.9, de;q=0.8' } });
  t.deepEqual(await valueOf(res), ['br', 'utf-8', 'fr']);
  await s.close();
});

test('fresh is true when If-None-Match matches the response ETag', async (t) => {
  const s = await start((ctx) => {
    ctx.etag = 'v1';
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = 'content';
  });
  // Raw bytes: fetch adds Cache-Control: no-cache to conditional requests, which makes nothing fresh.
  const fresh = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: "v1"\r\nConnection: close\r\n\r\n');
  t.regex(fresh.text, /^HTTP\/1\.1 304 /);
  const stale = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: "v0"\r\nConnection: close\r\n\r\n');
  t.regex(stale.text, /^HTTP\/1\.1 200 [^]*\r\n\r\ncontent$/);
  await s.close();
});

test('fresh is false for POST', async (t) => {
  const s = await probe((ctx) => {
    ctx.etag = 'v1';
    return [ctx.fresh, ctx.stale];
  });
  const { text } = await raw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nIf-None-Match: "v1"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('{"value":[false,true]}'));
  await s.close();
});

test('idempotent is true for PUT and false for POST', async (t) => {
  const s = await probe((ctx) => ctx.idempotent);
  t.true(await valueOf(await fetch(s.url, { method: 'PUT' })));
  t.false(await valueOf(await fetch(s.url, { method: 'POST' })));
  await s.close();
});

test('request.length and hasBody describe the body', async (t) => {
  const s = await probe((ctx) => [ctx.request.length, ctx.request.hasBody]);
  t.deepEqual(await valueOf(await fetch(s.url, { method: 'POST', body: 'abcd' })), [4, true]);
  t.deepEqual(await valueOf(await fetch(s.url)), [null, false]);
  await s.close();
});

test('request.json() parses the body', async (t) => {
  const s = await probe((ctx) => ctx.request.json());
  const res = await fetch(s.url, { method: 'POST', body: '{"a":[1,2]}' });
  t.deepEqual(await valueOf(res), { a: [1, 2] });
  await s.close();
});

test('request.text() refuses a body over bodyLimit with 413', async (t) => {
  const s = await probe((ctx) => ctx.request.text(), { bodyLimit: 10 });
  const res = await fetch(s.url, { method: 'POST', body: 'x'.repeat(11) });
  t.is(res.status, 413);
  await s.close();
});

test('a chunked body over the limit passed to buffer() gets 413', async (t) => {
  const s = await probe(async (ctx) => (await ctx.request.buffer({ limit: 5 })).length);
  const { text } = await raw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 413 /);
  await s.close();
});

test('malformed JSON gets 400 with a clear message', async (t) => {
  const s = await probe((ctx) => ctx.request.json());
  const res = await fetch(s.url, { method: 'POST', body: '{nope' });
  t.is(res.status, 400);
  t.is(await res.text(), 'Malformed JSON body\n');
  await s.close();
});

test('toJSON summarises request and response', async (t) => {
  const s = await probe((ctx) => {
    const json = ctx.toJSON() as { request: { method: string; url: string }; response: { status: number }; originalUrl: string };
    return [json.request.method, json.request.url, json.response.status, json.originalUrl];
  });
  t.deepEqual(await valueOf(await fetch(`${s.url}/j`)), ['GET', '/j', 404, '/j']);
  await s.close();
});
