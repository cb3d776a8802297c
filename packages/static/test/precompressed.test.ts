/** Precompressed variants: chosen by Accept-Encoding quality values, with Content-Encoding, Vary, their own ETag, and ranges over the encoded bytes. */
import { brotliCompressSync, gunzipSync, gzipSync, brotliDecompressSync } from 'node:zlib';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start, type Running } from './helpers.js';

const TEXT = 'let x = 1;\n'.repeat(500);
const GZ = gzipSync(TEXT);
const BR = brotliCompressSync(TEXT);

async function serve(t: { teardown(fn: () => unknown): void }, files: Record<string, string | Buffer>, options: Record<string, unknown> = {}): Promise<Running> {
  const site = makeSite(files);
  const s = await start(serveStatic({ root: site.root, precompressed: true, ...options }));
  t.teardown(async () => {
    await s.close();
    site.remove();
  });
  return s;
}

const BOTH = { 'app.js': TEXT, 'app.js.gz': GZ, 'app.js.br': BR, 'plain.js': TEXT };

test('br is preferred when both are accepted with equal quality', async (t) => {
  const s = await serve(t, BOTH);
  const res = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
  t.is(res.status, 200);
  t.is(res.headers['content-encoding'], 'br');
  t.is(res.headers.vary, 'Accept-Encoding');
  t.is(res.headers['content-type'], 'application/javascript; charset=utf-8');
  t.is(Number(res.headers['content-length']), BR.length);
  t.is(brotliDecompressSync(res.body).toString(), TEXT);
});

test('quality values are honoured: gzip;q=1, br;q=0.5 → gzip', async (t) => {
  const s = await serve(t, BOTH);
  const res = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip;q=1, br;q=0.5' } });
  t.is(res.headers['content-encoding'], 'gzip');
  t.is(gunzipSync(res.body).toString(), TEXT);
});

test('br;q=0 excludes br; identity preferred over both → identity', async (t) => {
  const s = await serve(t, BOTH);
  const noBr = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'br;q=0, gzip' } });
  t.is(noBr.headers['content-encoding'], 'gzip');
  const identity = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'identity, gzip;q=0.5, br;q=0.5' } });
  t.is(identity.headers['content-encoding'], undefined);
  t.is(identity.headers.vary, 'Accept-Encoding');
  t.is(identity.body.toString(), TEXT);
});

test('no Accept-Encoding → identity, still with Vary', async (t) => {
  const s = await serve(t, BOTH);
  const res = await rawRequest(s.port, '/app.js');
  t.is(res.headers['content-encoding'], undefined);
  t.is(res.headers.vary, 'Accept-Encoding');
  t.is(res.body.toString(), TEXT);
});

test('a file without variants gets no Vary and no encoding', async (t) => {
  const s = await serve(t, BOTH);
  const res = await rawRequest(s.port, '/plain.js', { headers: { 'Accept-Encoding': 'gzip, br' } });
  t.is(res.headers['content-encoding'], undefined);
  t.is(res.headers.vary, undefined);
});

test('only the configured encodings are used', async (t) => {
  const s = await serve(t, BOTH, { precompressed: ['gzip'] });
  const res = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'br, gzip' } });
  t.is(res.headers['content-encoding'], 'gzip');
});

test('each representation has its own ETag; If-None-Match revalidates the encoded one', async (t) => {
  const s = await serve(t, BOTH);
  const br = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'br' } });
  const gz = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip' } });
  const id = await rawRequest(s.port, '/app.js');
  const tags = new Set([br.headers.etag, gz.headers.etag, id.headers.etag]);
  t.is(tags.size, 3);
  const revalidated = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag ?? '' } });
  t.is(revalidated.status, 304);
  t.is(revalidated.headers.vary, 'Accept-Encoding');
  const otherEncoding = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': br.headers.etag ?? '' } });
  t.is(otherEncoding.status, 200);
});

test('ranges apply to the encoded representation', async (t) => {
  const s = await serve(t, BOTH);
  const res = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=10-19' } });
  t.is(res.status, 206);
  t.is(res.headers['content-encoding'], 'gzip');
  t.is(res.headers['content-range'], `bytes 10-19/${GZ.length}`);
  t.true(res.body.equals(GZ.subarray(10, 20)));
});

test('precompressed is off by default', async (t) => {
  const s = await serve(t, BOTH, { precompressed: false });
  const res = await rawRequest(s.port, '/app.js', { headers: { 'Accept-Encoding': 'br, gzip' } });
  t.is(res.headers['content-encoding'], undefined);
  t.is(res.body.toString(), TEXT);
});
