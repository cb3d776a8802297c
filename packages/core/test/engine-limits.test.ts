// Level 2 (wire): every configurable limit and timeout of the engine, each with its defined
// rejection (status code or close), exercised with short values set through the options.
import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { Application, engineDefaults, type Context } from '@sluice/core';
import { eventually, parseResponses, raw, start, Wire } from './helpers.js';

async function echo(ctx: Context): Promise<void> {
  ctx.body = `${ctx.method} ${ctx.url} ${await ctx.request.text({ limit: 1e9 })}`;
}

test('a request line over maxRequestLineBytes is 414 and closed', async (t) => {
  const s = await start(echo, { limits: { maxRequestLineBytes: 64 } });
  t.teardown(() => s.close());
  const ok = await raw(s.port, `GET /${'a'.repeat(40)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  t.is(parseResponses(ok.text)[0].status, 200);
  const { text, closed } = await raw(s.port, `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: a\r\n\r\n`);
  const [res] = parseResponses(text);
  t.is(res.status, 414);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('a header section over maxHeaderBytes is 431 and closed, even before it ends', async (t) => {
  const s = await start(echo, { limits: { maxHeaderBytes: 1024 } });
  t.teardown(() => s.close());
  const { text, closed } = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'v'.repeat(2000)}`);
  const [res] = parseResponses(text);
  t.is(res.status, 431);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('more header fields than maxHeaders is 431 and closed', async (t) => {
  const s = await start(echo, { limits: { maxHeaders: 5 } });
  t.teardown(() => s.close());
  const fields = Array.from({ length: 6 }, (_, i) => `X-${i}: v\r\n`).join('');
  const { text, closed } = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\n`);
  t.is(parseResponses(text)[0].status, 431);
  t.true(closed);
  await s.close();
});

test('maxHeaders default: 100 application fields plus the usual ones are served; 1001 fields are 431 and closed', async (t) => {
  const s = await start((ctx) => {
    ctx.body = String(Object.keys(ctx.headers).length);
  });
  t.teardown(() => s.close());
  const app = Array.from({ length: 100 }, (_, i) => `X-App-${i}: v\r\n`).join('');
  const usual = 'User-Agent: t\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nCookie: a=1\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.1 p\r\n';
  const ok = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\n${usual}${app}Connection: close\r\n\r\n`);
  const [res] = parseResponses(ok.text);
  t.is(res.status, 200);
  t.is(res.body, '108');
  const many = Array.from({ length: 1000 }, (_, i) => `X-${i}: v\r\n`).join('');
  const { text, closed } = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`);
  t.is(parseResponses(text)[0].status, 431);
  t.true(closed);
  await s.close();
});

test('a Content-Length over maxBodyBytes is 413 before any body byte is read, and closed', async (t) => {
  let called = false;
  const s = await start(
    (ctx) => {
      called = true;
      ctx.body = 'x';
    },
    { limits: { maxBodyBytes: 100 } },
  );
  const { text, closed } = await raw(s.port, 'POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n');
  const [res] = parseResponses(text);
  t.is(res.status, 413);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  t.false(called);
  await s.close();
});

test('a chunked body adding up past maxBodyBytes is 413 and closed', async (t) => {
  const s = await start(echo, { limits: { maxBodyBytes: 100 } });
  t.teardown(() => s.close());
  const chunk = `40\r\n${'x'.repeat(64)}\r\n`;
  const { text, closed } = await raw(s.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`);
  const [res] = parseResponses(text);
  t.is(res.status, 413);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('headersTimeoutMs: a client trickling its head is answered 408 and cut off (slowloris)', async (t) => {
  const s = await start(echo, { limits: { headersTimeoutMs: 1000 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  const started = Date.now();
  const trickle = setInterval(() => {
    if (!wire.closed) wire.write('X');
  }, 50);
  t.teardown(() => clearInterval(trickle));
  wire.write('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ');
  await wire.closedByServer(9000);
  clearInterval(trickle);
  const elapsed = Date.now() - started;
  t.true(elapsed >= 900 && elapsed < 8000, `closed after ${elapsed} ms`);
  const [res] = parseResponses(wire.text);
  t.is(res.status, 408);
  t.is(res.headers.connection, 'close');
  wire.destroy();
  await eventually(() => s.app.connectionCount === 0);
  await s.close();
});

test('keepAliveTimeoutMs: an idle keep-alive connection is closed, cleanly', async (t) => {
  const s = await start(echo, { limits: { keepAliveTimeoutMs: 1500 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await wire.responses(1);
  t.true(await wire.stillOpenAfter(50));
  await wire.closedByServer(6000);
  t.true(wire.ended);
  t.false(wire.reset);
  wire.destroy();
  await s.close();
});

test('a connection that never sends a byte is closed after headersTimeoutMs', async (t) => {
  const s = await start(echo, { limits: { headersTimeoutMs: 200 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  await wire.closedByServer(2000);
  t.is(wire.text, '');
  wire.destroy();
  await s.close();
});

test('a connection that never sends a byte is freed at once, not kept for lingerMs after a half-close', async (t) => {
  // lingerMs far beyond the wait below: a half-close and linger would keep the server's socket
  // for a client that keeps its side open (allowHalfOpen), as idle-connection floods do.
  const s = await start(echo, { limits: { headersTimeoutMs: 200, lingerMs: 60_000 } });
  t.teardown(() => s.close());
  const socket = net.connect({ port: s.port, host: '127.0.0.1', allowHalfOpen: true });
  t.teardown(() => socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  await eventually(() => s.app.connectionCount === 1);
  await eventually(() => s.app.connectionCount === 0, 10_000, 'the server to free the connection');
  t.is(s.app.connectionCount, 0);
  await s.close();
});

test('requestTimeoutMs: a body that never completes is answered 408 and closed', async (t) => {
  const s = await start(echo, { limits: { requestTimeoutMs: 300 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
  await wire.closedByServer(6000);
  const [res] = parseResponses(wire.text);
  t.is(res.status, 408);
  t.is(res.headers.connection, 'close');
  wire.destroy();
  await s.close();
});

// ---- body pace: minBodyBytesPerSecond after bodyRateGraceMs, bodyIdleTimeoutMs ------------

/** Writes `bytes` one at a time every `everyMs` until the socket closes or `max` were sent. */
function trickle(wire: Wire, everyMs: number, max: number): () => void {
  let sent = 0;
  const timer = setInterval(() => {
    if (wire.closed || wire.ended || sent >= max) return clearInterval(timer);
    wire.write('x');
    sent++;
  }, everyMs);
  return () => clearInterval(timer);
}

test('minBodyBytesPerSecond: a client trickling its body is answered 408 and closed after the grace period', async (t) => {
  let bodyError = '';
  const s = await start(
    async (ctx) => {
      try {
        await ctx.request.text();
      } catch (error) {
        bodyError = (error as { code: string }).code;
        throw error;
      }
    },
    { limits: { minBodyBytesPerSecond: 100, bodyRateGraceMs: 300, bodyIdleTimeoutMs: 0 } },
  );
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n');
  // 20 B/s, under the minimum of 100 B/s; still sending when cut off (the idle timeout is off).
  const stop = trickle(wire, 50, 1000);
  t.teardown(stop);
  await wire.closedByServer(10_000);
  stop();
  const [res, ...more] = parseResponses(wire.text);
  t.is(res.status, 408);
  t.is(res.headers.connection, 'close');
  t.is(more.length, 0);
  t.is(bodyError, 'SLUICE_ERR_BODY_TOO_SLOW');
  await eventually(() => s.app.connectionCount === 0);
  await s.close();
});

test('bodyIdleTimeoutMs: a body that stops arriving is answered 408 and closed', async (t) => {
  const s = await start(echo, { limits: { bodyIdleTimeoutMs: 300, minBodyBytesPerSecond: 0 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n' + 'y'.repeat(500));
  await wire.closedByServer(10_000);
  const [res] = parseResponses(wire.text);
  t.is(res.status, 408);
  t.is(res.headers.connection, 'close');
  t.regex(res.body, /stalled/);
  await s.close();
});

test('a client keeping a steady pace above minBodyBytesPerSecond is never cut off', async (t) => {
  const s = await start(echo, { limits: { minBodyBytesPerSecond: 2000, bodyRateGraceMs: 200, bodyIdleTimeoutMs: 1000 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  const total = 40 * 1024;
  wire.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
  // 1 KiB every 50 ms: about 20 KiB/s, ten times the minimum, for about two seconds.
  for (let sent = 0; sent < total; sent += 1024) {
    wire.write('z'.repeat(1024));
    await new Promise((r) => setTimeout(r, 50));
  }
  const [res] = await wire.responses(1, [], 10_000);
  t.is(res.status, 200);
  t.is(res.body.length, 'POST / '.length + total);
  t.true(await wire.stillOpenAfter(20));
  await s.close();
});

test('the app reading slowly does not count against the client: paused time is neither idle nor slow', async (t) => {
  const total = 4 * 1024 * 1024;
  const s = await start(
    async (ctx) => {
      // Not reading for longer than both limits allow: the engine stops reading the socket
      // once the body's buffer is full, and the client's clock stops with it.
      await new Promise((r) => setTimeout(r, 1000));
      let n = 0;
      for await (const chunk of ctx.req) {
        n += (chunk as Buffer).length;
        await new Promise((r) => setImmediate(r));
      }
      ctx.body = String(n);
    },
    { limits: { bodyIdleTimeoutMs: 200, minBodyBytesPerSecond: 1024 * 1024, bodyRateGraceMs: 200, maxBodyBytes: 1e9 } },
  );
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
  wire.write(Buffer.alloc(total, 0x61));
  const [res] = await wire.responses(1, [], 20_000);
  t.is(res.status, 200);
  t.is(res.body, String(total));
  await s.close();
});

test('a client waiting for 100 Continue is not timed before it is sent', async (t) => {
  const s = await start(
    async (ctx) => {
      await new Promise((r) => setTimeout(r, 800));
      ctx.body = await ctx.request.text();
    },
    { limits: { bodyIdleTimeoutMs: 200, minBodyBytesPerSecond: 1000, bodyRateGraceMs: 200 } },
  );
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
  await wire.until(() => wire.text.includes('100 Continue'), 5000, '100 Continue');
  wire.write('hello');
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => [r.status, r.body]), [[100, ''], [200, 'hello']]);
  await s.close();
});

test('a body trickling after the answer (being drained) is cut off by closing, with no second answer', async (t) => {
  const s = await start(
    (ctx) => {
      ctx.body = 'answered early';
    },
    { limits: { minBodyBytesPerSecond: 100, bodyRateGraceMs: 300, bodyIdleTimeoutMs: 0 } },
  );
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nx');
  const [res] = await wire.responses(1);
  t.is(res.body, 'answered early');
  const stop = trickle(wire, 50, 1000);
  t.teardown(stop);
  await wire.closedByServer(10_000);
  stop();
  t.deepEqual(parseResponses(wire.text).map((r) => r.status), [200]);
  await s.close();
});

test('requestTimeoutMs does not limit how long the app takes once the request is complete', async (t) => {
  const s = await start(
    async (ctx) => {
      await new Promise((r) => setTimeout(r, 400));
  t.teardown(() => s.close());
      ctx.body = 'slow but fine';
    },
    { limits: { requestTimeoutMs: 100 } },
  );
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.body, 'slow but fine');
  wire.destroy();
  await s.close();
});

test('maxRequestsPerConnection: the last allowed response says close and the connection closes', async (t) => {
  const s = await start(echo, { limits: { maxRequestsPerConnection: 3 } });
  t.teardown(() => s.close());
  const req = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  const { text, closed } = await raw(s.port, req.repeat(5));
  const responses = parseResponses(text);
  t.is(responses.length, 3);
  t.deepEqual(responses.map((r) => r.headers.connection), [undefined, undefined, 'close']);
  t.true(closed);
  await s.close();
});

test('maxConnections: a connection over the limit gets a complete 503 and is closed; the others are served', async (t) => {
  const s = await start(echo, { limits: { maxConnections: 2 } });
  t.teardown(() => s.close());
  const a = await Wire.open(s.port);
  t.teardown(() => a.destroy());
  const b = await Wire.open(s.port);
  await eventually(() => s.app.connectionCount === 2);
  const c = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [busy] = parseResponses(c.text);
  t.is(busy.status, 503);
  t.is(busy.headers.connection, 'close');
  t.is(busy.headers['retry-after'], '1');
  t.is(busy.body, 'Too many open connections\n');
  t.true(c.closed);
  a.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
  b.write('GET /b HTTP/1.1\r\nHost: a\r\n\r\n');
  t.is((await a.responses(1))[0].status, 200);
  t.is((await b.responses(1))[0].status, 200);
  a.destroy();
  await eventually(() => s.app.connectionCount === 1);
  const d = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.is(parseResponses(d.text)[0].status, 200);
  b.destroy();
  await s.close();
});

test('sendTimeoutMs: a client that never reads a streamed response is dropped and nothing leaks', async (t) => {
  let produced = 0;
  let aborted = false;
  const s = await start(
    (ctx) => {
      ctx.onAbort(() => {
        aborted = true;
      });
      ctx.body = new Readable({
        read() {
          produced += 65536;
          this.push(Buffer.alloc(65536, 0x61));
        },
      });
    },
    { limits: { sendTimeoutMs: 300 } },
  );
  const socket = net.connect({ port: s.port, host: '127.0.0.1' });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  socket.pause();
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await eventually(() => aborted, 15_000, 'abort');
  // Backpressure held: only the socket buffers' worth was produced, not an unbounded stream.
  t.true(produced < 64 * 1024 * 1024, `produced ${produced} bytes`);
  await eventually(() => s.app.connectionCount === 0);
  socket.destroy();
  t.pass();
  await s.close();
});

test('engine options are validated with a message naming the bad key', (t) => {
  t.throws(() => new Application({ limits: { maxHeadrBytes: 1 } as never }), { message: /maxHeadrBytes/ });
  t.throws(() => new Application({ limits: { headersTimeoutMs: -1 } }), { message: /headersTimeoutMs/ });
  t.throws(() => new Application({ limits: { maxConnections: 'many' as never } }), { message: /maxConnections/ });
  t.is(new Application().limits.maxHeaderBytes, engineDefaults.maxHeaderBytes);
});

test('maxChunkLineBytes: an over-long chunk-size line (extensions) is 400 and closed', async (t) => {
  const s = await start(echo, { limits: { maxChunkLineBytes: 64 } });
  t.teardown(() => s.close());
  const { text, closed } = await raw(s.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(100)}\r\nhello\r\n0\r\n\r\n`);
  const [res] = parseResponses(text);
  t.is(res.status, 400);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('lingerMs: after its last answer a closing connection is dropped even if the client never closes', async (t) => {
  const s = await start(echo, { limits: { lingerMs: 2000 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await wire.responses(1);
  await wire.until(() => wire.ended, 5000, 'the server half-close');
  t.is(s.app.connectionCount, 1);
  await eventually(() => s.app.connectionCount === 0, 8000, 'linger to end');
  t.is(s.app.connectionCount, 0);
  wire.destroy();
  await s.close();
});

test('maxPipelineBufferBytes: input ahead of a busy request stops being read, then every request is answered', async (t) => {
  let release: (() => void) | null = null;
  const s = await start(
    async (ctx) => {
      if (ctx.path === '/first') await new Promise<void>((r) => (release = r));
  t.teardown(() => s.close());
      ctx.body = `${ctx.path} ${(await ctx.request.buffer({ limit: 1e9 })).length}`;
    },
    { limits: { maxPipelineBufferBytes: 1024 } },
  );
  const socket = net.connect(s.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
  await eventually(() => release !== null, 5000, 'first request running');
  const body = Buffer.alloc(1024 * 1024, 0x61);
  for (let i = 0; i < 12; i++) {
    socket.write(`POST /p${i} HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n${i === 11 ? 'Connection: close\r\n' : ''}\r\n`);
    socket.write(body);
  }
  await new Promise((r) => setTimeout(r, 300));
  // The server stopped reading: the kernel buffers filled and the client's own buffer holds the rest.
  t.true(socket.writableLength > 0, `client still holds ${socket.writableLength} bytes`);
  (release as unknown as () => void)();
  await once(socket, 'close');
  const bodies = parseResponses(text).map((r) => r.body);
  t.deepEqual(bodies, ['/first 0', ...Array.from({ length: 12 }, (_, i) => `/p${i} ${body.length}`)]);
  await s.close();
});
