// app.callback() under node:http, driven by supertest (the way Koa apps are tested), and the
// same cases against app.listen() (sluice's own engine): same middleware, same answers.
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import request from 'supertest';
import Router from '@koa/router';
import cors from '@koa/cors';
import bodyParser from 'koa-bodyparser';
import { Application, type Middleware } from '@sluice/core';

const PAGE_404 = fileURLToPath(new URL('../../packages/core/test/fixtures/404.html', import.meta.url));
const quiet = { logger: { info() {}, warn() {}, error() {} } };

/** A todo API: a router, CORS, a body parser, streams, errors. A fresh one per test. */
function todoApp(): Application {
  const app = new Application({ ...quiet, errorPages: { 404: PAGE_404 } });
  const router = new Router();
  const todos = new Map([['1', { id: '1', title: 'write tests' }]]);
  router.get('/todos/:id', (ctx: { params: { id: string }; body: unknown; throw(status: number, message: string): never }) => {
    const todo = todos.get(ctx.params.id);
    if (todo === undefined) ctx.throw(404, 'no such todo');
    ctx.body = todo;
  });
  router.post('/todos', (ctx: { request: { body?: unknown }; status: number; body: unknown }) => {
    ctx.status = 201;
    ctx.body = { created: ctx.request.body };
  });
  const own: Middleware = async (ctx, next) => {
    if (ctx.path === '/boom') throw new Error('secret detail');
    if (ctx.path === '/stream') {
      ctx.type = 'text/plain';
      ctx.body = Readable.from(['one ', 'two ', 'three']);
      return;
    }
    if (ctx.path === '/echo') {
      ctx.type = 'application/octet-stream';
      ctx.body = ctx.req;
      return;
    }
    if (ctx.path === '/json') {
      ctx.body = { got: await ctx.request.json({ limit: 64 }) };
      return;
    }
    if (ctx.path === '/cookie') {
      ctx.cookies.set('seen', 'yes');
      ctx.message = 'Fine Thanks';
      ctx.body = 'cookie set';
      return;
    }
    await next();
  };
  app.use(cors());
  app.use(own);
  app.use(bodyParser());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

interface Target {
  name: string;
  agent(app: Application): Promise<{ http: ReturnType<typeof request>; close(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'app.callback() in node:http',
    agent: async (app) => ({ http: request(app.callback()), close: async () => {} }),
  },
  {
    name: 'app.listen()',
    agent: async (app) => {
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return { http: request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), close: () => app.close(1000) };
    },
  },
];

for (const target of targets) {
  test(`${target.name}: a route with params answers JSON`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/todos/1').expect(200);
    t.deepEqual(res.body, { id: '1', title: 'write tests' });
    t.regex(res.headers['content-type'], /^application\/json; charset=utf-8$/);
    t.is(res.headers['content-length'], String(JSON.stringify({ id: '1', title: 'write tests' }).length));
    await close();
  });

  test(`${target.name}: koa-bodyparser reads a JSON body and the route answers 201`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.post('/todos').send({ title: 'ship' }).expect(201);
    t.deepEqual(res.body, { created: { title: 'ship' } });
    await close();
  });

  test(`${target.name}: ctx.throw(404) answers a JSON client with JSON, not the HTML error page`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/todos/9').set('Accept', 'application/json').expect(404);
    t.deepEqual(res.body, { error: 'no such todo', status: 404 });
    const page = await http.get('/todos/9').set('Accept', 'text/html').expect(404);
    t.is(page.text, '<!DOCTYPE html><title>Lost</title><h1>Nothing here</h1>\n');
    await close();
  });

  test(`${target.name}: an unanswered request is 404 and keeps the CORS header`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/nowhere').set('Origin', 'https://app.example').set('Accept', 'application/json').expect(404);
    t.is(res.headers['access-control-allow-origin'], '*');
    t.deepEqual(res.body, { error: 'Not Found', status: 404 });
    await close();
  });

  test(`${target.name}: allowedMethods answers 405 with Allow`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.delete('/todos/1').expect(405);
    t.is(res.headers.allow, 'HEAD, GET');
    await close();
  });

  test(`${target.name}: a thrown Error is a 500 that hides its message`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/boom').expect(500);
    t.is(res.text, 'Internal Server Error\n');
    t.false(res.text.includes('secret'));
    await close();
  });

  test(`${target.name}: a stream body arrives whole`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/stream').expect(200);
    t.is(res.text, 'one two three');
    t.is(res.headers['transfer-encoding'], 'chunked');
    await close();
  });

  test(`${target.name}: the request body streams back through ctx.req`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const payload = Buffer.alloc(256 * 1024, 'x');
    const res = await http.post('/echo').set('Content-Type', 'application/octet-stream').send(payload).buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      }).expect(200);
    t.true(Buffer.compare(res.body as Buffer, payload) === 0);
    await close();
  });

  test(`${target.name}: ctx.request.json() over its limit is 413, malformed is 400`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    await http.post('/json').set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'y'.repeat(100) })).expect(413);
    const bad = await http.post('/json').set('Content-Type', 'application/json').set('Accept', 'application/json').send('{nope').expect(400);
    t.is(bad.body.code, 'SLUICE_ERR_BAD_JSON');
    const good = await http.post('/json').set('Content-Type', 'application/json').send('[1,2]').expect(200);
    t.deepEqual(good.body, { got: [1, 2] });
    await close();
  });

  test(`${target.name}: cookies, a custom reason phrase and HEAD`, async (t) => {
    const { http, close } = await target.agent(todoApp());
    const res = await http.get('/cookie').expect(200);
    t.deepEqual(res.headers['set-cookie'], ['seen=yes; path=/; httponly']);
    t.is(res.text, 'cookie set');
    const head = await http.head('/todos/1').expect(200);
    t.falsy(head.text);
    t.is(head.headers['content-length'], String(JSON.stringify({ id: '1', title: 'write tests' }).length));
    await close();
  });
}

test('app.callback(): the reason phrase set with ctx.message reaches the status line', async (t) => {
  const server = http.createServer(todoApp().callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/cookie`, resolve).on('error', reject);
  });
  res.resume();
  t.is(res.statusMessage, 'Fine Thanks');
  server.closeAllConnections();
  server.close();
});

test('app.callback(): the returned promise settles once the response is handed over', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    ctx.type = 'text/plain';
    ctx.body = Readable.from(['a', 'b']);
  });
  const handler = app.callback();
  let settled: Promise<void> | undefined;
  const server = http.createServer((req, res) => {
    settled = handler(req, res);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const res = await request(server).get('/').expect(200);
  t.is(res.text, 'ab');
  await settled;
  t.pass();
  server.closeAllConnections();
  server.close();
});

test('app.callback(): ctx.respondRaw is refused with 501, the server carries on', async (t) => {
  const app = new Application(quiet);
  app.use((ctx) => {
    if (ctx.path === '/raw') ctx.respondRaw(Readable.from(['HTTP/1.1 200 OK\r\n\r\n']));
    else ctx.body = 'fine';
  });
  const agent = request(app.callback());
  await agent.get('/raw').expect(501);
  t.is((await agent.get('/').expect(200)).text, 'fine');
});

test('app.callback() under node:http2 (compatibility API): same routes, errors and streams', async (t) => {
  const server = http2.createServer(todoApp().callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const get = (path: string, headers: http2.OutgoingHttpHeaders = {}) =>
    new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': path, ...headers });
      let body = '';
      let responseHeaders: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => (responseHeaders = h));
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (body += c));
      stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body }));
      stream.on('error', reject);
    });
  const todo = await get('/todos/1');
  t.is(todo.status, 200);
  t.deepEqual(JSON.parse(todo.body), { id: '1', title: 'write tests' });
  const missing = await get('/todos/9', { accept: 'application/json' });
  t.is(missing.status, 404);
  t.deepEqual(JSON.parse(missing.body), { error: 'no such todo', status: 404 });
  const stream = await get('/stream');
  t.is(stream.body, 'one two three');
  t.is(stream.headers['transfer-encoding'], undefined);
  session.close();
  server.close();
});
