// The engine's limits on HTTP/2: SETTINGS from the limits, oversized header lists as stream
// errors, the idle timeout, streams per connection, maxConnections counting sessions, body
// timeouts, the rapid-reset bound (CVE-2023-44487), and app.close() sending GOAWAY while the
// streams in progress finish.
import { once } from 'node:events';
import http2 from 'node:http2';
import test from 'ava';
import { connect, FRAME, headersFrame, RawH2, request, rstFrame, startH2 } from './http2-helpers.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;
const fields = (path: string): Array<[string, string]> => [[':method', 'GET'], [':scheme', 'http'], [':authority', 'x'], [':path', path]];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('SETTINGS carry the limits: max concurrent streams and max header list size; no server push', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = 'x';
  }, { limits: { http2MaxConcurrentStreams: 7, maxHeaderBytes: 4096 } });
  const session = await connect(server.h2cUrl);
  if (session.remoteSettings.maxConcurrentStreams !== 7) await once(session, 'remoteSettings');
  t.is(session.remoteSettings.maxConcurrentStreams, 7);
  t.is(session.remoteSettings.maxHeaderListSize, 4096);
  t.is(session.remoteSettings.enablePush, false);
  session.close();
  await server.close();
});

test('a header list over maxHeaderBytes never reaches the app; the connection serves the next one', async (t) => {
  let served = 0;
  const server = await startH2((ctx) => {
    served++;
    ctx.body = 'ok';
  }, { limits: { maxHeaderBytes: 2048 } });
  const h2 = await RawH2.open(server.plainPort);
  h2.socket.write(headersFrame(1, [...fields('/big'), ['x-big', 'a'.repeat(4000)]]));
  const refused = await h2.waitFor((f) => f.streamId === 1 && (f.type === FRAME.RST_STREAM || f.type === FRAME.HEADERS));
  // Reset by nghttp2 once the SETTINGS are acknowledged (before that, answered 431 by the engine).
  t.truthy(refused);
  h2.socket.write(headersFrame(3, fields('/next')));
  t.truthy(await h2.waitFor((f) => f.streamId === 3 && f.type === FRAME.HEADERS));
  t.is(served, 1);
  h2.close();
  await server.close();
});

test('an idle session gets GOAWAY after keepAliveTimeoutMs and is closed; one with a stream in progress is kept', async (t) => {
  const server = await startH2(async (ctx) => {
    if (ctx.path === '/slow') await sleep(600);
    ctx.body = 'x';
  }, { limits: { keepAliveTimeoutMs: 200 } });
  const session = await connect(server.h2cUrl);
  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
  const slow = await request(session, { ':path': '/slow' });
  t.is(slow.text, 'x');
  t.is(await goaway, NGHTTP2_NO_ERROR);
  await once(session, 'close');
  t.is(server.app.connectionCount, 0);
  await server.close();
});

test('maxRequestsPerConnection: the last stream is answered with GOAWAY; a new connection goes on', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = ctx.path;
  }, { limits: { maxRequestsPerConnection: 3 } });
  const session = await connect(server.h2cUrl);
  const goaway = once(session, 'goaway');
  for (const path of ['/1', '/2', '/3']) t.is((await request(session, { ':path': path })).text, path);
  await goaway;
  const next = await connect(server.h2cUrl);
  t.is((await request(next, { ':path': '/4' })).text, '/4');
  next.close();
  await server.close();
});

test('maxConnections counts HTTP/2 sessions: one over it gets GOAWAY REFUSED_STREAM, the first keeps working', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = 'in';
  }, { limits: { maxConnections: 1 } });
  const first = await connect(server.h2cUrl);
  t.is((await request(first, { ':path': '/' })).text, 'in');
  t.is(server.app.connectionCount, 1);
  const second = http2.connect(server.h2cUrl);
  second.on('error', () => {});
  const [code] = (await once(second, 'goaway')) as [number];
  t.is(code, NGHTTP2_REFUSED_STREAM);
  t.is((await request(first, { ':path': '/' })).text, 'in');
  first.close();
  second.destroy();
  await server.close();
});

test('a request body that stalls past bodyIdleTimeoutMs gets 408 on its stream', async (t) => {
  const server = await startH2(async (ctx) => {
    ctx.body = await ctx.request.text();
  }, { limits: { bodyIdleTimeoutMs: 200, minBodyBytesPerSecond: 0 } });
  const session = await connect(server.h2cUrl);
  const stream = session.request({ ':method': 'POST', ':path': '/' });
  stream.on('error', () => {});
  stream.write('part');
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  t.is(Number(headers[':status']), 408);
  t.is((await request(session, { ':method': 'POST', ':path': '/' }, 'whole')).text, 'whole');
  session.close();
  await server.close();
});

test('before the client acknowledged SETTINGS, a header list over maxHeaderBytes gets 431 from the engine', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = 'never';
  }, { limits: { maxHeaderBytes: 2048 } });
  const h2 = await RawH2.open(server.plainPort, { ackSettings: false });
  h2.socket.write(headersFrame(1, [...fields('/big'), ['x-big', 'a'.repeat(4000)]]));
  const data = await h2.waitFor((f) => f.streamId === 1 && f.type === FRAME.DATA);
  t.is(data?.payload.toString(), 'Request header section too large\n');
  h2.close();
  await server.close();
});

test('rapid reset: a client opening and cancelling streams past the limit gets GOAWAY ENHANCE_YOUR_CALM; the server stays healthy', async (t) => {
  let dispatched = 0;
  const server = await startH2(async (ctx) => {
    dispatched++;
    await sleep(5);
    ctx.body = 'x';
  }, { limits: { http2MaxResetsPerWindow: 50, http2ResetWindowMs: 10_000 } });
  const h2 = await RawH2.open(server.plainPort);
  // 2000 streams, each HEADERS then RST_STREAM(CANCEL) at once, in large writes.
  const batch: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = 1 + 2 * i;
    batch.push(headersFrame(id, fields('/flood')), rstFrame(id, NGHTTP2_CANCEL));
  }
  h2.socket.write(Buffer.concat(batch));
  const goaway = await h2.waitFor((f) => f.type === FRAME.GOAWAY);
  t.truthy(goaway);
  t.is(goaway?.payload.readUInt32BE(4), NGHTTP2_ENHANCE_YOUR_CALM);
  await h2.waitFor(() => false, 3000);
  t.true(h2.closed);
  // Bounded: the app saw about the limit, not the 2000 streams.
  t.true(dispatched <= 200, `dispatched ${dispatched}`);
  const fresh = await connect(server.h2cUrl);
  t.is((await request(fresh, { ':path': '/' })).text, 'x');
  fresh.close();
  await server.close();
});

test('resets below the limit are not punished: 20 cancelled streams, then normal requests on the same connection', async (t) => {
  const server = await startH2(async (ctx) => {
    await sleep(20);
    ctx.body = 'x';
  }, { limits: { http2MaxResetsPerWindow: 50 } });
  const session = await connect(server.h2cUrl);
  for (let i = 0; i < 20; i++) {
    const stream = session.request({ ':path': '/' });
    stream.on('error', () => {});
    stream.close(NGHTTP2_CANCEL);
  }
  t.is((await request(session, { ':path': '/' })).text, 'x');
  session.close();
  await server.close();
});

test('app.close() sends GOAWAY: the stream in progress finishes, the session then closes', async (t) => {
  let started!: () => void;
  const inProgress = new Promise<void>((resolve) => (started = resolve));
  const server = await startH2(async (ctx) => {
    started();
    await sleep(300);
    ctx.body = 'finished';
  });
  const session = await connect(server.h2cUrl);
  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
  const pending = request(session, { ':path': '/' });
  await inProgress;
  const closed = server.close(5000);
  t.is(await goaway, NGHTTP2_NO_ERROR);
  t.is((await pending).text, 'finished');
  await closed;
  t.is(server.app.connectionCount, 0);
});

test('app.close() drops a stream that outlives the grace period', async (t) => {
  const server = await startH2(async (ctx) => {
    await sleep(5000);
    ctx.body = 'late';
  });
  const session = await connect(server.h2cUrl);
  const pending = request(session, { ':path': '/' }).then(() => 'answered', () => 'reset');
  await sleep(100);
  const started = Date.now();
  await server.close(300);
  t.true(Date.now() - started < 2000);
  t.is(await pending, 'reset');
});
