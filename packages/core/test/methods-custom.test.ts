import test from 'ava';
import { Application, STANDARD_METHODS } from '@sluice/core';
import { raw, start } from './helpers.js';

const request = (method: string, target = '/', extra = '') => `${method} ${target} HTTP/1.1\r\nHost: h\r\n${extra}Connection: close\r\n\r\n`;

test('any token method reaches the middleware chain', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `saw ${ctx.method}`;
  });
  const { text } = await raw(s.port, request('BREW', '/pot'));
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.true(text.endsWith('saw BREW'));
  await s.close();
});

test('a method nothing implements gets 501 listing the implemented methods', async (t) => {
  const s = await start(() => {});
  const { text } = await raw(s.port, request('BREW'));
  t.regex(text, /^HTTP\/1\.1 501 Not Implemented\r\n/);
  t.regex(text, /Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n/);
  t.regex(text, /Method BREW is not implemented by this server; it implements GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS/);
  await s.close();
});

test('methods are case-sensitive: "get" is not GET', async (t) => {
  const s = await start((ctx) => {
    if (ctx.method === 'GET') ctx.body = 'got';
  });
  const { text } = await raw(s.port, request('get'));
  t.regex(text, /^HTTP\/1\.1 501 /);
  await s.close();
});

test('app.method() registers a method and runs its middleware only for it', async (t) => {
  const app = new Application();
  const order: string[] = [];
  app.method('PURGE', async (ctx) => {
    order.push(`purge ${ctx.path}`);
    ctx.status = 204;
  });
  app.use((ctx) => {
    order.push(`generic ${ctx.method}`);
    ctx.body = 'generic';
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const purge = await raw(port, request('PURGE', '/cached'));
  t.regex(purge.text, /^HTTP\/1\.1 204 /);
  const get = await raw(port, request('GET', '/cached'));
  t.true(get.text.endsWith('generic'));
  t.deepEqual(order, ['purge /cached', 'generic GET']);
  await app.close(500);
});

test('method middleware that calls next() passes on to the rest of the chain', async (t) => {
  const app = new Application();
  app.method('REPORT', async (ctx, next) => {
    ctx.state.seen = 'report';
    await next();
  });
  app.use((ctx) => {
    ctx.body = `end ${String(ctx.state.seen)}`;
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { text } = await raw((server.address() as { port: number }).port, request('REPORT'));
  t.true(text.endsWith('end report'));
  await app.close(500);
});

test('a registered method that nothing answers gets 404, not 501', async (t) => {
  const s = await start(() => {}, { methods: ['PROPFIND'] });
  const { text } = await raw(s.port, request('PROPFIND', '/nothing'));
  t.regex(text, /^HTTP\/1\.1 404 /);
  await s.close();
});

test('a method the resource did not declare with ctx.allow() gets 405 with Allow', async (t) => {
  const s = await start((ctx) => {
    if (ctx.path !== '/doc') return;
    ctx.allow('GET', 'PUT');
    if (ctx.method === 'GET') ctx.body = 'doc';
  });
  const { text } = await raw(s.port, request('DELETE', '/doc'));
  t.regex(text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
  t.regex(text, /Allow: GET, PUT, HEAD, OPTIONS\r\n/);
  await s.close();
});

test('HEAD is allowed wherever GET is declared', async (t) => {
  const s = await start((ctx) => {
    ctx.allow('GET');
    if (ctx.method === 'GET' || ctx.method === 'HEAD') ctx.body = 'doc';
  });
  const { text } = await raw(s.port, request('HEAD', '/'));
  t.regex(text, /^HTTP\/1\.1 200 /);
  await s.close();
});

test('405 goes through the error renderer like any error', async (t) => {
  const s = await start((ctx) => {
    ctx.allow('GET');
  }, { errorHandler: (error, ctx) => { ctx.body = { code: error.code }; } });
  const res = await fetch(s.url, { method: 'POST', body: 'x' });
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
  t.deepEqual(await res.json(), { code: 'SLUICE_ERR_METHOD_NOT_ALLOWED' });
  await s.close();
});

test('an unknown method beats a declared resource: 501, not 405', async (t) => {
  const s = await start((ctx) => {
    ctx.allow('GET');
  });
  const { text } = await raw(s.port, request('BREW'));
  t.regex(text, /^HTTP\/1\.1 501 /);
  await s.close();
});

test('OPTIONS on a resource answers 204 with its declared Allow', async (t) => {
  const s = await start((ctx) => {
    ctx.allow('GET', 'POST');
  });
  const { text } = await raw(s.port, request('OPTIONS', '/form'));
  t.regex(text, /^HTTP\/1\.1 204 No Content\r\n/);
  t.regex(text, /Allow: GET, POST, HEAD, OPTIONS\r\n/);
  await s.close();
});

test('OPTIONS on a resource nothing declared answers with the app-wide Allow', async (t) => {
  const s = await start(() => {}, { methods: ['PURGE'] });
  const { text } = await raw(s.port, request('OPTIONS', '/any'));
  t.regex(text, /^HTTP\/1\.1 204 /);
  t.regex(text, /Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, PURGE\r\n/);
  await s.close();
});

test('OPTIONS answered by a middleware is left alone', async (t) => {
  const s = await start((ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.status = 200;
    ctx.body = 'preflight ok';
  });
  const { text } = await raw(s.port, request('OPTIONS', '/api'));
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.notRegex(text, /Allow:/);
  t.true(text.endsWith('preflight ok'));
  await s.close();
});

test('OPTIONS * answers with every implemented method without running middleware', async (t) => {
  let ran = false;
  const s = await start(() => {
    ran = true;
  });
  s.app.method('PURGE');
  const { text } = await raw(s.port, request('OPTIONS', '*'));
  t.regex(text, /^HTTP\/1\.1 204 /);
  t.regex(text, /Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, PURGE\r\n/);
  t.false(ran);
  await s.close();
});

test('TRACE is refused with 405 by default, before any middleware', async (t) => {
  let ran = false;
  const s = await start((ctx) => {
    ran = true;
    ctx.body = 'echo?';
  });
  const { text } = await raw(s.port, request('TRACE', '/', 'Cookie: sid=secret\r\n'));
  t.regex(text, /^HTTP\/1\.1 405 /);
  t.regex(text, /Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n/);
  t.notRegex(text, /secret/);
  t.false(ran);
  await s.close();
});

test('with trace on, TRACE echoes the request without credentials or cookies', async (t) => {
  const s = await start(() => {}, { trace: true });
  const { text } = await raw(s.port, request('TRACE', '/path?q=1', 'X-Probe: 42\r\nAuthorization: Basic c2VjcmV0\r\nCookie: sid=secret\r\n'));
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.regex(text, /Content-Type: message\/http\r\n/);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  t.is(body, 'TRACE /path?q=1 HTTP/1.1\r\nHost: h\r\nX-Probe: 42\r\nConnection: close\r\n\r\n');
  await s.close();
});

test('with trace on, TRACE is listed in OPTIONS *', async (t) => {
  const s = await start(() => {}, { trace: true });
  const { text } = await raw(s.port, request('OPTIONS', '*'));
  t.regex(text, /Allow: [^\r]*TRACE/);
  await s.close();
});

test('a method name that is not a token is refused at registration', (t) => {
  const app = new Application();
  const error = t.throws(() => app.method('BAD METHOD'));
  t.regex(error.message, /method name "BAD METHOD" is not an HTTP token/);
  t.throws(() => new Application({ methods: ['a\r\nb'] }));
});

test('app.methods lists what the app implements', (t) => {
  const app = new Application({ methods: ['MKCOL'] });
  app.method('PROPFIND');
  t.deepEqual(app.methods, ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'MKCOL', 'PROPFIND']);
  t.true(STANDARD_METHODS.includes('CONNECT'));
});

test('ctx.allow() refuses a method name that is not a token (no header injection through Allow)', async (t) => {
  const s = await start((ctx) => {
    ctx.allow('GET\r\nSet-Cookie: x=1');
  }, { logger: { info() {}, warn() {}, error() {} } });
  const { text } = await raw(s.port, request('OPTIONS', '/x'));
  t.regex(text, /^HTTP\/1\.1 500 /);
  t.notRegex(text, /Set-Cookie/);
  await s.close();
});
