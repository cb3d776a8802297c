import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import test from 'ava';
import { sendAndReset } from '@sluice/test-support';
import { raw, start } from './helpers.js';

/** Sends `input`, waits `afterMs`, then resets the connection (RST): a client that truly went away. */

test('ctx.req carries method, url, headers and httpVersion', async (t) => {
  const s = await start((ctx) => {
    const { req } = ctx;
    ctx.body = [req.method, req.url, req.headers['x-probe'], req.httpVersion, req.httpVersionMajor, req.httpVersionMinor, req.rawHeaders.slice(0, 2)];
  });
  const { text } = await raw(s.port, 'PATCH /p?q=1 HTTP/1.1\r\nHost: h\r\nX-Probe: yes\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  t.true(text.endsWith('["PATCH","/p?q=1","yes","1.1",1,1,["Host","h"]]'));
  await s.close();
});

test('ctx.req is a readable of the request body', async (t) => {
  const s = await start(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    ctx.body = `read ${Buffer.concat(chunks).length} bytes, complete=${ctx.req.complete}`;
  });
  const res = await fetch(s.url, { method: 'POST', body: 'x'.repeat(100_000) });
  t.is(await res.text(), 'read 100000 bytes, complete=true');
  await s.close();
});

test('ctx.req of a request without a body ends at once', async (t) => {
  const s = await start(async (ctx) => {
    let bytes = 0;
    for await (const chunk of ctx.req) bytes += (chunk as Buffer).length;
    ctx.body = `empty ${bytes}`;
  });
  t.is(await (await fetch(s.url)).text(), 'empty 0');
  await s.close();
});

test('the ctx.req of each request on a keep-alive connection reads its own request, with and without a body', async (t) => {
  const s = await start(async (ctx) => {
    const { req } = ctx;
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    ctx.body = `${req.method} ${req.url} ${req.httpVersion} ${req.headers['x-n']} ${bytes} ${req instanceof Readable}|`;
  });
  const { text } = await raw(
    s.port,
    'GET /a HTTP/1.1\r\nHost: h\r\nX-N: 1\r\n\r\n' +
      'POST /b HTTP/1.1\r\nHost: h\r\nX-N: 2\r\nContent-Length: 3\r\n\r\nabc' +
      'GET /c HTTP/1.0\r\nHost: h\r\nX-N: 3\r\n\r\n',
  );
  t.true(text.includes('GET /a 1.1 1 0 true|'));
  t.true(text.includes('POST /b 1.1 2 3 true|'));
  t.true(text.includes('GET /c 1.0 3 0 true|'));
  await s.close();
});

test('setting ctx.req.url rewrites ctx.url', async (t) => {
  const s = await start((ctx) => {
    ctx.req.url = '/rewritten';
    ctx.body = ctx.path;
  });
  t.is(await (await fetch(`${s.url}/orig`)).text(), '/rewritten');
  await s.close();
});

test('ctx.req.socket gives the peer address and a socket-shaped object', async (t) => {
  const s = await start((ctx) => {
    const socket = ctx.req.socket;
    socket.setTimeout(1000);
    socket.setNoDelay(true);
    ctx.body = [socket.remoteAddress, socket.encrypted, socket.writable, ctx.res.socket === socket, typeof socket.on];
  });
  t.deepEqual(await (await fetch(s.url)).json(), ['127.0.0.1', false, true, true, 'function']);
  await s.close();
});

test('ctx.req.socket emits close when the client goes away', async (t) => {
  let closed!: () => void;
  const sawClose = new Promise<void>((resolve) => (closed = resolve));
  const s = await start(async (ctx) => {
    ctx.req.socket.once('close', () => closed());
    await sawClose;
    ctx.body = 'late';
  });
  await sendAndReset(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await sawClose;
  t.pass();
  await s.close();
});

test('res.setHeader/getHeader/hasHeader/removeHeader/getHeaderNames work on the response headers', async (t) => {
  const s = await start((ctx) => {
    const { res } = ctx;
    res.setHeader('X-One', '1').setHeader('X-List', ['a', 'b']);
    res.setHeader('X-Gone', 'x');
    res.removeHeader('x-gone');
    res.appendHeader('X-One', '2');
    ctx.body = [res.getHeader('x-list'), res.hasHeader('X-One'), res.hasHeader('X-Gone'), res.getHeaderNames()];
  });
  const res = await fetch(s.url);
  t.deepEqual(await res.json(), [['a', 'b'], true, false, ['x-one', 'x-list']]);
  t.is(res.headers.get('x-one'), '1, 2');
  await s.close();
});

test('res.statusCode reads and writes ctx.status', async (t) => {
  const s = await start((ctx) => {
    ctx.res.statusCode = 201;
    ctx.body = String(ctx.status);
  });
  const res = await fetch(s.url);
  t.is(res.status, 201);
  t.is(await res.text(), '201');
  await s.close();
});

test('writeHead, write and end stream a response and switch off sluice responding', async (t) => {
  const s = await start((ctx) => {
    ctx.res.writeHead(207, 'Multi', { 'Content-Type': 'application/xml' });
    ctx.res.write('<a>');
    ctx.res.write(Buffer.from('b'));
    ctx.res.end('</a>');
    ctx.body = 'ignored';
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 207 /);
  t.regex(text, /Content-Type: application\/xml\r\n/);
  t.true(text.endsWith('\r\n3\r\n<a>\r\n1\r\nb\r\n4\r\n</a>\r\n0\r\n\r\n'));
  await s.close();
});

test('writeHead with a Content-Length sends an identity body', async (t) => {
  const s = await start((ctx) => {
    ctx.res.writeHead(200, { 'Content-Length': '5' });
    ctx.res.end('hello');
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /Content-Length: 5\r\n/);
  t.true(text.endsWith('\r\n\r\nhello'));
  await s.close();
});

test('res.end without writeHead sends a 200 with the headers set so far', async (t) => {
  const s = await start((ctx) => {
    ctx.res.setHeader('Content-Type', 'text/plain');
    ctx.res.end('direct');
  });
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/plain');
  t.is(await res.text(), 'direct');
  await s.close();
});

test('res emits finish once the response is written, and headersSent/writableEnded follow', async (t) => {
  const seen: unknown[] = [];
  const s = await start((ctx) => {
    const { res } = ctx;
    res.on('finish', () => seen.push(['finish', res.headersSent, res.writableEnded, res.writableFinished]));
    seen.push(['before', res.headersSent, res.writableEnded]);
    ctx.body = 'x';
  });
  await (await fetch(s.url)).text();
  t.deepEqual(seen, [['before', false, false], ['finish', true, true, true]]);
  await s.close();
});

test('piping ctx.req into a Writable consumes the body with backpressure', async (t) => {
  const s = await start(async (ctx) => {
    let bytes = 0;
    await pipeline(ctx.req, new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        setImmediate(cb);
      },
    }));
    ctx.body = String(bytes);
  });
  const res = await fetch(s.url, { method: 'PUT', body: Buffer.alloc(300_000, 1) });
  t.is(await res.text(), '300000');
  await s.close();
});

test('ctx.respond = false leaves the response to the app', async (t) => {
  const s = await start(async (ctx) => {
    ctx.respond = false;
    ctx.body = 'not sent';
    setTimeout(() => ctx.res.end('sent later'), 10);
  });
  t.is(await (await fetch(s.url)).text(), 'sent later');
  await s.close();
});

test('res.write after an explicit 404 keeps the 404', async (t) => {
  const s = await start((ctx) => {
    ctx.res.statusCode = 404;
    ctx.res.write('not ');
    ctx.res.end('here');
  });
  const res = await fetch(s.url);
  t.is(res.status, 404);
  t.is(await res.text(), 'not here');
  await s.close();
});

test('res.write without any status set sends 200, as Node does', async (t) => {
  const s = await start((ctx) => {
    ctx.res.write('streamed');
    ctx.res.end();
  });
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.is(await res.text(), 'streamed');
  await s.close();
});

test('a stream piped into ctx.res gets backpressure and drain, and all of it arrives', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 97);
  const s = await start((ctx) => {
    ctx.respond = false;
    ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    Readable.from((function* () {
      for (let i = 0; i < 160; i++) yield chunk;
    })()).pipe(ctx.res as unknown as NodeJS.WritableStream);
  });
  const res = await fetch(s.url);
  t.is((await res.arrayBuffer()).byteLength, 160 * 64 * 1024);
  await s.close();
});

test('ctx.request.req and ctx.response.res are ctx.req and ctx.res, as in Koa', async (t) => {
  const s = await start((ctx) => {
    ctx.body = {
      req: ctx.request.req === ctx.req,
      res: ctx.response.res === ctx.res,
      responseReq: ctx.response.req === ctx.req,
      requestRes: ctx.request.res === ctx.res,
      siblings: ctx.request.response === ctx.response && ctx.response.request === ctx.request,
      method: ctx.request.req.method,
    };
  });
  const res = await fetch(s.url);
  t.deepEqual(await res.json(), { req: true, res: true, responseReq: true, requestRes: true, siblings: true, method: 'GET' });
  await s.close();
});

test('ctx.inspect(), ctx.request.inspect() and ctx.response.inspect() give the JSON summaries, as in Koa', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 201;
    ctx.body = {
      ctx: JSON.stringify(ctx.inspect()) === JSON.stringify(ctx.toJSON()),
      request: (ctx.request.inspect() as { method: string }).method,
      response: (ctx.response.inspect() as { status: number }).status,
    };
  });
  const res = await fetch(s.url);
  t.deepEqual(await res.json(), { ctx: true, request: 'GET', response: 201 });
  await s.close();
});
