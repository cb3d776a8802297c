/** The Flask example (examples/wsgi/flask) served through the bridge by Debian's python3-flask. */
import test from 'ava';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { EXAMPLES_DIR, startWsgi } from './helpers.js';

const flaskApp = { app: 'app:app', cwd: path.join(EXAMPLES_DIR, 'flask'), env: { PYTHONWARNINGS: 'default' } };

test('Flask routes with parameters', async (t) => {
  const s = await startWsgi(flaskApp);
  t.teardown(s.close);
  t.is(await (await fetch(`${s.url}/`)).text(), 'Hello from Flask\n');
  const res = await fetch(`${s.url}/hello/W%C3%B6rld`);
  t.is(res.status, 200);
  t.is(await res.text(), 'Hello, Wörld!\n');
  const missing = await fetch(`${s.url}/nope`);
  t.is(missing.status, 404);
  t.deepEqual(await missing.json(), { error: 'not found', path: '/nope' });
});

test('Flask JSON in and out', async (t) => {
  const s = await startWsgi(flaskApp);
  t.teardown(s.close);
  const res = await fetch(`${s.url}/json`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ b: 2, a: [1, 'x'] }) });
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /application\/json/);
  t.deepEqual(await res.json(), { received: { b: 2, a: [1, 'x'] }, keys: ['a', 'b'] });
});

test('Flask multipart file upload', async (t) => {
  const s = await startWsgi(flaskApp);
  t.teardown(s.close);
  const content = Buffer.alloc(2 * 1024 * 1024 + 11);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 256;
  const form = new FormData();
  form.append('note', 'two megabytes');
  form.append('file', new Blob([content]), 'data.bin');
  const res = await fetch(`${s.url}/upload`, { method: 'POST', body: form });
  t.is(res.status, 200);
  t.deepEqual(await res.json(), {
    filename: 'data.bin', size: content.length, sha256: createHash('sha256').update(content).digest('hex'), note: 'two megabytes',
  });
});

test('Flask streamed generator response', async (t) => {
  const s = await startWsgi(flaskApp);
  t.teardown(s.close);
  const res = await fetch(`${s.url}/stream?count=200`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-length'), null);
  t.is(res.headers.get('transfer-encoding'), 'chunked');
  const lines = (await res.text()).trimEnd().split('\n');
  t.is(lines.length, 200);
  t.is(lines[199], 'line 199 of /stream');
});
