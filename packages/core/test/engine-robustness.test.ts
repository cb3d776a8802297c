// Robustness at the wire: many connections at once, one byte per segment, resets mid-request
// and mid-response, garbage and TLS handshakes on the plain port, half-closes. After each,
// the server still answers and every connection it held is gone (app.connectionCount === 0).
import test from 'ava';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { Context } from '@sluice/core';
import { eventually, parseResponses, raw, start, Wire, type Running } from './helpers.js';

async function echo(ctx: Context): Promise<void> {
  ctx.body = `${ctx.method} ${ctx.url} ${await ctx.request.text()}`;
}

/** The server still answers a plain request and holds no connection afterwards. */
async function healthy(t: { is: (a: unknown, b: unknown, m?: string) => void }, s: Running): Promise<void> {
  const { text } = await raw(s.port, 'GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.is(parseResponses(text)[0]?.status, 200, 'still answers');
  await eventually(() => s.app.connectionCount === 0, 5000, 'no connection left');
  t.is(s.app.connectionCount, 0);
}

test('input arriving one byte per segment is parsed like the whole (head, chunked body, next request)', async (t) => {
  const s = await start(echo);
  const bytes = 'POST /one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: v\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  const socket = net.connect(s.port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const closed = once(socket, 'close');
  for (const byte of bytes) {
    socket.write(byte);
    await new Promise((r) => setImmediate(r));
  }
  await closed;
  t.deepEqual(parseResponses(text).map((r) => r.body), ['POST /one abc', 'GET /two ']);
  await healthy(t, s);
  await s.close();
});

test('a client resetting mid-head, mid-body and mid-chunk leaves the server healthy', async (t) => {
  let bodyErrors = 0;
  const s = await start(async (ctx) => {
    try {
      ctx.body = await ctx.request.text();
    } catch (error) {
      bodyErrors++;
      throw error;
    }
  });
  for (const partial of [
    'GET / HTTP/1.1\r\nHost: a\r\nX-Partial: ',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nhalf',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc',
  ]) {
    const socket = net.connect(s.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(partial);
    await new Promise((r) => setTimeout(r, 50));
    socket.resetAndDestroy();
  }
  await eventually(() => bodyErrors === 2, 3000, 'both body readers see the abort');
  await healthy(t, s);
  await s.close();
});

test('a client resetting mid-response: the stream is ended, ctx.onAbort fires, nothing leaks', async (t) => {
  let destroyed = false;
  let aborted = false;
  const s = await start((ctx) => {
    if (ctx.path === '/health') {
      ctx.body = 'ok';
      return;
    }
    ctx.onAbort(() => {
      aborted = true;
    });
    const body = new Readable({
      read() {
        setTimeout(() => this.push(Buffer.alloc(16 * 1024, 0x63)), 5);
      },
      destroy(error, callback) {
        destroyed = true;
        callback(error);
      },
    });
    ctx.body = body;
  });
  const socket = net.connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await once(socket, 'data');
  socket.resetAndDestroy();
  await eventually(() => destroyed && aborted, 3000, 'stream destroyed and abort seen');
  t.true(destroyed);
  await healthy(t, s);
  await s.close();
});

test('random garbage on the plain port gets 400 or a close, and the server stays healthy', async (t) => {
  const s = await start(echo);
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 30; i++) {
    const bytes = Buffer.alloc(1 + (rand() % 3000));
    for (let k = 0; k < bytes.length; k++) bytes[k] = rand() & 0xff;
    const { text, closed } = await raw(s.port, bytes, { timeoutMs: 3000 });
    t.true(closed, `garbage ${i} closed`);
    if (text !== '') t.regex(text, /^HTTP\/1\.1 4\d\d /);
  }
  await healthy(t, s);
  await s.close();
});

/** The first bytes a real TLS client sends (its ClientHello), captured from node:tls. */
async function clientHello(): Promise<Buffer> {
  const capture = net.createServer();
  capture.listen(0, '127.0.0.1');
  await once(capture, 'listening');
  const got = new Promise<Buffer>((resolve) => {
    capture.once('connection', (socket) => {
      socket.once('data', (c: Buffer) => {
        resolve(c);
        socket.destroy();
      });
    });
  });
  const client = tls.connect({ port: (capture.address() as net.AddressInfo).port, host: '127.0.0.1', servername: 'localhost' });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  capture.close();
  return hello;
}

test('a TLS handshake on the plain port is refused at once with 400 and closed', async (t) => {
  const s = await start(echo);
  const hello = await clientHello();
  t.is(hello[0], 0x16);
  const { text, closed } = await raw(s.port, hello);
  t.regex(text, /^HTTP\/1\.1 400 /);
  t.true(closed);
  await healthy(t, s);
  await s.close();
});

test('the HTTP/2 connection preface is answered 505 and closed', async (t) => {
  const s = await start(echo);
  const { text, closed } = await raw(s.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00');
  t.regex(text, /^HTTP\/1\.1 505 /);
  t.true(closed);
  await healthy(t, s);
  await s.close();
});

test('a client that half-closes after pipelining still gets every answer, then the close', async (t) => {
  const s = await start(async (ctx) => {
    await new Promise((r) => setTimeout(r, 20));
    ctx.body = ctx.path;
  });
  const { text, closed } = await raw(s.port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n', { end: true });
  t.deepEqual(parseResponses(text).map((r) => r.body), ['/a', '/b']);
  t.true(closed);
  await healthy(t, s);
  await s.close();
});

test('a client that half-closes mid-body: the app sees the abort and the connection closes', async (t) => {
  let error: unknown;
  const s = await start(async (ctx) => {
    if (ctx.path === '/health') {
      ctx.body = 'ok';
      return;
    }
    try {
      await ctx.request.text();
    } catch (e) {
      error = e;
      throw e;
    }
  });
  const wire = await Wire.open(s.port);
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nshort');
  wire.socket.end();
  await wire.closedByServer();
  await eventually(() => error !== undefined);
  t.is((error as { code?: string }).code, 'SLUICE_ERR_REQUEST_ABORTED');
  wire.destroy();
  await healthy(t, s);
  await s.close();
});

test('a client that half-closes an idle connection gets a clean close', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await wire.responses(1);
  wire.socket.end();
  await wire.closedByServer();
  t.false(wire.reset);
  await healthy(t, s);
  await s.close();
});
