/** Real clients against serveStatic: curl byte ranges (single, suffix, multipart), curl -C - and wget -c resume, curl -z revalidation, curl --compressed with precompressed variants. */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import test from 'ava';
import { Application } from '@sluice/core';
import { serveStatic, type StaticOptions } from '@sluice/static';
import { run } from './helpers.js';

const SIZE = 3 * 1024 * 1024 + 123;
const DATA = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) DATA[i] = (i * 31 + (i >>> 10)) & 0xff;
const TEXT = 'body { color: red }\n'.repeat(200);

async function serve(t: { teardown(fn: () => unknown): void }, options: Partial<StaticOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-static-clients-'));
  const root = join(dir, 'site');
  const work = join(dir, 'work');
  mkdirSync(root);
  mkdirSync(work);
  writeFileSync(join(root, 'data.bin'), DATA);
  writeFileSync(join(root, 'style.css'), TEXT);
  writeFileSync(join(root, 'style.css.br'), brotliCompressSync(TEXT));
  const ranges: string[] = [];
  const app = new Application();
  app.use(async (ctx, next) => {
    ranges.push(ctx.get('Range'));
    await next();
  });
  app.use(serveStatic({ root, ...options }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(async () => {
    await app.close(1000);
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, work, ranges };
}

test('curl -r start-end receives exactly that range', async (t) => {
  const { url } = await serve(t);
  const res = await run('curl', ['-sS', '-f', '-r', '1000-1999', `${url}/data.bin`]);
  t.is(res.code, 0, res.stderr);
  t.true(res.stdout.equals(DATA.subarray(1000, 2000)), `got ${res.stdout.length} bytes: ${res.stdout.subarray(0, 80).toString('latin1')}`);
});

test('curl -r -500 receives the last 500 bytes; -r 3000000- the tail', async (t) => {
  const { url } = await serve(t);
  const suffix = await run('curl', ['-sS', '-f', '-r', '-500', `${url}/data.bin`]);
  t.true(suffix.stdout.equals(DATA.subarray(SIZE - 500)), `got ${suffix.stdout.length} bytes: ${suffix.stdout.subarray(0, 80).toString('latin1')}`);
  const open = await run('curl', ['-sS', '-f', '-r', '3000000-', `${url}/data.bin`]);
  t.true(open.stdout.equals(DATA.subarray(3000000)));
});

test('curl -r with several ranges receives multipart/byteranges, parsed back byte for byte', async (t) => {
  const { url, work } = await serve(t);
  const headersFile = join(work, 'headers');
  const res = await run('curl', ['-sS', '-f', '-D', headersFile, '-r', '0-99,2000000-2000099,-10', `${url}/data.bin`]);
  t.is(res.code, 0, res.stderr);
  const head = readFileSync(headersFile, 'latin1');
  t.regex(head, /^HTTP\/1\.1 206 /);
  const boundary = /content-type: multipart\/byteranges; boundary=(\S+)/i.exec(head)?.[1] ?? '';
  t.truthy(boundary);
  const body = res.stdout.toString('latin1');
  const parts = body.split(`--${boundary}`).slice(1, -1);
  const expected: Array<[number, number]> = [[0, 99], [2000000, 2000099], [SIZE - 10, SIZE - 1]];
  t.is(parts.length, 3);
  parts.forEach((part, i) => {
    const [start, end] = expected[i];
    const split = part.indexOf('\r\n\r\n');
    t.true(part.slice(0, split).includes(`Content-Range: bytes ${start}-${end}/${SIZE}`));
    const bytes = Buffer.from(part.slice(split + 4, part.length - 2), 'latin1');
    t.true(bytes.equals(DATA.subarray(start, end + 1)), `part ${i}`);
  });
  t.true(body.endsWith(`--${boundary}--\r\n`));
});

test('curl -C - resumes a partial download', async (t) => {
  const { url, work, ranges } = await serve(t);
  const out = join(work, 'data.bin');
  writeFileSync(out, DATA.subarray(0, 1234567));
  const res = await run('curl', ['-sS', '-f', '-C', '-', '-o', out, `${url}/data.bin`]);
  t.is(res.code, 0, res.stderr);
  t.true(ranges.includes('bytes=1234567-'));
  t.true(readFileSync(out).equals(DATA));
});

test('wget -c resumes a partial download', async (t) => {
  const { url, work, ranges } = await serve(t);
  writeFileSync(join(work, 'data.bin'), DATA.subarray(0, 777777));
  const res = await run('wget', ['-q', '-c', `${url}/data.bin`], { cwd: work });
  t.is(res.code, 0, res.stderr);
  t.true(ranges.includes('bytes=777777-'));
  t.true(readFileSync(join(work, 'data.bin')).equals(DATA));
});

test('wget -c on a complete file gets 416 and leaves the file intact', async (t) => {
  const { url, work, ranges } = await serve(t);
  writeFileSync(join(work, 'data.bin'), DATA);
  const res = await run('wget', ['-c', `${url}/data.bin`], { cwd: work });
  t.is(res.code, 0, res.stderr);
  t.true(ranges.includes(`bytes=${SIZE}-`));
  t.regex(res.stderr, /already fully retrieved|416/);
  t.true(readFileSync(join(work, 'data.bin')).equals(DATA));
});

test('curl -z (If-Modified-Since) gets 304 for an unchanged file; curl -I gets the headers', async (t) => {
  const { url } = await serve(t);
  const head = await run('curl', ['-sS', '-I', `${url}/data.bin`]);
  const text = head.stdout.toString();
  t.regex(text, /Content-Length: 3145851/);
  t.regex(text, /Accept-Ranges: bytes/);
  const lastModified = /Last-Modified: (.+)\r/.exec(text)?.[1] ?? '';
  const revalidated = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-z', lastModified, `${url}/data.bin`]);
  t.is(revalidated.stdout.toString(), '304');
});

test('curl --compressed receives the brotli variant and decodes it', async (t) => {
  const { url, work } = await serve(t, { precompressed: true });
  const headersFile = join(work, 'h');
  const res = await run('curl', ['-sS', '-f', '--compressed', '-D', headersFile, `${url}/style.css`]);
  t.is(res.code, 0, res.stderr);
  t.regex(readFileSync(headersFile, 'latin1'), /Content-Encoding: br/i);
  t.is(res.stdout.toString(), TEXT);
});
