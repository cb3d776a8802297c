import test from 'ava';
import { raw, start } from './helpers.js';

test('cookies.get reads a request cookie', async (t) => {
  const s = await start((ctx) => {
    ctx.body = String(ctx.cookies.get('flavour'));
  });
  const res = await fetch(s.url, { headers: { Cookie: 'a=1; flavour=ginger; b=2' } });
  t.is(await res.text(), 'ginger');
  await s.close();
});

test('cookies.set sends Set-Cookie with its attributes', async (t) => {
  const s = await start((ctx) => {
    ctx.cookies.set('sid', 'abc', { httpOnly: true, path: '/app', sameSite: 'lax' });
    ctx.body = 'ok';
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('set-cookie'), 'sid=abc; path=/app; samesite=lax; httponly');
  await s.close();
});

test('two cookies are sent as two Set-Cookie fields', async (t) => {
  const s = await start((ctx) => {
    ctx.cookies.set('a', '1');
    ctx.cookies.set('b', '2');
    ctx.body = 'ok';
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /Set-Cookie: a=1; path=\/; httponly\r\nSet-Cookie: b=2; path=\/; httponly\r\n/);
  await s.close();
});

test('a signed cookie is sent with its .sig and read back with app.keys', async (t) => {
  const s = await start(
    (ctx) => {
      if (ctx.path === '/set') {
        ctx.cookies.set('user', 'alice', { signed: true });
        ctx.body = 'set';
        return;
      }
      ctx.body = String(ctx.cookies.get('user', { signed: true }));
    },
    { keys: ['k2', 'k1'] },
  );
  const set = await fetch(`${s.url}/set`);
  const cookies = set.headers.getSetCookie().map((c) => c.split(';')[0]);
  t.is(cookies.length, 2);
  t.is(cookies[0], 'user=alice');
  t.regex(cookies[1], /^user\.sig=/);
  const back = await fetch(`${s.url}/get`, { headers: { Cookie: cookies.join('; ') } });
  t.is(await back.text(), 'alice');
  await s.close();
});

test('a tampered signed cookie reads as undefined', async (t) => {
  const s = await start(
    (ctx) => {
      if (ctx.path === '/set') {
        ctx.cookies.set('user', 'alice', { signed: true });
        ctx.body = 'set';
        return;
      }
      ctx.body = String(ctx.cookies.get('user', { signed: true }));
    },
    { keys: ['secret'] },
  );
  const set = await fetch(`${s.url}/set`);
  const sig = set.headers.getSetCookie()[1].split(';')[0];
  const back = await fetch(`${s.url}/get`, { headers: { Cookie: `user=mallory; ${sig}` } });
  t.is(await back.text(), 'undefined');
  await s.close();
});

test('a signed cookie without app.keys is a 500', async (t) => {
  const s = await start((ctx) => {
    ctx.cookies.set('user', 'alice', { signed: true });
    ctx.body = 'never';
  });
  const res = await fetch(s.url);
  t.is(res.status, 500);
  t.is(res.headers.get('set-cookie'), null);
  await s.close();
});

test('a secure cookie over plain HTTP is refused with 500', async (t) => {
  const s = await start((ctx) => {
    ctx.cookies.set('s', '1', { secure: true });
    ctx.body = 'never';
  });
  t.is((await fetch(s.url)).status, 500);
  await s.close();
});

test('a secure cookie is accepted behind a trusted HTTPS proxy', async (t) => {
  const s = await start(
    (ctx) => {
      ctx.cookies.set('s', '1', { secure: true });
      ctx.body = 'ok';
    },
    { proxy: true },
  );
  const res = await fetch(s.url, { headers: { 'X-Forwarded-Proto': 'https' } });
  t.is(res.headers.get('set-cookie'), 's=1; path=/; secure; httponly');
  await s.close();
});

test('cookies set before an error are not sent with the error response', async (t) => {
  const s = await start((ctx) => {
    ctx.cookies.set('half', 'done');
    ctx.throw(400, 'bad');
  });
  const res = await fetch(s.url);
  t.is(res.status, 400);
  t.is(res.headers.get('set-cookie'), null);
  await s.close();
});
