// Levels 2 and 3: bufferBody() — whole bodies kept in memory or a temporary file before a
// gateway takes a process, within the app-wide budget limits.maxBufferedBodyBytes (→ 503).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { bufferBody, engineDefaults, type BufferBodyOptions, type Context } from '@sluice/core';
import { eventually, parseResponses, raw, start, Wire } from './helpers.js';

const quiet = { info() {}, warn() {}, error() {} };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function spoolDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-body-buffer-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const bodyFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('sluice-body-'));

/** An app answering `<length> <disk|memory> <sha256>` of the buffered body; `entered` counts calls. */
function buffering(options: BufferBodyOptions) {
  const state = { entered: 0 };
  const middleware = async (ctx: Context): Promise<void> => {
    state.entered++;
    const body = await bufferBody(ctx, options);
    const chunks: Buffer[] = [];
    for await (const chunk of body.open()) chunks.push(chunk as Buffer);
    ctx.body = `${body.length} ${body.onDisk ? 'disk' : 'memory'} ${sha(Buffer.concat(chunks))}`;
  };
  return { state, middleware };
}

function chunkedRequest(body: Buffer, pieces = 4): Buffer {
  const size = Math.ceil(body.length / pieces);
  const parts: Buffer[] = [Buffer.from('POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n')];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

test('the default budget for buffered bodies is 1 GiB', (t) => {
  t.is(engineDefaults.maxBufferedBodyBytes, 1024 * 1024 * 1024);
});

test('a chunked body that would cross maxBufferedBodyBytes while another body holds the budget gets 503, then fits once it is freed', async (t) => {
  const { state, middleware } = buffering({ tempDir: spoolDir(t) });
  const s = await start(middleware, { limits: { maxBufferedBodyBytes: 100_000 }, logger: quiet });
  t.teardown(() => s.close());
  // A declares 60000 bytes and trickles: its whole length is reserved as soon as buffering starts.
  const slow = await Wire.open(s.port);
  t.teardown(() => slow.destroy());
  const slowBody = randomBytes(60_000);
  slow.write(Buffer.concat([Buffer.from('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 60000\r\n\r\n'), slowBody.subarray(0, 1)]));
  await eventually(() => state.entered === 1, 5000, 'the slow body to be buffering');

  const big = randomBytes(50_000);
  const refused = await Wire.open(s.port);
  t.teardown(() => refused.destroy());
  refused.write(chunkedRequest(big));
  const [busy] = await refused.responses(1);
  t.is(busy.statusLine, 'HTTP/1.1 503 Service Unavailable');
  t.is(busy.headers['retry-after'], '1');

  slow.write(slowBody.subarray(1));
  const [done] = await slow.responses(1);
  t.is(done.status, 200);
  t.is(done.body, `60000 memory ${sha(slowBody)}`);

  const accepted = await raw(s.port, chunkedRequest(big), { end: true });
  const [ok] = parseResponses(accepted.text);
  t.is(ok.status, 200);
  t.is(ok.body, `50000 memory ${sha(big)}`);
});

test('a Content-Length body larger than the whole budget is refused with 503 before any of it is read', async (t) => {
  const { state, middleware } = buffering({});
  const s = await start(middleware, { limits: { maxBufferedBodyBytes: 1000 }, logger: quiet });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n');
  await wire.responses(1);
  t.is(
    wire.text.replace(/\r\nDate: [^\r]*/, ''),
    'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\r\nService Unavailable\n',
  );
  t.is(state.entered, 1);
  // The refused body is read and discarded by the engine: the connection serves the next request.
  wire.write(Buffer.alloc(5000, 0x61));
  wire.write('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  const [, next] = await wire.responses(2);
  t.is(next.status, 200);
  t.is(next.body, `0 memory ${sha(Buffer.alloc(0))}`);
  t.false(wire.closed);
});

test('a body over memoryBytes goes to a 0600 temporary file that is gone after the response', async (t) => {
  const dir = spoolDir(t);
  let mode = -1;
  const s = await start(async (ctx: Context) => {
    const body = await bufferBody(ctx, { memoryBytes: 1024, tempDir: dir });
    const { statSync } = await import('node:fs');
    mode = statSync(join(dir, bodyFiles(dir)[0])).mode & 0o777;
    const chunks: Buffer[] = [];
    for await (const chunk of body.open()) chunks.push(chunk as Buffer);
    ctx.body = `${body.length} ${body.onDisk} ${sha(Buffer.concat(chunks))}`;
  });
  t.teardown(() => s.close());
  const bytes = randomBytes(200_000);
  const res = await fetch(`${s.url}/up`, { method: 'POST', body: bytes });
  t.is(await res.text(), `200000 true ${sha(bytes)}`);
  t.is(mode, 0o600);
  await eventually(() => bodyFiles(dir).length === 0, 5000, 'the temporary file to be removed');
  t.deepEqual(bodyFiles(dir), []);
});

test('a client that leaves mid-body leaves no temporary file and gives its budget share back', async (t) => {
  const dir = spoolDir(t);
  const { middleware } = buffering({ memoryBytes: 1024, tempDir: dir });
  const s = await start(middleware, { limits: { maxBufferedBodyBytes: 300_000 } });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  wire.write(Buffer.concat([Buffer.from('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 250000\r\n\r\n'), randomBytes(100_000)]));
  await eventually(() => bodyFiles(dir).length === 1, 5000, 'the body to be spooled');
  wire.destroy();
  await eventually(() => bodyFiles(dir).length === 0, 5000, 'the temporary file to be removed');
  t.deepEqual(bodyFiles(dir), []);
  // The 250000 bytes the aborted body reserved are free again: a body of the same size fits.
  const bytes = randomBytes(250_000);
  const res = await fetch(`${s.url}/up`, { method: 'POST', body: bytes });
  t.is(await res.text(), `250000 disk ${sha(bytes)}`);
});

test('a chunked body is buffered with its length known, and one over maxBytes gets 413', async (t) => {
  const { middleware } = buffering({ maxBytes: 10_000 });
  const s = await start(middleware);
  t.teardown(() => s.close());
  const small = randomBytes(9_000);
  const [ok] = parseResponses((await raw(s.port, chunkedRequest(small), { end: true })).text);
  t.is(ok.body, `9000 memory ${sha(small)}`);
  const [tooBig] = parseResponses((await raw(s.port, chunkedRequest(randomBytes(12_000)), { end: true })).text);
  t.is(tooBig.status, 413);
});

test('a request without a body buffers to an empty body', async (t) => {
  const { middleware } = buffering({});
  const s = await start(middleware);
  t.teardown(() => s.close());
  const res = await fetch(`${s.url}/up`);
  t.is(await res.text(), `0 memory ${sha(Buffer.alloc(0))}`);
});

test('a bad bufferBody option is an error naming the key', async (t) => {
  const s = await start(async (ctx: Context) => {
    try {
      await bufferBody(ctx, { memoryBytes: -1 });
    } catch (error) {
      ctx.body = (error as Error).message;
    }
  });
  t.teardown(() => s.close());
  t.regex(await (await fetch(s.url)).text(), /"memoryBytes"/);
});
