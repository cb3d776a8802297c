import test from 'ava';
import cors from '@koa/cors';
import type { Context } from '@sluice/core';
import { start } from './helpers.js';

const answer = (ctx: { body: unknown }) => {
  ctx.body = 'data';
};

test('@koa/cors: a simple request gets Access-Control-Allow-Origin and Vary', async (t) => {
  const s = await start([cors(), answer]);
  const res = await fetch(s.url, { headers: { Origin: 'https://app.example' } });
  t.is(res.headers.get('access-control-allow-origin'), '*');
  t.is(res.headers.get('vary'), 'Origin');
  t.is(await res.text(), 'data');
  await s.close();
});

test('@koa/cors: an origin function returning nothing leaves the response without CORS headers', async (t) => {
  const s = await start([cors({ origin: (ctx: Context) => (ctx.get('Origin') === 'https://ok.example' ? 'https://ok.example' : '') }), answer]);
  const refused = await fetch(s.url, { headers: { Origin: 'https://evil.example' } });
  t.is(refused.headers.get('access-control-allow-origin'), null);
  t.is(refused.headers.get('vary'), 'Origin');
  const allowed = await fetch(s.url, { headers: { Origin: 'https://ok.example' } });
  t.is(allowed.headers.get('access-control-allow-origin'), 'https://ok.example');
  await s.close();
});

test('@koa/cors: a preflight is answered 204 with the allowed methods and headers', async (t) => {
  const s = await start([cors({ allowMethods: ['GET', 'PURGE'], maxAge: 600 }), answer]);
  const res = await fetch(s.url, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PURGE', 'Access-Control-Request-Headers': 'X-Token' },
  });
  t.is(res.status, 204);
  t.is(res.headers.get('access-control-allow-methods'), 'GET,PURGE');
  t.is(res.headers.get('access-control-allow-headers'), 'X-Token');
  t.is(res.headers.get('access-control-max-age'), '600');
  await s.close();
});

test('@koa/cors: credentials echo the origin', async (t) => {
  const s = await start([cors({ credentials: true, origin: (ctx: Context) => ctx.get('Origin') }), answer]);
  const res = await fetch(s.url, { headers: { Origin: 'https://app.example' } });
  t.is(res.headers.get('access-control-allow-origin'), 'https://app.example');
  t.is(res.headers.get('access-control-allow-credentials'), 'true');
  await s.close();
});

test('@koa/cors: CORS headers survive a thrown error (kept on err.headers)', async (t) => {
  const s = await start([
    cors(),
    (ctx: { throw(status: number, message: string): never }) => {
      ctx.throw(400, 'bad input');
    },
  ]);
  const res = await fetch(s.url, { headers: { Origin: 'https://app.example' } });
  t.is(res.status, 400);
  t.is(res.headers.get('access-control-allow-origin'), '*');
  t.is(await res.text(), 'bad input\n');
  await s.close();
});

test('@koa/cors: an unanswered request keeps Access-Control-Allow-Origin and Vary on its 404, as in Koa', async (t) => {
  const s = await start([cors({ origin: 'https://app.example', credentials: true })]);
  const res = await fetch(`${s.url}/todos/7`, { headers: { Origin: 'https://app.example', Accept: 'application/json' } });
  t.is(res.status, 404);
  t.is(res.headers.get('access-control-allow-origin'), 'https://app.example');
  t.is(res.headers.get('access-control-allow-credentials'), 'true');
  t.is(res.headers.get('vary'), 'Origin');
  t.deepEqual(await res.json(), { error: 'Not Found', status: 404 });
  await s.close();
});
