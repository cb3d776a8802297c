/**
 * WSGI response safety (issue 12, items 7 and 11): a 1xx or out-of-range status from
 * start_response is a bad response (500), never sent as a final answer; a body chunk over the
 * 64 MiB frame limit is split by the worker, arrives intact, and the worker keeps serving.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { parseResponses } from '../../packages/core/test/helpers.js';
import { raw, startWsgi } from './helpers.js';

/** What the test app's `pattern(size)` yields: a 251-byte cycle, so a lost or repeated piece shows. */
function pattern(size: number): Buffer {
  return Buffer.alloc(size, Buffer.from(Array.from({ length: 251 }, (_, i) => i)));
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

for (const [status, mode] of [
  ['101 Switching Protocols', 'whole'],
  ['101 Switching Protocols', 'stream'],
  ['100 Continue', 'whole'],
  ['103 Early Hints', 'stream'],
  ['199 Odd', 'whole'],
  ['600 Beyond', 'whole'],
  ['999 Way Beyond', 'stream'],
  ['099 Too Low', 'whole'],
] as const) {
  test(`start_response('${status}') with a ${mode} body is a 500 on the wire, logged; the worker serves the next pipelined request`, async (t) => {
    const s = await startWsgi({ app: 'response_safety:application' });
    t.teardown(s.close);
    const before = await (await fetch(`${s.url}/pid`)).text();
    const { text, closed } = await raw(s.port,
      `GET /status?${encodeURIComponent(status)} HTTP/1.1\r\nHost: h\r\nX-Mode: ${mode}\r\n\r\n` +
      'GET /pid HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const responses = parseResponses(text);
    t.deepEqual(responses.map((r) => r.status), [500, 200]);
    t.notRegex(text, /^HTTP\/1\.1 [01]\d\d/m);
    t.notRegex(text, /Upgrade|after the status|first|second/);
    t.is(responses[1].body, before);
    t.true(closed);
    await s.waitForLog(new RegExp(`invalid WSGI status "${status}"`));
    t.is(s.bridge.stats().respawns, 0);
  });
}

const BIG = 70 * 1024 * 1024;

for (const mode of ['list', 'yield', 'write'] as const) {
  test(`one ${BIG / 1024 / 1024} MiB bytes object (${mode}) arrives intact; the worker and the requests queued behind it survive`, async (t) => {
    const s = await startWsgi({ app: 'response_safety:application', pipeline: 4 });
    t.teardown(s.close);
    const before = await (await fetch(`${s.url}/pid`)).text();
    // Sent while the big one runs: they queue on the same (only) worker.
    const [big, ...queued] = await Promise.all([
      fetch(`${s.url}/huge?size=${BIG}&mode=${mode}`).then(async (res) => ({ status: res.status, body: Buffer.from(await res.arrayBuffer()) })),
      ...Array.from({ length: 3 }, () => fetch(`${s.url}/pid`).then(async (res) => ({ status: res.status, body: await res.text() }))),
    ]);
    t.is(big.status, 200);
    const expected = mode === 'yield' ? Buffer.concat([Buffer.from('head:'), pattern(BIG), Buffer.from(':tail')]) : pattern(BIG);
    t.is(big.body.length, expected.length);
    t.is(sha256(big.body), sha256(expected));
    t.deepEqual(queued, Array.from({ length: 3 }, () => ({ status: 200, body: before })));
    t.is(s.bridge.stats().respawns, 0);
    t.false(s.logs.some((entry) => /exited|frame of/.test(entry.message)), JSON.stringify(s.logs));
  });
}

test('a large bytes object with a Content-Length is sent in one 200 with that length', async (t) => {
  const s = await startWsgi({ app: 'response_safety:application' });
  t.teardown(s.close);
  const size = 5 * 1024 * 1024 + 3;
  const res = await fetch(`${s.url}/huge?size=${size}&mode=list&length=${size}`);
  t.is(res.headers.get('content-length'), String(size));
  t.is(sha256(Buffer.from(await res.arrayBuffer())), sha256(pattern(size)));
});

test('a large bytes object longer than its Content-Length is cut to it, logged once, and the connection stays usable', async (t) => {
  const s = await startWsgi({ app: 'response_safety:application' });
  t.teardown(s.close);
  const size = 5 * 1024 * 1024;
  const length = 3 * 1024 * 1024 + 7;
  const { text, closed } = await raw(s.port,
    `GET /huge?size=${size}&mode=list&length=${length} HTTP/1.1\r\nHost: h\r\n\r\n` +
    'GET /pid HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n', { timeoutMs: 30_000 });
  const responses = parseResponses(text);
  t.deepEqual(responses.map((r) => r.status), [200, 200]);
  t.is(responses[0].body.length, length);
  t.is(sha256(Buffer.from(responses[0].body, 'latin1')), sha256(pattern(length)));
  t.true(closed);
  await s.waitForLog(/response body longer than its Content-Length/);
  t.is(s.logs.filter((entry) => /longer than its Content-Length/.test(entry.message)).length, 1);
});

test('a head over 1 MiB and an exception whose message is 70 MiB are 500s; the worker keeps serving', async (t) => {
  const s = await startWsgi({ app: 'response_safety:application' });
  t.teardown(s.close);
  const before = await (await fetch(`${s.url}/pid`)).text();
  const head = await fetch(`${s.url}/huge-head`);
  t.is(head.status, 500);
  t.is(head.headers.get('x-big'), null);
  await s.waitForLog(/ValueError: response head of \d+ bytes \(at most 1048576\)/);
  t.is((await fetch(`${s.url}/huge-error`)).status, 500);
  const logged = await s.waitForLog(/bytes cut/);
  t.true(logged.message.length < 2 * 1024 * 1024 + 1000);
  t.is(await (await fetch(`${s.url}/pid`)).text(), before);
  t.is(s.bridge.stats().respawns, 0);
});
