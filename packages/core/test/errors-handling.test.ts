import { once } from 'node:events';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Application, createErrorPagesHandler, SluiceError, type Context } from '@sluice/core';
import { raw, start } from './helpers.js';

const PAGE_404 = fileURLToPath(new URL('./fixtures/404.html', import.meta.url));
const quiet = { logger: { info() {}, warn() {}, error() {} } };

test('the default renderer answers JSON to a JSON client', async (t) => {
  const s = await start(() => {
    throw new SluiceError(409, 'APP_CONFLICT', 'version mismatch');
  });
  const res = await fetch(s.url, { headers: { Accept: 'application/json' } });
  t.is(res.status, 409);
  t.deepEqual(await res.json(), { error: 'version mismatch', status: 409, code: 'APP_CONFLICT' });
  await s.close();
});

test('the default renderer answers an escaped HTML page to a browser', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(400, 'bad <script>');
  });
  const res = await fetch(s.url, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await res.text();
  t.regex(html, /<title>400 Bad Request<\/title>/);
  t.regex(html, /bad &#60;script&#62;/);
  await s.close();
});

test('the default renderer answers plain text without Accept', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(404, 'no such widget');
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /Content-Type: text\/plain; charset=utf-8\r\n/);
  t.true(text.endsWith('\r\n\r\nno such widget\n'));
  await s.close();
});

test('a plain Error becomes a 500 that hides its message and stack', async (t) => {
  const s = await start(() => {
    throw new Error('secret internals');
  }, quiet);
  const res = await fetch(s.url, { headers: { Accept: 'application/json' } });
  t.is(res.status, 500);
  t.deepEqual(await res.json(), { error: 'Internal Server Error', status: 500 });
  await s.close();
});

test('development mode shows the stack trace', async (t) => {
  const s = await start(() => {
    throw new Error('dev detail');
  }, { env: 'development', ...quiet });
  const text = await (await fetch(s.url)).text();
  t.regex(text, /^Internal Server Error\n\nError: dev detail\n\s+at /);
  await s.close();
});

test('a thrown non-error is a 500', async (t) => {
  const s = await start(() => {
    throw 'just a string';
  }, quiet);
  t.is((await fetch(s.url)).status, 500);
  await s.close();
});

test('an error status outside 4xx/5xx becomes 500', async (t) => {
  const s = await start(() => {
    throw Object.assign(new Error('odd'), { status: 302 });
  }, quiet);
  t.is((await fetch(s.url)).status, 500);
  await s.close();
});

test('headers set before the error are dropped, error headers are applied but not Content-Type', async (t) => {
  const s = await start((ctx) => {
    ctx.set('X-Before', '1');
    throw new SluiceError(429, 'APP_SLOW_DOWN', 'slow down', { headers: { 'Retry-After': '30', 'Content-Type': 'image/png' } });
  });
  const res = await fetch(s.url);
  t.is(res.status, 429);
  t.is(res.headers.get('retry-after'), '30');
  t.is(res.headers.get('x-before'), null);
  t.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  await s.close();
});

test('an error header with CR/LF is dropped, not sent', async (t) => {
  const s = await start(() => {
    throw new SluiceError(400, 'APP_BAD', 'bad', { headers: { 'X-Evil': 'a\r\nSet-Cookie: x=1', 'X-Fine': 'ok' } });
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 400 /);
  t.regex(text, /X-Fine: ok\r\n/);
  t.notRegex(text, /X-Evil|Set-Cookie/);
  await s.close();
});

test('errorHandler replaces the renderer for thrown errors', async (t) => {
  const s = await start(() => {
    throw new SluiceError(403, 'APP_NOPE', 'nope');
  }, {
    errorHandler: (error, ctx) => {
      ctx.set('X-Handled-By', 'custom');
      ctx.body = { problem: error.code, status: ctx.status };
    },
  });
  const res = await fetch(s.url);
  t.is(res.status, 403);
  t.is(res.headers.get('x-handled-by'), 'custom');
  t.deepEqual(await res.json(), { problem: 'APP_NOPE', status: 403 });
  await s.close();
});

test('errorHandler also renders the 404 of an unanswered request', async (t) => {
  const s = await start(() => {}, {
    errorHandler: (_error, ctx) => {
      ctx.body = `custom ${ctx.status}`;
    },
  });
  const res = await fetch(`${s.url}/missing`);
  t.is(res.status, 404);
  t.is(await res.text(), 'custom 404');
  await s.close();
});

test('errorHandler renders malformed requests refused by the engine', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'unreached';
  }, {
    errorHandler: (error, ctx) => {
      ctx.body = `engine said ${ctx.status} ${error.code}`;
    },
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 400 /);
  t.true(text.endsWith('engine said 400 SLUICE_ERR_BAD_HEADER_NAME'));
  t.true(closed);
  await s.close();
});

test('a failing errorHandler falls back to the default renderer and is reported', async (t) => {
  const reported: string[] = [];
  const s = await start(() => {
    throw new SluiceError(418, 'APP_TEAPOT', 'short and stout');
  }, {
    errorHandler: () => {
      throw new Error('renderer broke');
    },
  });
  s.app.on('error', (error: Error) => reported.push(error.message));
  const res = await fetch(s.url);
  t.is(res.status, 418);
  t.is(await res.text(), 'short and stout\n');
  t.deepEqual(reported, ['short and stout', 'renderer broke']);
  await s.close();
});

test('a first middleware with try/catch wraps every error', async (t) => {
  const s = await start([
    async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = 200;
        ctx.body = { wrapped: (error as Error).message };
      }
    },
    () => {
      throw new Error('inner failure');
    },
  ]);
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { wrapped: 'inner failure' });
  await s.close();
});

test('a wrapping middleware can rethrow after decorating the error', async (t) => {
  const s = await start([
    async (_ctx, next) => {
      try {
        await next();
      } catch (error) {
        throw Object.assign(error as Error, { status: 400, expose: true, headers: { 'X-Wrapped': 'yes' } });
      }
    },
    () => {
      throw new Error('decorated');
    },
  ]);
  const res = await fetch(s.url);
  t.is(res.status, 400);
  t.is(res.headers.get('x-wrapped'), 'yes');
  t.is(await res.text(), 'decorated\n');
  await s.close();
});

test('errorPages serves a file for its status', async (t) => {
  const s = await start(() => {}, { errorPages: { 404: PAGE_404 } });
  const res = await fetch(`${s.url}/nowhere`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(await res.text(), '<!DOCTYPE html><title>Lost</title><h1>Nothing here</h1>\n');
  await s.close();
});

test('errorPages runs a function page with the error and ctx', async (t) => {
  const s = await start(() => {
    throw new Error('boom');
  }, { errorPages: { 500: (error, ctx) => `<h1>${ctx.status}: sorry (${error.message.length} chars hidden)</h1>` }, ...quiet });
  const res = await fetch(s.url);
  t.is(res.status, 500);
  t.is(await res.text(), '<h1>500: sorry (4 chars hidden)</h1>');
  await s.close();
});

test('errorPages class keys cover a whole class; the exact status wins', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(Number(ctx.query.s));
  }, { errorPages: { '4xx': () => 'any client error', 404: () => 'not found page' } });
  t.is(await (await fetch(`${s.url}/?s=403`)).text(), 'any client error');
  t.is(await (await fetch(`${s.url}/?s=404`)).text(), 'not found page');
  t.is((await fetch(`${s.url}/?s=403`)).status, 403);
  await s.close();
});

test('a status without a page falls back to the renderer underneath', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(400, 'plain');
  }, { errorPages: { 404: PAGE_404 } });
  t.is(await (await fetch(s.url)).text(), 'plain\n');
  await s.close();
});

test('a function page returning nothing falls back to the renderer', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(400, 'fallback text');
  }, { errorPages: { 400: () => undefined } });
  t.is(await (await fetch(s.url)).text(), 'fallback text\n');
  await s.close();
});

test('errorPages with a missing file is refused at construction, naming the key', (t) => {
  const error = t.throws(() => new Application({ errorPages: { 404: '/no/such/page.html' } }));
  t.regex(error.message, /errorPages\["404"\]: \/no\/such\/page\.html is not a readable file/);
});

test('errorPages with a bad key is refused at construction', (t) => {
  const error = t.throws(() => new Application({ errorPages: { 200: () => 'x' } }));
  t.regex(error.message, /errorPages key "200"/);
});

test('an unknown application option is refused, naming it', (t) => {
  const error = t.throws(() => new Application({ errorPage: {} } as never));
  t.regex(error.message, /unknown application option "errorPage"/);
});

test("app.on('error') is called once per failure, with the ctx", async (t) => {
  const calls: Array<[string, string]> = [];
  const s = await start((ctx) => {
    ctx.throw(500, 'failed at ' + ctx.path);
  });
  s.app.on('error', (error: Error, ctx: Context) => calls.push([error.message, ctx.path]));
  await fetch(`${s.url}/one`);
  await fetch(`${s.url}/two`);
  t.deepEqual(calls, [['failed at /one', '/one'], ['failed at /two', '/two']]);
  await s.close();
});

test("app.on('error') is not called for an unanswered 404", async (t) => {
  let calls = 0;
  const s = await start(() => {});
  s.app.on('error', () => calls++);
  t.is((await fetch(s.url)).status, 404);
  t.is(calls, 0);
  await s.close();
});

test('a stream body failing before any byte is sent is reported once and answered 500', async (t) => {
  let calls = 0;
  const s = await start((ctx) => {
    ctx.body = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
  });
  s.app.on('error', () => calls++);
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { timeoutMs: 1000 });
  t.true(closed);
  t.is(calls, 1);
  // The head may already be out when the stream fails: then the connection is just cut.
  t.true(text === '' || /^HTTP\/1\.1 (200|500) /.test(text));
  await s.close();
});

test('an error after the head was sent aborts the connection with no second response', async (t) => {
  let calls = 0;
  const s = await start(async (ctx) => {
    if (ctx.path === '/ok') {
      ctx.body = 'still healthy';
      return;
    }
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
    ctx.res.write('partial');
    throw new Error('late failure');
  });
  s.app.on('error', () => calls++);
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { timeoutMs: 1000 });
  t.true(closed);
  t.is(text.match(/HTTP\/1\.1/g)?.length, 1);
  t.regex(text, /\r\n7\r\npartial\r\n$/);
  t.is(calls, 1);
  t.is(await (await fetch(`${s.url}/ok`)).text(), 'still healthy');
  await s.close();
});

test('a stream failing mid-body aborts the connection and the server stays healthy', async (t) => {
  const s = await start((ctx) => {
    if (ctx.path === '/ok') {
      ctx.body = 'fine';
      return;
    }
    let sent = false;
    ctx.body = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push('first chunk');
          return;
        }
        setTimeout(() => this.destroy(new Error('mid-stream')), 10);
      },
    });
  }, quiet);
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { timeoutMs: 1000 });
  t.true(closed);
  t.regex(text, /first chunk/);
  t.notRegex(text, /0\r\n\r\n$/);
  t.is(await (await fetch(`${s.url}/ok`)).text(), 'fine');
  await s.close();
});

test('a client error gets the clientError event and no error event', async (t) => {
  const events: string[] = [];
  const s = await start(() => {});
  s.app.on('error', () => events.push('error'));
  s.app.on('clientError', (error: SluiceError) => events.push(`clientError ${error.code}`));
  await raw(s.port, 'GET / HTTP/1.1\r\n\r\n');
  t.deepEqual(events, ['clientError SLUICE_ERR_MISSING_HOST']);
  await s.close();
});

test('a listener on the app-level error event can log without changing the response', async (t) => {
  const app = new Application();
  app.use(() => {
    throw new SluiceError(400, 'APP_X', 'x');
  });
  const seen: number[] = [];
  app.on('error', (_e: Error, ctx: Context) => seen.push(ctx.status));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  t.is((await fetch(`http://127.0.0.1:${port}`)).status, 400);
  t.is(seen.length, 1);
  await app.close(500);
});

test('errorPages also answer malformed requests refused by the engine', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'unreached';
  }, { errorPages: { 400: () => '<h1>That request was malformed</h1>' } });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Bad\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 400 /);
  t.regex(text, /Content-Type: text\/html; charset=utf-8\r\n/);
  t.true(text.endsWith('<h1>That request was malformed</h1>'));
  t.true(closed);
  await s.close();
});

test('a header-timeout 408 goes through the custom renderer too', async (t) => {
  const s = await start(() => {}, {
    limits: { headersTimeoutMs: 200 },
    errorHandler: (error, ctx) => {
      ctx.body = `custom ${ctx.status} ${error.code}`;
    },
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n', { timeoutMs: 3000 });
  t.regex(text, /^HTTP\/1\.1 408 /);
  t.true(text.endsWith('custom 408 SLUICE_ERR_HEADERS_TIMEOUT'));
  t.true(closed);
  await s.close();
});

test('an application option of the wrong type is refused, naming the key and what it must be', (t) => {
  t.throws(() => new Application({ proxy: 'yes' as never }), { message: 'application option "proxy" must be a boolean' });
  t.throws(() => new Application({ errorHandler: 'render' as never }), { message: 'application option "errorHandler" must be a function (error, ctx)' });
  t.throws(() => new Application({ keys: [] }), { message: 'application option "keys" must be a non-empty array of strings' });
  t.throws(() => new Application({ logger: { info() {} } as never }), { message: /must be an object with info, warn and error functions/ });
});

test('createErrorPagesHandler gives the errorPages renderer for use in a custom errorHandler', async (t) => {
  const render = createErrorPagesHandler({ 404: PAGE_404 });
  const s = await start(() => {}, { errorHandler: (error, ctx) => render(error, ctx) });
  const res = await fetch(`${s.url}/gone`);
  t.is(res.status, 404);
  t.regex(await res.text(), /Nothing here/);
  await s.close();
});

test("an 'error' listener that throws does not crash the server or cost the client its answer", async (t) => {
  const s = await start((ctx) => {
    if (ctx.path === '/fail') throw new Error('first');
    ctx.body = 'alive';
  }, quiet);
  s.app.on('error', () => {
    throw new Error('listener bug');
  });
  t.is((await fetch(`${s.url}/fail`)).status, 500);
  t.is(await (await fetch(s.url)).text(), 'alive');
  await s.close();
});

test('an unanswered request keeps the headers middleware set, but not their representation headers', async (t) => {
  const s = await start([
    async (ctx, next) => {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.vary('Origin');
      ctx.cookies.set('seen', '1');
      ctx.set('Content-Type', 'image/png');
      ctx.set('Content-Encoding', 'gzip');
      ctx.etag = 'abc';
      await next();
    },
  ]);
  const { text } = await raw(s.port, 'GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [head, body] = text.split('\r\n\r\n');
  t.regex(head, /^HTTP\/1\.1 404 Not Found\r\n/);
  t.regex(head, /\r\nAccess-Control-Allow-Origin: \*\r\n/i);
  t.regex(head, /\r\nVary: Origin\r\n/i);
  t.regex(head, /\r\nSet-Cookie: seen=1; path=\/; httponly\r\n/i);
  t.regex(head, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/i);
  t.notRegex(head, /Content-Encoding|ETag|image\/png/i);
  t.is(body, 'Not Found\n');
  await s.close();
});

test('a 405 of an unanswered request keeps the headers middleware set', async (t) => {
  const s = await start(async (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.allow('GET');
  });
  const res = await fetch(s.url, { method: 'DELETE' });
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'GET, HEAD, OPTIONS');
  t.is(res.headers.get('access-control-allow-origin'), '*');
  await s.close();
});

test('a thrown error still drops the headers set before it', async (t) => {
  const s = await start((ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.throw(404, 'no such todo');
  });
  const res = await fetch(s.url);
  t.is(res.status, 404);
  t.is(res.headers.get('access-control-allow-origin'), null);
  await s.close();
});

test('errorPages answer a client asking for JSON with the renderer\'s JSON, not the page', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(404, 'no such todo');
  }, { errorPages: { 404: PAGE_404, '5xx': () => '<h1>sorry</h1>' } });
  const api = await fetch(`${s.url}/todos/7`, { headers: { Accept: 'application/json' } });
  t.is(api.status, 404);
  t.deepEqual(await api.json(), { error: 'no such todo', status: 404 });
  const browser = await fetch(`${s.url}/todos/7`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  t.is(browser.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(await browser.text(), '<!DOCTYPE html><title>Lost</title><h1>Nothing here</h1>\n');
  const anything = await fetch(`${s.url}/todos/7`, { headers: { Accept: '*/*' } });
  t.is(await anything.text(), '<!DOCTYPE html><title>Lost</title><h1>Nothing here</h1>\n');
  const textOnly = await fetch(`${s.url}/todos/7`, { headers: { Accept: 'text/plain' } });
  t.is(await textOnly.text(), 'no such todo\n');
  await s.close();
});

test('errorPages: a client without Accept gets the page', async (t) => {
  const s = await start(() => {}, { errorPages: { 404: PAGE_404 } });
  const { text } = await raw(s.port, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('<h1>Nothing here</h1>\n'));
  await s.close();
});

test('negotiateErrorPages: false sends the page to every client, JSON ones too', async (t) => {
  const s = await start(() => {}, { errorPages: { 404: PAGE_404 }, negotiateErrorPages: false });
  const res = await fetch(`${s.url}/x`, { headers: { Accept: 'application/json' } });
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(await res.text(), '<!DOCTYPE html><title>Lost</title><h1>Nothing here</h1>\n');
  await s.close();
});

test('negotiateErrorPages that is not a boolean is refused, naming the key', (t) => {
  const error = t.throws(() => new Application({ negotiateErrorPages: 'yes' } as never));
  t.regex(error.message, /application option "negotiateErrorPages" must be a boolean/);
});
