/** Byte ranges (RFC 9110 §14) with real requests: single, suffix, open, multipart parsed back byte for byte, merging, bounds, 416, If-Range, HEAD; in memory and streamed from disk. */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { decideRanges } from '../src/ranges.js';
import { makeSite, parseMultipart, patternBytes, rawRequest, start, type Running } from './helpers.js';

const SIZE = 10000;
const DATA = patternBytes(SIZE);
const MTIME = new Date('2025-03-01T12:00:00Z');

// Each case runs twice: file served from memory, and streamed from disk (memory cache off).
const MODES = [
  { name: 'memory', options: {} },
  { name: 'stream', options: { memoryCacheMaxFileBytes: 0, streamChunkBytes: 1024 } },
];

async function serve(t: { teardown(fn: () => unknown): void }, options: Record<string, unknown>): Promise<Running> {
  const site = makeSite({ 'data.bin': DATA, 'page.html': '<p>0123456789</p>' });
  utimesSync(join(site.root, 'data.bin'), MTIME, MTIME);
  const s = await start(serveStatic({ root: site.root, ...options }));
  t.teardown(async () => {
    await s.close();
    site.remove();
  });
  return s;
}

function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(contentType ?? '');
  if (!m) throw new Error(`not multipart/byteranges: ${contentType}`);
  return m[1];
}

const NO_VALIDATORS = { etag: undefined, lastModified: undefined, lastModifiedMs: 0 };

test('a suffix range longer than the representation selects all of it (RFC 9110 §14.1.1)', (t) => {
  const decide = (range: string, size = 1024) => decideRanges(range, undefined, size, NO_VALIDATORS, 16);
  const whole = { kind: 'partial', ranges: [{ start: 0, end: 1023 }] };
  t.deepEqual(decide('bytes=-5000'), whole);
  t.deepEqual(decide('bytes=-1025'), whole);
  t.deepEqual(decide('bytes=-1024'), whole);
  t.deepEqual(decide('bytes= -99999999999999999999'), whole);
  t.deepEqual(decide('bytes=-1023'), { kind: 'partial', ranges: [{ start: 1, end: 1023 }] });
  t.deepEqual(decide('bytes=0-9, -5000'), whole, 'merged with the other ranges');
  t.deepEqual(decide('bytes=-5000,2000-3000'), whole, 'an unsatisfiable one beside it is dropped');
  t.deepEqual(decide('bytes=-0'), { kind: 'unsatisfiable' }, 'a zero suffix stays unsatisfiable');
  t.deepEqual(decide('bytes=-5000', 0), { kind: 'unsatisfiable' }, 'an empty representation has no byte to select');
  t.deepEqual(decide('bytes=--5000'), { kind: 'full' }, 'malformed stays ignored');
});

for (const mode of MODES) {
  test(`[${mode.name}] a suffix range longer than the file → 206 with the whole file, bytes 0-(size-1)/size`, async (t) => {
    const s = await serve(t, mode.options);
    const res = await rawRequest(s.port, '/data.bin', { headers: { Range: `bytes=-${SIZE * 5}` } });
    t.is(res.status, 206);
    t.is(res.headers['content-range'], `bytes 0-${SIZE - 1}/${SIZE}`);
    t.is(res.headers['content-length'], String(SIZE));
    t.true(res.body.equals(DATA));
  });


  test(`[${mode.name}] a single range → 206 with Content-Range and exactly those bytes`, async (t) => {
    const s = await serve(t, mode.options);
    const res = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=100-1099' } });
    t.is(res.status, 206);
    t.is(res.headers['content-range'], `bytes 100-1099/${SIZE}`);
    t.is(res.headers['content-length'], '1000');
    t.is(res.headers['content-type'], 'application/octet-stream');
    t.true(res.body.equals(DATA.subarray(100, 1100)));
  });

  test(`[${mode.name}] suffix range bytes=-500 → the last 500 bytes`, async (t) => {
    const s = await serve(t, mode.options);
    const res = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=-500' } });
    t.is(res.status, 206);
    t.is(res.headers['content-range'], `bytes 9500-9999/${SIZE}`);
    t.true(res.body.equals(DATA.subarray(9500)));
  });

  test(`[${mode.name}] open range bytes=9000- → to the end; an end past the size is clamped`, async (t) => {
    const s = await serve(t, mode.options);
    const open = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=9000-' } });
    t.is(open.headers['content-range'], `bytes 9000-9999/${SIZE}`);
    t.true(open.body.equals(DATA.subarray(9000)));
    const clamped = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=9990-20000' } });
    t.is(clamped.headers['content-range'], `bytes 9990-9999/${SIZE}`);
    t.true(clamped.body.equals(DATA.subarray(9990)));
  });

  test(`[${mode.name}] several ranges → multipart/byteranges, each part checked byte for byte`, async (t) => {
    const s = await serve(t, mode.options);
    const res = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9, 5000-5999, -3' } });
    t.is(res.status, 206);
    t.is(res.headers['content-range'], undefined);
    t.is(Number(res.headers['content-length']), res.body.length);
    const parts = parseMultipart(res.body, boundaryOf(res.headers['content-type']));
    const expected = [[0, 9], [5000, 5999], [9997, 9999]];
    t.is(parts.length, expected.length);
    parts.forEach((part, i) => {
      const [start, end] = expected[i];
      t.is(part.headers['content-type'], 'application/octet-stream');
      t.is(part.headers['content-range'], `bytes ${start}-${end}/${SIZE}`);
      t.true(part.body.equals(DATA.subarray(start, end + 1)), `part ${i}`);
    });
  });

  test(`[${mode.name}] overlapping and adjacent ranges are merged`, async (t) => {
    const s = await serve(t, mode.options);
    const merged = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-99,50-199,200-299' } });
    t.is(merged.status, 206);
    t.is(merged.headers['content-range'], `bytes 0-299/${SIZE}`);
    t.true(merged.body.equals(DATA.subarray(0, 300)));
    const two = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=500-599,0-9,550-650' } });
    const parts = parseMultipart(two.body, boundaryOf(two.headers['content-type']));
    t.deepEqual(parts.map((p) => p.headers['content-range']), [`bytes 500-650/${SIZE}`, `bytes 0-9/${SIZE}`]);
    t.true(parts[0].body.equals(DATA.subarray(500, 651)));
    t.true(parts[1].body.equals(DATA.subarray(0, 10)));
  });

  test(`[${mode.name}] more ranges than maxRanges → the whole file (no amplification)`, async (t) => {
    const s = await serve(t, { ...mode.options, maxRanges: 4 });
    const ranges = Array.from({ length: 5 }, (_, i) => `${i * 100}-${i * 100 + 10}`).join(',');
    const res = await rawRequest(s.port, '/data.bin', { headers: { Range: `bytes=${ranges}` } });
    t.is(res.status, 200);
    t.true(res.body.equals(DATA));
    const many = Array.from({ length: 500 }, () => '0-9999').join(',');
    const repeated = await rawRequest(s.port, '/data.bin', { headers: { Range: `bytes=${many}` } });
    t.is(repeated.status, 206, 'identical ranges merge into one');
    t.is(repeated.body.length, SIZE);
  });

  test(`[${mode.name}] unsatisfiable range → 416 with Content-Range: bytes */size`, async (t) => {
    const s = await serve(t, mode.options);
    for (const range of ['bytes=10000-', 'bytes=20000-30000', 'bytes=-0']) {
      const res = await rawRequest(s.port, '/data.bin', { headers: { Range: range } });
      t.is(res.status, 416, range);
      t.is(res.headers['content-range'], `bytes */${SIZE}`, range);
    }
  });

  test(`[${mode.name}] malformed ranges and other units are ignored → 200`, async (t) => {
    const s = await serve(t, mode.options);
    for (const range of ['bytes=abc', 'bytes 0-10', 'items=0-1', 'bytes=5-2', 'bytes=0-1,']) {
      const res = await rawRequest(s.port, '/data.bin', { headers: { Range: range } });
      t.is(res.status, range === 'bytes=5-2' ? 416 : 200, range);
      if (res.status === 200) t.true(res.body.equals(DATA), range);
    }
  });

  test(`[${mode.name}] If-Range with the current strong ETag → 206; with an old one → 200 full`, async (t) => {
    const s = await serve(t, mode.options);
    const etag = (await rawRequest(s.port, '/data.bin', { method: 'HEAD' })).headers.etag ?? '';
    const same = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    t.is(same.status, 206);
    t.true(same.body.equals(DATA.subarray(0, 10)));
    const old = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-Range': '"0-0"' } });
    t.is(old.status, 200);
    t.true(old.body.equals(DATA));
  });

  test(`[${mode.name}] If-Range with the exact Last-Modified date → 206; another date → 200`, async (t) => {
    const s = await serve(t, mode.options);
    const lastModified = (await rawRequest(s.port, '/data.bin', { method: 'HEAD' })).headers['last-modified'] ?? '';
    t.is((await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-Range': lastModified } })).status, 206);
    const other = 'Sun, 02 Mar 2025 12:00:00 GMT';
    t.is((await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-Range': other } })).status, 200);
  });
}

test('If-Range never matches a weak ETag → 200', async (t) => {
  const s = await serve(t, { etag: 'weak' });
  const etag = (await rawRequest(s.port, '/data.bin', { method: 'HEAD' })).headers.etag ?? '';
  t.true(etag.startsWith('W/'));
  t.is((await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-Range': etag } })).status, 200);
});

test('a range on HEAD → 206 headers without a body', async (t) => {
  const s = await serve(t, {});
  const single = await rawRequest(s.port, '/data.bin', { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
  t.is(single.status, 206);
  t.is(single.headers['content-range'], `bytes 10-19/${SIZE}`);
  t.is(single.headers['content-length'], '10');
  t.true(single.text.endsWith('\r\n\r\n'));
  const multi = await rawRequest(s.port, '/data.bin', { method: 'HEAD', headers: { Range: 'bytes=0-1,100-101' } });
  t.is(multi.status, 206);
  t.regex(multi.headers['content-type'] ?? '', /^multipart\/byteranges; boundary=/);
  t.true(Number(multi.headers['content-length']) > 4);
});

test('multipart parts carry the file type with its charset', async (t) => {
  const s = await serve(t, {});
  const res = await rawRequest(s.port, '/page.html', { headers: { Range: 'bytes=0-2,5-6' } });
  const parts = parseMultipart(res.body, boundaryOf(res.headers['content-type']));
  t.is(parts[0].headers['content-type'], 'text/html; charset=utf-8');
  t.is(parts[0].body.toString(), '<p>');
  t.is(parts[1].body.toString(), '23');
});

test('acceptRanges: false ignores Range and sends no Accept-Ranges', async (t) => {
  const s = await serve(t, { acceptRanges: false });
  const res = await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9' } });
  t.is(res.status, 200);
  t.is(res.headers['accept-ranges'], undefined);
  t.true(res.body.equals(DATA));
});

test('a Range with a satisfied If-None-Match → 304 (preconditions come first)', async (t) => {
  const s = await serve(t, {});
  const etag = (await rawRequest(s.port, '/data.bin', { method: 'HEAD' })).headers.etag ?? '';
  t.is((await rawRequest(s.port, '/data.bin', { headers: { Range: 'bytes=0-9', 'If-None-Match': etag } })).status, 304);
});

test('fetch of a 1,024-byte file with Range: bytes=-5000 gets 206 and Content-Range: bytes 0-1023/1024', async (t) => {
  const data = patternBytes(1024);
  const site = makeSite({ 'small.bin': data });
  const s = await start(serveStatic({ root: site.root }));
  t.teardown(async () => {
    await s.close();
    site.remove();
  });
  const res = await fetch(`http://127.0.0.1:${s.port}/small.bin`, { headers: { Range: 'bytes=-5000' } });
  t.is(res.status, 206);
  t.is(res.headers.get('content-range'), 'bytes 0-1023/1024');
  t.true(Buffer.from(await res.arrayBuffer()).equals(data));
});
