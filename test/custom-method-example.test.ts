import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import test from 'ava';
import { createApp } from '../examples/custom-method/app.js';

const run = promisify(execFile);

async function startExample() {
  const { app, cache } = createApp({ renderDelayMs: 5 });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, cache, close: () => app.close(500) };
}

/** curl, as a user would type it: returns status, headers (lowercased) and body. */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await run('curl', ['-s', '-i', ...args]);
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split);
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: stdout.slice(split + 4) };
}

test('a page is rendered once, then served from the cache', async (t) => {
  const s = await startExample();
  const first = await fetch(`${s.url}/report`);
  const firstBody = await first.text();
  t.is(first.headers.get('x-cache'), 'MISS');
  const second = await fetch(`${s.url}/report`);
  t.is(second.headers.get('x-cache'), 'HIT');
  t.is(await second.text(), firstBody);
  await s.close();
});

test('curl -X PURGE evicts the page, and the next GET renders it again', async (t) => {
  const s = await startExample();
  await (await fetch(`${s.url}/report`)).text();
  const purge = await curl(['-X', 'PURGE', `${s.url}/report`]);
  t.is(purge.status, 200);
  t.deepEqual(JSON.parse(purge.body), { purged: '/report' });
  t.is(s.cache.size, 0);
  const again = await fetch(`${s.url}/report`);
  t.is(again.headers.get('x-cache'), 'MISS');
  t.regex(await again.text(), /rendered 2 time\(s\)/);
  await s.close();
});

test('PURGE of a page that is not cached gets 404', async (t) => {
  const s = await startExample();
  const purge = await curl(['-X', 'PURGE', '-H', 'Accept: application/json', `${s.url}/report`]);
  t.is(purge.status, 404);
  t.deepEqual(JSON.parse(purge.body), { error: '/report is not cached', status: 404 });
  await s.close();
});

test('a method the app does not implement gets 501 with the implemented methods', async (t) => {
  const s = await startExample();
  const brew = await curl(['-X', 'BREW', `${s.url}/report`]);
  t.is(brew.status, 501);
  t.regex(brew.headers, /\r\nallow: get, head, post, put, delete, patch, options, purge/);
  await s.close();
});

test('a method the page does not allow gets 405 with Allow', async (t) => {
  const s = await startExample();
  const del = await curl(['-X', 'DELETE', `${s.url}/report`]);
  t.is(del.status, 405);
  t.regex(del.headers, /\r\nallow: get, purge, head, options/);
  await s.close();
});

test('OPTIONS * lists PURGE among the server methods', async (t) => {
  const s = await startExample();
  const options = await curl(['-X', 'OPTIONS', '--request-target', '*', s.url]);
  t.is(options.status, 204);
  t.regex(options.headers, /\r\nallow: get, head, post, put, delete, patch, options, purge/);
  await s.close();
});
