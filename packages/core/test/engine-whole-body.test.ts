// Level 2 (wire): a request body that arrives in the same read as its head is held aside by
// the engine and handed to whole-body readers without the stream machinery. Whoever reads it
// (buffer(), the ctx.req stream, bufferBody, nobody) gets the same bytes, and the connection
// carries on with the next request as with any other body.
import test from 'ava';
import { bufferBody, type Context } from '@sluice/core';
import { parseResponses, raw, start, Wire } from './helpers.js';

const POST = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${extra}\r\n${body}`;

/** Reads the body through the ctx.req stream, as Koa body parsers do. */
function readStream(ctx: Context): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    ctx.req.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    ctx.req.once('end', () => resolve(text));
    ctx.req.once('error', reject);
  });
}

test('a body that came with its head is read whole by buffer(), pipelined requests behind it intact', async (t) => {
  const s = await start(async (ctx) => {
    ctx.body = `${ctx.url} ${(await ctx.request.buffer()).toString('latin1')}`;
  });
  t.teardown(() => s.close());
  const big = 'x'.repeat(4096);
  const { text } = await raw(s.port, POST('/1', 'hello') + POST('/2', big) + POST('/3', 'bye', 'Connection: close\r\n'));
  t.deepEqual(parseResponses(text).map((r) => r.body), ['/1 hello', `/2 ${big}`, '/3 bye']);
});

test('the stream of a body taken whole ends without data and marks the request complete', async (t) => {
  const s = await start(async (ctx) => {
    let ended = false;
    ctx.req.once('end', () => (ended = true));
    const whole = await ctx.request.buffer();
    await new Promise((resolve) => setImmediate(resolve));
    ctx.body = `${whole.toString('latin1')}|${ctx.req.read()}|${ended}|${ctx.req.complete}`;
  });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Connection: close\r\n'));
  t.is(parseResponses(text)[0].body, 'hello|null|true|true');
});

test('a body that came with its head is streamed whole through ctx.req, and buffer() after it is refused', async (t) => {
  const s = await start(async (ctx) => {
    const text = await readStream(ctx);
    const again = await ctx.request.buffer().then(() => 'read twice', (error: { code: string }) => error.code);
    ctx.body = `${text} ${again}`;
  });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Connection: close\r\n'));
  t.is(parseResponses(text)[0].body, 'hello SLUICE_ERR_BODY_CONSUMED');
});

test('a stream set flowing before buffer() keeps its bytes: buffer() does not take them away from it', async (t) => {
  const s = await start(async (ctx) => {
    const streamed = readStream(ctx);
    const whole = await ctx.request.buffer().catch((error: { code: string }) => Buffer.from(error.code));
    ctx.body = `${await streamed} ${whole.toString('latin1')}`;
  });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Connection: close\r\n'));
  // Both readers see the bytes, as with any Readable that has two 'data' listeners.
  t.is(parseResponses(text)[0].body, 'hello hello');
});

test('bufferBody() keeps a body that came with its head in memory, with its length, and frees its budget', async (t) => {
  const s = await start(async (ctx) => {
    const body = await bufferBody(ctx);
    const chunks: Buffer[] = [];
    for await (const chunk of body.open()) chunks.push(chunk as Buffer);
    ctx.body = `${body.length} ${body.onDisk} ${Buffer.concat(chunks).toString('latin1')}`;
  }, { limits: { maxBufferedBodyBytes: 10 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write(POST('/', 'hello'));
  const [first] = await wire.responses(1);
  wire.write(POST('/', 'world!'));
  const [, second] = await wire.responses(2);
  // 5 + 6 bytes exceed the budget of 10: the second is served only because the first gave its share back.
  t.deepEqual([first.body, second.body], ['5 false hello', '6 false world!']);
});

test('bufferBody() refuses a body that came with its head but exceeds the buffering budget with 503', async (t) => {
  const s = await start(async (ctx) => {
    const body = await bufferBody(ctx);
    ctx.body = String(body.length);
  }, { limits: { maxBufferedBodyBytes: 4 } });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Connection: close\r\n'));
  const [res] = parseResponses(text);
  t.is(res.status, 503);
  t.is(res.headers['retry-after'], '1');
});

test('a body that came with its head and is never read does not hold up the next request', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `${ctx.method} ${ctx.url}`;
  });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write(POST('/unread', 'x'.repeat(1000)) + 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => r.body), ['POST /unread', 'GET /next']);
  t.true(await wire.stillOpenAfter(50));
});

test('a client sending its body with Expect: 100-continue before any answer gets no interim response', async (t) => {
  const s = await start(async (ctx) => {
    ctx.body = await ctx.request.text();
  });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Expect: 100-continue\r\nConnection: close\r\n'));
  const responses = parseResponses(text);
  t.deepEqual(responses.map((r) => [r.status, r.body]), [[200, 'hello']]);
});

test('a body larger than the app limit is refused with 413 even when it came whole with its head', async (t) => {
  const s = await start(async (ctx) => {
    ctx.body = await ctx.request.buffer({ limit: 4 });
  });
  t.teardown(() => s.close());
  const { text } = await raw(s.port, POST('/', 'hello', 'Connection: close\r\n'));
  t.is(parseResponses(text)[0].status, 413);
});
