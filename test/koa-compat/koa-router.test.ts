import test from 'ava';
import Router from '@koa/router';
import type { Context } from '@sluice/core';
import { raw, start } from './helpers.js';

/** What @koa/router adds to ctx. */
type RoutedContext = Context & { params: Record<string, string>; _matchedRoute: string };

function router() {
  const r = new Router();
  r.get('/users/:id', (ctx: RoutedContext) => {
    ctx.body = { id: ctx.params.id, route: ctx._matchedRoute };
  });
  r.post('/users', (ctx: RoutedContext) => {
    ctx.status = 201;
    ctx.body = 'created';
  });
  r.put('/users/:id', (ctx: RoutedContext) => {
    ctx.body = `put ${ctx.params.id}`;
  });
  return r;
}

test('@koa/router: routes by method and path with params', async (t) => {
  const r = router();
  const s = await start([r.routes(), r.allowedMethods()]);
  const res = await fetch(`${s.url}/users/42`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { id: '42', route: '/users/:id' });
  t.is((await fetch(`${s.url}/users`, { method: 'POST' })).status, 201);
  await s.close();
});

test('@koa/router: allowedMethods answers 405 with Allow for a known path', async (t) => {
  const r = router();
  const s = await start([r.routes(), r.allowedMethods()]);
  const res = await fetch(`${s.url}/users/42`, { method: 'DELETE' });
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'HEAD, GET, PUT');
  await s.close();
});

test('@koa/router: allowedMethods answers OPTIONS with Allow', async (t) => {
  const r = router();
  const s = await start([r.routes(), r.allowedMethods()]);
  const res = await fetch(`${s.url}/users/42`, { method: 'OPTIONS' });
  t.is(res.status, 200);
  t.is(res.headers.get('allow'), 'HEAD, GET, PUT');
  await s.close();
});

test('@koa/router: an unmatched path falls through to the 404', async (t) => {
  const r = router();
  const s = await start([r.routes(), r.allowedMethods()]);
  t.is((await fetch(`${s.url}/nothing`)).status, 404);
  await s.close();
});

test('@koa/router: a custom method registered on both router and app is routed', async (t) => {
  const r = new Router({ methods: ['GET', 'PURGE'] });
  r.register('/cache/:key', ['PURGE'], (ctx: RoutedContext) => {
    ctx.body = `purged ${ctx.params.key}`;
  });
  const s = await start([r.routes(), r.allowedMethods()], { methods: ['PURGE'] });
  const text = (await raw(s.port, 'PURGE /cache/k1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')).toString();
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.true(text.endsWith('purged k1'));
  await s.close();
});

test('@koa/router: a method the router does not implement gets its 501', async (t) => {
  const r = router();
  const s = await start([r.routes(), r.allowedMethods()]);
  const text = (await raw(s.port, 'BREW /users/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')).toString();
  t.regex(text, /^HTTP\/1\.1 501 /);
  await s.close();
});

test('@koa/router: nested routers with a prefix', async (t) => {
  const api = new Router({ prefix: '/api' });
  const inner = router();
  api.use('/v1', inner.routes(), inner.allowedMethods());
  const s = await start([api.routes()]);
  t.is(await (await fetch(`${s.url}/api/v1/users/7`, { method: 'PUT' })).text(), 'put 7');
  await s.close();
});

test('@koa/router: router.redirect sends a 301 with Location', async (t) => {
  const r = new Router();
  r.redirect('/old', '/new');
  const s = await start([r.routes()]);
  const res = await fetch(`${s.url}/old`, { redirect: 'manual' });
  t.is(res.status, 301);
  t.is(res.headers.get('location'), '/new');
  await s.close();
});
