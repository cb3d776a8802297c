/** Conditional requests (RFC 9110 §13): each precondition, their §13.2.2 precedence, and 304/412 responses, with real requests. */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { evaluatePreconditions, Outcome } from '../src/conditional.js';
import { makeSite, rawRequest, start, type Running } from './helpers.js';

// mtime fixed to a whole second so Last-Modified round-trips exactly.
const MTIME = new Date('2025-03-01T12:00:00Z');
const BEFORE = 'Fri, 28 Feb 2025 12:00:00 GMT';
const AFTER = 'Sun, 02 Mar 2025 12:00:00 GMT';

async function withSite(t: { teardown(fn: () => unknown): void }, options: Record<string, unknown> = {}): Promise<{ s: Running; etag: string; lastModified: string }> {
  const site = makeSite({ 'f.txt': 'contents\n' });
  utimesSync(join(site.root, 'f.txt'), MTIME, MTIME);
  const s = await start(serveStatic({ root: site.root, ...options }));
  t.teardown(async () => {
    await s.close();
    site.remove();
  });
  const first = await rawRequest(s.port, '/f.txt');
  return { s, etag: first.headers.etag ?? '', lastModified: first.headers['last-modified'] ?? '' };
}

const validators = { etag: '"a-1"', lastModified: 'Sat, 01 Mar 2025 12:00:00 GMT', lastModifiedMs: MTIME.getTime() };

test('the precedence table follows RFC 9110 §13.2.2 (unit)', (t) => {
  const rows: Array<[Record<string, string>, Outcome, string]> = [
    [{}, Outcome.Proceed, 'no preconditions'],
    [{ 'if-match': '"a-1"' }, Outcome.Proceed, 'If-Match matches'],
    [{ 'if-match': '"zz"' }, Outcome.PreconditionFailed, 'If-Match differs'],
    [{ 'if-match': 'W/"a-1"' }, Outcome.PreconditionFailed, 'If-Match uses strong comparison'],
    [{ 'if-match': '*' }, Outcome.Proceed, 'If-Match *'],
    [{ 'if-match': '"x", "a-1"' }, Outcome.Proceed, 'If-Match list'],
    [{ 'if-unmodified-since': BEFORE }, Outcome.PreconditionFailed, 'modified since'],
    [{ 'if-unmodified-since': AFTER }, Outcome.Proceed, 'unmodified since'],
    [{ 'if-unmodified-since': 'not a date' }, Outcome.Proceed, 'invalid date ignored'],
    [{ 'if-match': '"a-1"', 'if-unmodified-since': BEFORE }, Outcome.Proceed, 'step 2 skipped when If-Match present'],
    [{ 'if-none-match': '"a-1"' }, Outcome.NotModified, 'If-None-Match matches'],
    [{ 'if-none-match': 'W/"a-1"' }, Outcome.NotModified, 'If-None-Match uses weak comparison'],
    [{ 'if-none-match': '*' }, Outcome.NotModified, 'If-None-Match *'],
    [{ 'if-none-match': '"zz"' }, Outcome.Proceed, 'If-None-Match differs'],
    [{ 'if-modified-since': AFTER }, Outcome.NotModified, 'not modified since'],
    [{ 'if-modified-since': BEFORE }, Outcome.Proceed, 'modified since → full'],
    [{ 'if-modified-since': 'garbage' }, Outcome.Proceed, 'invalid IMS ignored'],
    [{ 'if-none-match': '"zz"', 'if-modified-since': AFTER }, Outcome.Proceed, 'step 4 skipped when If-None-Match present'],
    [{ 'if-match': '"zz"', 'if-none-match': '"a-1"' }, Outcome.PreconditionFailed, 'step 1 before step 3'],
    [{ 'if-unmodified-since': BEFORE, 'if-none-match': '"a-1"' }, Outcome.PreconditionFailed, 'step 2 before step 3'],
    [{ 'if-none-match': '"a-1"', 'cache-control': 'no-cache' }, Outcome.Proceed, 'request no-cache forces a full answer'],
  ];
  for (const [headers, expected, name] of rows) t.is(evaluatePreconditions(headers, validators), expected, name);
});

test('If-None-Match with the current ETag → 304 with validators and no body', async (t) => {
  const { s, etag, lastModified } = await withSite(t, { maxAgeSeconds: 60 });
  const res = await rawRequest(s.port, '/f.txt', { headers: { 'If-None-Match': etag } });
  t.is(res.status, 304);
  t.is(res.headers.etag, etag);
  t.is(res.headers['last-modified'], lastModified);
  t.is(res.headers['cache-control'], 'public, max-age=60');
  t.is(res.headers['content-length'], undefined);
  t.true(res.text.endsWith('\r\n\r\n'));
});

test('HEAD with a matching If-None-Match → 304', async (t) => {
  const { s, etag } = await withSite(t);
  t.is((await rawRequest(s.port, '/f.txt', { method: 'HEAD', headers: { 'If-None-Match': etag } })).status, 304);
});

test('If-None-Match with another ETag → 200 with the body', async (t) => {
  const { s } = await withSite(t);
  const res = await rawRequest(s.port, '/f.txt', { headers: { 'If-None-Match': '"other"' } });
  t.is(res.status, 200);
  t.is(res.body.toString(), 'contents\n');
});

test('If-Modified-Since at or after Last-Modified → 304; before → 200', async (t) => {
  const { s, lastModified } = await withSite(t);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Modified-Since': lastModified } })).status, 304);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Modified-Since': AFTER } })).status, 304);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Modified-Since': BEFORE } })).status, 200);
});

test('If-None-Match takes precedence over If-Modified-Since', async (t) => {
  const { s } = await withSite(t);
  const res = await rawRequest(s.port, '/f.txt', { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': AFTER } });
  t.is(res.status, 200);
});

test('If-Match failing → 412 through the error handler; matching → 200', async (t) => {
  const { s, etag } = await withSite(t);
  const failed = await rawRequest(s.port, '/f.txt', { headers: { 'If-Match': '"other"' } });
  t.is(failed.status, 412);
  t.false(failed.text.includes('contents'));
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Match': etag } })).status, 200);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Match': '*' } })).status, 200);
});

test('If-Unmodified-Since before Last-Modified → 412', async (t) => {
  const { s } = await withSite(t);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Unmodified-Since': BEFORE } })).status, 412);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Unmodified-Since': AFTER } })).status, 200);
});

test('If-Match is evaluated before If-None-Match (412 wins over 304)', async (t) => {
  const { s, etag } = await withSite(t);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Match': '"other"', 'If-None-Match': etag } })).status, 412);
});

test('a weak ETag never satisfies If-Match (strong comparison)', async (t) => {
  const { s, etag } = await withSite(t, { etag: 'weak' });
  t.true(etag.startsWith('W/'));
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-Match': etag } })).status, 412);
  t.is((await rawRequest(s.port, '/f.txt', { headers: { 'If-None-Match': etag } })).status, 304);
});

test('a changed file gets a new ETag and a 200 for the old one', async (t) => {
  const site = makeSite({ 'f.txt': 'one' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 0 }));
  t.teardown(async () => {
    await s.close();
    site.remove();
  });
  const first = await rawRequest(s.port, '/f.txt');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(site.root, 'f.txt'), 'two!');
  const again = await rawRequest(s.port, '/f.txt', { headers: { 'If-None-Match': first.headers.etag ?? '' } });
  t.is(again.status, 200);
  t.is(again.body.toString(), 'two!');
  t.not(again.headers.etag, first.headers.etag);
});
