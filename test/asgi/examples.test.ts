// The ASGI examples (examples/asgi) run unmodified through the `sluice` command
// (`sluice --asgi PREFIX=MODULE:ATTR`) with Debian's Starlette, FastAPI and Django.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import test from 'ava';
import WebSocket from 'ws';
import { runSluice, startSluice } from '../server/helpers.js';
import { APPS_DIR, EXAMPLES_DIR, PYTHON } from './helpers.js';

const sluice = (t: Parameters<typeof startSluice>[0], example: string, mount: string) =>
  startSluice(t, ['--port', '0', '--python', PYTHON, '--asgi', mount], { cwd: path.join(EXAMPLES_DIR, example) });

test('Starlette: page, path parameters, lifespan state, a JSON POST, a streamed response, mounted under /app', async (t) => {
  const s = await sluice(t, 'starlette', '/app=app:app');
  t.regex(await (await fetch(`${s.url}/app/`)).text(), /<h1>Hello from Starlette<\/h1>/);
  t.is(await (await fetch(`${s.url}/app/hello/W%C3%B6rld`)).text(), 'Hello, Wörld!\n');
  const infoResponse = await fetch(`${s.url}/app/info?x=1`);
  t.is(infoResponse.status, 200, s.stderr());
  const info = (await infoResponse.json()) as Record<string, unknown>;
  t.is(info.root_path, '/app');
  t.is(info.url, `${s.url}/app/info?x=1`);
  t.is(info.started, true);
  t.deepEqual(info.query, { x: '1' });
  const note = await fetch(`${s.url}/app/notes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"two words"}' });
  t.is(note.status, 201);
  t.deepEqual(await note.json(), { received: { text: 'two words' }, bytes: 20 });
  const stream = await fetch(`${s.url}/app/stream?count=50`);
  t.is(stream.headers.get('transfer-encoding'), 'chunked');
  t.is((await stream.text()).split('\n')[49], 'line 49');
  t.is((await fetch(`${s.url}/elsewhere`)).status, 404);
});

test('Starlette: the /ws WebSocket endpoint through `sluice --asgi` (subprotocol, text, bytes, the app\'s close code)', async (t) => {
  const s = await sluice(t, 'starlette', '/app=app:app');
  const wsUrl = s.url.replace(/^http/, 'ws');
  const ws = new WebSocket(`${wsUrl}/app/ws`, ['echo']);
  await once(ws, 'open');
  t.is(ws.protocol, 'echo');
  const messages: Array<[Buffer, boolean]> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => messages.push([data, isBinary]));
  const next = async (): Promise<[Buffer, boolean]> => {
    while (messages.length === 0) await once(ws, 'message');
    return messages.shift()!;
  };
  ws.send('hi there');
  const [text, textIsBinary] = await next();
  t.false(textIsBinary);
  t.is(text.toString(), 'echo: hi there');
  ws.send(Buffer.from('abc'));
  const [bytes, bytesIsBinary] = await next();
  t.true(bytesIsBinary);
  t.is(bytes.toString(), 'cba');
  const closed = once(ws, 'close');
  ws.send('close');
  t.is(((await closed) as [number])[0], 4000);
  // A path the app has no WebSocket route for: Starlette closes before accepting, so 403.
  const stray = new WebSocket(`${wsUrl}/app/nowhere`);
  stray.on('error', () => {});
  const [, response] = (await once(stray, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
  response.resume();
  t.is(response.statusCode, 403);
  t.is(await (await fetch(`${s.url}/app/hello/again`)).text(), 'Hello, again!\n');
});

test('FastAPI: path, query and body validation (422), 404 from HTTPException, a streamed response', async (t) => {
  const s = await sluice(t, 'fastapi', '/=main:app');
  t.deepEqual(await (await fetch(`${s.url}/`)).json(), { hello: 'FastAPI on sluice' });
  const item = await fetch(`${s.url}/items/1?q=find&limit=5`);
  t.is(item.status, 200);
  t.deepEqual(await item.json(), { id: 1, item: { name: 'hammer', price: 9.5, tags: ['tools'] }, q: 'find', limit: 5 });
  const badPath = await fetch(`${s.url}/items/one`);
  t.is(badPath.status, 422);
  t.is(((await badPath.json()) as { detail: Array<{ loc: string[] }> }).detail[0].loc.join('.'), 'path.item_id');
  const badQuery = await fetch(`${s.url}/items/1?limit=1000`);
  t.is(badQuery.status, 422);
  t.is(((await badQuery.json()) as { detail: Array<{ loc: string[] }> }).detail[0].loc.join('.'), 'query.limit');
  t.is((await fetch(`${s.url}/items/99`)).status, 404);
  const created = await fetch(`${s.url}/items/7`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'saw', price: 12, tags: ['a'] }) });
  t.is(created.status, 201);
  t.deepEqual(await created.json(), { id: 7, item: { name: 'saw', price: 12, tags: ['a'] } });
  const badBody = await fetch(`${s.url}/items/8`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '', price: -1 }) });
  t.is(badBody.status, 422);
  t.deepEqual(((await badBody.json()) as { detail: Array<{ loc: string[] }> }).detail.map((d) => d.loc.join('.')).sort(), ['body.name', 'body.price']);
  const stream = await fetch(`${s.url}/stream?count=1000`);
  t.is(stream.headers.get('transfer-encoding'), 'chunked');
  const lines = (await stream.text()).trimEnd().split('\n');
  t.is(lines.length, 1000);
  t.is(lines[999], '999');
});

test('Django: async views on the worker\'s event loop, request body, a streamed response, mounted under /dj', async (t) => {
  const s = await sluice(t, 'django', '/dj=asyncsite.asgi:application');
  const index = await fetch(`${s.url}/dj/`);
  t.is(index.status, 200);
  t.is(await index.text(), 'Hello from an async Django view\n');
  const info = (await (await fetch(`${s.url}/dj/info?a=b`)).json()) as Record<string, unknown>;
  t.like(info, { path: '/dj/info', path_info: '/info', script_name: '/dj', method: 'GET', query: { a: 'b' }, loop_running: true, thread: 'MainThread' });
  const echo = await fetch(`${s.url}/dj/echo`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(300_000, 1) });
  t.deepEqual(await echo.json(), { length: 300_000, content_type: 'application/octet-stream' });
  t.is((await (await fetch(`${s.url}/dj/stream?count=3`)).text()), 'line 0\nline 1\nline 2\n');
  t.is((await fetch(`${s.url}/dj/missing`)).status, 404);
});

test('a config file\'s asgi and asgiWorkers keys serve the app with that many workers', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-asgi-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'sluice.json'), JSON.stringify({
    port: 0, python: PYTHON, asgi: { '/api': 'main:app' }, asgiWorkers: 2, wsgiPath: [path.join(EXAMPLES_DIR, 'fastapi')],
  }));
  const s = await startSluice(t, ['--config', path.join(dir, 'sluice.json')]);
  t.deepEqual(await (await fetch(`${s.url}/api/`)).json(), { hello: 'FastAPI on sluice' });
  const pids = new Set<number>();
  for (let i = 0; i < 20 && pids.size < 2; i++) {
    const responses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}/api/pid`)));
    for (const response of responses) pids.add(((await response.json()) as { pid: number }).pid);
  }
  t.is(pids.size, 2);
});

test('an ASGI app whose lifespan startup fails stops sluice with exit status 2 and the app\'s message', async (t) => {
  const { code, stderr } = await runSluice(t, ['--port', '0', '--python', PYTHON, '--asgi', '/=startup_fails:app'], { cwd: APPS_DIR });
  t.is(code, 2);
  t.regex(stderr, /^sluice: asgi\["\/"\]: ASGI application "startup_fails:app" failed to load the application: .*database unreachable at db:5432/m);
});
