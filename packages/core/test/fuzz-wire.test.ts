// Property tests over a real socket (fast-check, seeded): any split of valid pipelined
// requests, sent as separate TCP segments, is answered exactly like the parse of the unsplit
// stream; random byte mutations never crash, hang, or leak a connection.
import test from 'ava';
import fc from 'fast-check';
import net from 'node:net';
import { once } from 'node:events';
import type { Context } from '@sluice/core';
import { chunkedThenNext, chunkExtensions, mutate, mutations, request, stream } from './fuzz-arbitraries.js';
import { eventually, parseResponses, raw, start } from './helpers.js';
import { parseStream, splitAt } from './parser-stream.js';

const SEED = 20261128;

async function echo(ctx: Context): Promise<void> {
  ctx.body = `${ctx.method} ${ctx.url} ${await ctx.request.text()}`;
}

/** Sends `chunks` as separate segments, half-closes, and returns all bytes until the server closes. */
async function exchange(port: number, chunks: Buffer[], timeoutMs: number): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('error', () => {});
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    await new Promise((r) => setImmediate(r));
  }
  socket.end();
  const wasClosed = await closed;
  socket.destroy();
  return { text, closed: wasClosed };
}

test('any split of valid pipelined requests over a socket is answered like the unsplit parse', async (t) => {
  // The framing is under test, so the echo shows each target as sent (path normalisation has its own tests).
  const s = await start(echo, { normalizePath: false });
  await fc.assert(
    fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 30 }), async (bytes, cuts) => {
      const parsed = parseStream([bytes]);
      // An HTTP/1.0 request without keep-alive is the last one answered on its connection.
      const last = parsed.requests.findIndex((r) => !r.keepAlive);
      const expected = parsed.requests.slice(0, last === -1 ? undefined : last + 1).map((r) => `${r.method} ${r.target} ${r.body}`);
      const { text, closed } = await exchange(s.port, splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))), 5000);
      t.true(closed);
      t.deepEqual(parseResponses(text).map((r) => r.body), expected);
    }),
    { seed: SEED, numRuns: 60 },
  );
  await eventually(() => s.app.connectionCount === 0);
  t.is(s.app.connectionCount, 0);
  await s.close();
});

test('random byte mutations over a socket never crash, hang, or leak a connection', async (t) => {
  const s = await start(echo, { limits: { headersTimeoutMs: 500, requestTimeoutMs: 500, keepAliveTimeoutMs: 500, lingerMs: 200 } });
  const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete'));
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), async (parts, mutations, cuts) => {
      const mutated = [...Buffer.concat(parts)];
      for (const [at, value, kind] of mutations) {
        const i = at % (mutated.length + 1);
        if (kind === 'replace' && i < mutated.length) mutated[i] = value;
        else if (kind === 'insert') mutated.splice(i, 0, value);
        else mutated.splice(i, 1);
      }
      const bytes = Buffer.from(mutated);
      const { text, closed } = await exchange(s.port, splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))), 5000);
      t.true(closed, 'the server closed the connection');
      // Whatever arrived is well-formed HTTP responses.
      for (const r of parseResponses(text)) statuses.add(r.status);
    }),
    { seed: SEED, numRuns: 150 },
  );
  t.true([...statuses].every((code) => [200, 400, 408, 413, 414, 417, 431, 501, 505].includes(code)), [...statuses].join(','));
  await eventually(() => s.app.connectionCount === 0, 5000);
  t.is(s.app.connectionCount, 0);
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.is(parseResponses(text)[0].status, 200);
  await s.close();
});

test('mutated chunk extensions over a socket: answered as the pure parse says, or refused with 400 and close, never executed past', async (t) => {
  const executed: string[] = [];
  const s = await start(async (ctx) => {
    executed.push(ctx.path);
    await echo(ctx);
  });
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(chunkExtensions, mutations, fc.array(fc.nat(), { maxLength: 5 }), async (ext, list, cuts) => {
      executed.length = 0;
      const bytes = chunkedThenNext(mutate(Buffer.from(ext, 'latin1'), list));
      const parsed = parseStream([bytes]);
      const { text, closed } = await exchange(s.port, splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))), 5000);
      t.true(closed);
      const responses = parseResponses(text);
      const answered = responses.filter((r) => r.status === 200).map((r) => r.body);
      t.deepEqual(answered, parsed.requests.map((r) => `${r.method} ${r.target} ${r.body}`));
      if (parsed.error !== null) {
        refused++;
        t.is(responses.at(-1)?.status, 400);
        t.false(executed.includes('/next'));
      }
    }),
    { seed: SEED, numRuns: 150 },
  );
  t.true(refused > 10, `${refused} refused`);
  await eventually(() => s.app.connectionCount === 0);
  await s.close();
});
