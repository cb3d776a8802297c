// HTTP/2 flow control reaching the app: a slow reader of a 20 MiB response holds the producer
// back, 100 concurrent streams share one connection, and a client resetting a stream mid-response
// stops its producer while the connection goes on.
import http2 from 'node:http2';
import { Readable } from 'node:stream';
import test from 'ava';
import { connect, request, startH2 } from './http2-helpers.js';

const { NGHTTP2_CANCEL } = http2.constants;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;

/** A body of `total` bytes made on demand in 64 KiB chunks; `produced` says how far it got. */
function producer(total: number): Readable & { produced: number } {
  let produced = 0;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk.length, total - produced);
      produced += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
  return Object.defineProperty(stream, 'produced', { get: () => produced }) as Readable & { produced: number };
}

test('a slow reader of a 20 MiB response: the producer waits for the client\'s window, and every byte arrives', async (t) => {
  let body!: Readable & { produced: number };
  const server = await startH2((ctx) => {
    body = producer(20 * MiB);
    ctx.body = body;
  });
  for (const url of [server.h2cUrl, server.h2Url]) {
    const session = await connect(url);
    const stream = session.request({ ':path': '/big' });
    let received = 0;
    let wanted = Infinity;
    let reached: (() => void) | null = null;
    stream.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= wanted) reached?.();
    });
    // Listened for from the start: the whole body may have come by the time the test waits for it.
    const ended = new Promise((resolve) => stream.on('end', resolve));
    stream.pause();
    await sleep(400);
    // Not reading: only the flow-control windows and the stream buffers' worth was made.
    const whilePaused = body.produced;
    t.true(whilePaused < 4 * MiB, `produced ${whilePaused} while the client read nothing`);
    // Reading slowly: 1 MiB at a time, then a pause. However fast the machine, the producer
    // stays within the windows and buffers' worth of what the client has read.
    for (let i = 0; i < 5; i++) {
      wanted = received + MiB;
      const got = new Promise<void>((resolve) => (reached = resolve));
      stream.resume();
      await got;
      stream.pause();
      await sleep(60);
      t.true(body.produced - received < 4 * MiB, `produced ${body.produced} with ${received} read`);
    }
    wanted = Infinity;
    t.true(body.produced < 20 * MiB);
    stream.resume();
    await ended;
    t.is(received, 20 * MiB);
    t.is(body.produced, 20 * MiB);
    session.close();
  }
  await server.close();
});

test('100 concurrent streams on one connection are served at once', async (t) => {
  let active = 0;
  let most = 0;
  const server = await startH2(async (ctx) => {
    active++;
    most = Math.max(most, active);
    await sleep(200);
    active--;
    ctx.body = ctx.path;
  });
  const session = await connect(server.h2cUrl);
  const paths = Array.from({ length: 100 }, (_, i) => `/${i}`);
  const answers = await Promise.all(paths.map((path) => request(session, { ':path': path })));
  t.deepEqual(answers.map((a) => a.text), paths);
  t.is(most, 100);
  t.is(server.app.connectionCount, 1);
  session.close();
  await server.close();
});

test('a client resetting a stream mid-response: onAbort runs, the producer is destroyed, the connection goes on', async (t) => {
  let body!: Readable & { produced: number };
  let aborted!: () => void;
  const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
  const server = await startH2((ctx) => {
    if (ctx.path === '/next') {
      ctx.body = 'still here';
      return;
    }
    ctx.onAbort(aborted);
    body = producer(1024 * MiB);
    ctx.body = body;
  });
  const session = await connect(server.h2cUrl);
  const stream = session.request({ ':path': '/endless' });
  stream.on('error', () => {});
  let received = 0;
  await new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= MiB) resolve();
    });
  });
  stream.close(NGHTTP2_CANCEL);
  await abortSeen;
  await sleep(50);
  t.true(body.destroyed);
  t.true(body.produced < 64 * MiB);
  t.is((await request(session, { ':path': '/next' })).text, 'still here');
  session.close();
  await server.close();
});

test('many clients resetting streams under load leave the server serving (TLS and h2c)', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = ctx.path === '/small' ? 'ok' : producer(8 * MiB);
  });
  for (const url of [server.h2Url, server.h2cUrl]) {
    const sessions = await Promise.all(Array.from({ length: 10 }, () => connect(url)));
    await Promise.all(sessions.map(async (session) => {
      for (let i = 0; i < 5; i++) {
        const stream = session.request({ ':path': '/big' });
        stream.on('error', () => {});
        await new Promise<void>((resolve) => stream.once('data', () => resolve()));
        stream.close(NGHTTP2_CANCEL);
      }
      session.destroy();
    }));
    const check = await connect(url);
    t.is((await request(check, { ':path': '/small' })).text, 'ok');
    check.close();
  }
  await server.close();
});
