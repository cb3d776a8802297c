// The ASGI `websocket` scope through the bridge, with the `ws` client on real sockets:
// accept with subprotocol and headers, text and bytes, the app's close code, the client's
// close code heard as websocket.disconnect, refusals before accept (403, 500), malformed
// handshakes (400, 426), messages in flight bounded both ways, and the message size limit.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import WebSocket from 'ws';
import { eventually, raw, startAsgi, type Running } from './helpers.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

async function withApp(run: (s: Running) => Promise<void>, loop: 'auto' | 'asyncio' | 'uvloop' = 'auto'): Promise<void> {
  const s = await startAsgi({ app: 'websockets:app', maxMessageBytes: 64 * 1024, loop });
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

function open(s: Running, pathname: string, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}${pathname}`, protocols);
  return once(ws, 'open').then(() => ws);
}

async function ask(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  const reply = once(ws, 'message');
  ws.send(data);
  const [message, isBinary] = (await reply) as [Buffer, boolean];
  return { data: message, isBinary };
}

function refusal(s: Running, pathname: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}${pathname}`);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('open', () => reject(new Error('the handshake completed')));
    ws.on('error', () => {});
  });
}

test('text and bytes echo, the chosen subprotocol and accept headers, the websocket scope', async (t) => {
  await withApp(async (s) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/echo?room=1`, ['other', 'chat']);
    const upgraded = once(ws, 'upgrade');
    await once(ws, 'open');
    const [response] = (await upgraded) as [{ headers: Record<string, string> }];
    t.is(ws.protocol, 'chat');
    t.is(response.headers['x-accepted'], 'yes');
    const text = await ask(ws, 'héllo');
    t.false(text.isBinary);
    t.is(text.data.toString(), 'echo: héllo');
    const bytes = await ask(ws, Buffer.from([0, 1, 2, 255]));
    t.true(bytes.isBinary);
    t.deepEqual([...bytes.data], [0, 1, 2, 255]);
    const scope = JSON.parse((await ask(ws, 'scope')).data.toString()) as Record<string, unknown>;
    t.is(scope.type, 'websocket');
    t.is(scope.scheme, 'ws');
    t.is(scope.http_version, '1.1');
    t.is(scope.path, '/echo');
    t.is(scope.raw_path, '/echo');
    t.is(scope.query_string, 'room=1');
    t.is(scope.root_path, '');
    t.deepEqual(scope.subprotocols, ['other', 'chat']);
    t.deepEqual(scope.server, ['127.0.0.1', s.port]);
    t.is((scope.client as unknown[])[0], '127.0.0.1');
    t.true((scope.headers as string[][]).some(([name, value]) => name === 'sec-websocket-key' && value.length === 24));
    t.is((scope.asgi as { version: string }).version, '3.0');
    ws.close();
    await once(ws, 'close');
  });
});

test('the application closes with a code and reason; the client\'s close reaches it as websocket.disconnect with the code', async (t) => {
  await withApp(async (s) => {
    const ws = await open(s, '/echo');
    const closed = once(ws, 'close');
    ws.send('close');
    const [code, reason] = (await closed) as [number, Buffer];
    t.is(code, 4001);
    t.is(reason.toString(), 'bye');

    const other = await open(s, '/echo');
    other.close(4321, 'leaving');
    await once(other, 'close');
    t.is(await eventually(() => { try { return readFileSync(path.join(s.markers, 'disconnect'), 'utf8'); } catch { return null; } }), '4321 leaving');
    await eventually(() => s.bridge.stats().active === 0, 20_000, 'the connection to leave its worker');
  });
});

test('refused before accept: websocket.close is 403, an exception 500, and the server keeps serving', async (t) => {
  await withApp(async (s) => {
    t.is(await refusal(s, '/reject'), 403);
    t.is(await refusal(s, '/raise'), 500);
    t.true(s.logs.some((entry) => /refusing with an exception/.test(entry.message + JSON.stringify(entry))));
    const ws = await open(s, '/echo');
    t.is((await ask(ws, 'still')).data.toString(), 'echo: still');
    ws.close();
    t.is(await (await fetch(`${s.url}/plain`)).text(), 'http /plain');
  });
});

test('malformed handshakes get 400 or 426 without reaching the application; other upgrades stay http', async (t) => {
  await withApp(async (s) => {
    const head = (extra: string) => `GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
    const badKey = await raw(s.port, head('Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\nConnection: close\r\n'));
    t.regex(badKey.text, /^HTTP\/1\.1 400 /);
    t.regex(badKey.text, /Sec-WebSocket-Key is missing or malformed/);
    const badVersion = await raw(s.port, head(`Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: ${KEY}\r\nConnection: close\r\n`));
    t.regex(badVersion.text, /^HTTP\/1\.1 426 /);
    t.regex(badVersion.text, /sec-websocket-version: 13\r\n/i);
    const h2c = await raw(s.port, 'GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: h2c\r\n\r\n');
    t.regex(h2c.text, /^HTTP\/1\.1 200 /);
    t.regex(h2c.text, /\r\n\r\nhttp \/echo$/);
  });
});

for (const loop of ['uvloop', 'asyncio'] as const) test(`many messages each way arrive complete and in order (bounded in flight both ways), loop ${loop}`, async (t) => {
  await withApp(async (s) => {
    t.is((await (await fetch(s.url)).text()), 'http /');
    const ws = await open(s, '/echo');
    const got: string[] = [];
    ws.on('message', (data: Buffer) => got.push(data.toString()));
    ws.send('flood 500');
    for (let i = 0; i < 300; i++) ws.send(`m${i}`);
    await eventually(() => got.length >= 800, 30_000, '800 messages');
    const flood = got.filter((m) => !m.startsWith('echo: '));
    const echoes = got.filter((m) => m.startsWith('echo: '));
    t.is(flood.length, 500);
    t.deepEqual(flood.map((m) => Number(m.split(' ')[0])), Array.from({ length: 500 }, (_, i) => i));
    t.deepEqual(echoes, Array.from({ length: 300 }, (_, i) => `echo: m${i}`));
    ws.close();
    await once(ws, 'close');
  }, loop);
});

test('the worker dying under an open WebSocket closes it with 1011; a new connection works once a worker respawned', async (t) => {
  await withApp(async (s) => {
    const ws = await open(s, '/echo');
    const closed = once(ws, 'close');
    ws.send('crash');
    t.is(((await closed) as [number])[0], 1011);
    t.true(s.logs.some((entry) => /SLUICE_ERR_ASGI_WORKER_CRASHED|worker/i.test(entry.message)));
    const again = await eventually(async () => {
      try {
        return await open(s, '/echo');
      } catch {
        return null;
      }
    }, 20_000, 'a WebSocket to the respawned worker');
    t.is((await ask(again, 'back')).data.toString(), 'echo: back');
    again.close();
    await once(again, 'close');
  });
});

test('app.close() sends open WebSockets a 1001 close and the application hears it', async (t) => {
  const s = await startAsgi({ app: 'websockets:app' });
  const ws = await open(s, '/echo');
  const closed = once(ws, 'close');
  const closing = s.app.close(5000);
  t.is(((await closed) as [number])[0], 1001);
  await closing;
  t.regex(await eventually(() => { try { return readFileSync(path.join(s.markers, 'disconnect'), 'utf8'); } catch { return null; } }), /^1001/);
  await s.bridge.close(1000);
});

test('a client message over maxMessageBytes closes with 1009 and the application hears it', async (t) => {
  await withApp(async (s) => {
    const ws = await open(s, '/echo');
    ws.on('error', () => {});
    const closed = once(ws, 'close');
    ws.send(Buffer.alloc(64 * 1024 + 1));
    const [code] = (await closed) as [number];
    t.is(code, 1009);
    t.regex(await eventually(() => { try { return readFileSync(path.join(s.markers, 'disconnect'), 'utf8'); } catch { return null; } }), /^1009/);
  });
});
