// Request bodies are read whole before a worker takes the request (requestBuffering 'buffer'):
// a client trickling its body holds a connection, not one of the pool's workers.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { connect } from '@sluice/test-support';
import { startWsgi } from './helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');


async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a client trickling its body does not hold a single-worker pool: another request is answered meanwhile, and the body arrives whole', async (t) => {
  let posts = 0;
  // No pipelining and a short queue wait: a worker held by the slow body shows as a quick 503.
  const s = await startWsgi({ app: 'behaviours:application', workers: 1, pipeline: 0, queueTimeoutMs: 2000 }, [
    (ctx, next) => {
      if (ctx.method === 'POST') posts++;
      return next();
    },
  ]);
  t.teardown(s.close);
  const body = randomBytes(1000);
  const slow = await connect(s.port);
  t.teardown(() => slow.destroy());
  slow.write(Buffer.concat([Buffer.from('POST /upload-length HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n'), body.subarray(0, 1)]));
  await until(() => posts === 1, 'the slow request to arrive');

  const other = await fetch(`${s.url}/pid`);
  t.is(other.status, 200);
  t.false(existsSync(path.join(s.markers, 'upload-started')), 'the application has not been called for the incomplete body');

  slow.write(body.subarray(1));
  await until(() => slow.received().includes(sha(body)), 'the slow request to be answered');
  t.regex(slow.received(), /^HTTP\/1\.1 200 /);
  t.true(slow.received().includes(`{"content_length": "1000", "bytes": 1000, "sha256": "${sha(body)}"}`));
});

test('a buffered chunked body reaches the application with a CONTENT_LENGTH', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application' });
  t.teardown(s.close);
  const parts = [randomBytes(3000), randomBytes(70_000), randomBytes(5)];
  const whole = Buffer.concat(parts);
  const stream = new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
  const res = await fetch(`${s.url}/upload-length`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
  t.deepEqual(await res.json(), { content_length: String(whole.length), bytes: whole.length, sha256: sha(whole) });
});

test('with requestBuffering "stream" the application is called while the body is still arriving', async (t) => {
  const s = await startWsgi({ app: 'behaviours:application', requestBuffering: 'stream' });
  t.teardown(s.close);
  const body = randomBytes(1000);
  const slow = await connect(s.port);
  t.teardown(() => slow.destroy());
  slow.write(Buffer.concat([Buffer.from('POST /upload-length HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n'), body.subarray(0, 1)]));
  await until(() => existsSync(path.join(s.markers, 'upload-started')), 'the application to start on the incomplete body');
  slow.write(body.subarray(1));
  await until(() => slow.received().includes(sha(body)), 'the answer');
  t.true(slow.received().includes(`"bytes": 1000`));
});

test('buffering options are validated with a message naming the bad key', async (t) => {
  const { wsgi } = await import('@sluice/wsgi-bridge');
  t.throws(() => wsgi({ app: 'behaviours:application', requestBuffering: 'spool' as never }), { message: /"requestBuffering"/ });
  t.throws(() => wsgi({ app: 'behaviours:application', bodyMemoryBytes: -1 }), { message: /"bodyMemoryBytes"/ });
});
