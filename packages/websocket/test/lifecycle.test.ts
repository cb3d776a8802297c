// Sockets over time: the heartbeat terminates peers that stop answering pings and keeps live ones,
// app.close() sends 1001 to every socket, 1,000 sockets held open at once, backpressure visible
// through bufferedAmount, a failing handler closes with 1011, and bad options are refused.
import { once } from 'node:events';
import test from 'ava';
import { websocket, websocketDefaults } from '@sluice/websocket';
import WebSocket from 'ws';
import { closed, nextMessage, open, start } from './helpers.js';

const echo = (options = {}) => websocket('/echo', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
}, options);

test('the heartbeat terminates a peer that stops answering pings', async (t) => {
  const server = await start(echo({ heartbeatIntervalMs: 200 }));
  const ws = new WebSocket(`${server.url}/echo`, { autoPong: false });
  let pings = 0;
  ws.on('ping', () => pings++);
  const result = closed(ws);
  const { code } = await result;
  t.is(code, 1006, `pings seen: ${pings}`); // terminated: no close frame
  t.true(pings >= 1);
  await server.close();
});

test('the heartbeat keeps a peer that answers pings', async (t) => {
  const server = await start(echo({ heartbeatIntervalMs: 300 }));
  const ws = await open(`${server.url}/echo`);
  let pings = 0;
  // The client answers each ping at once (ws's autoPong): three rounds survive the check.
  await new Promise<void>((resolve, reject) => {
    ws.on('ping', () => {
      if (++pings === 3) resolve();
    });
    ws.once('close', (code) => reject(new Error(`closed with ${code} after ${pings} pings`)));
  });
  t.is(ws.readyState, WebSocket.OPEN);
  ws.send('alive');
  t.is((await nextMessage(ws)).data.toString(), 'alive');
  ws.close();
  await server.close();
});

test('app.close() sends 1001 to every open socket and finishes once they closed, well before the grace period', async (t) => {
  const server = await start(echo());
  const sockets = await Promise.all(Array.from({ length: 5 }, () => open(`${server.url}/echo`)));
  const codes = Promise.all(sockets.map((ws) => closed(ws)));
  const started = Date.now();
  await server.close(60_000);
  t.true(Date.now() - started < 30_000);
  for (const result of await codes) t.deepEqual(result, { code: 1001, reason: websocketDefaults.shutdownReason });
  t.is(server.app.connectionCount, 0);
});

test('1,000 WebSockets held open at once, each echoing, all counted as connections', async (t) => {
  const server = await start(echo(), { limits: { maxConnections: 2000 } });
  const sockets: WebSocket[] = [];
  for (let batch = 0; batch < 10; batch++) {
    sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => open(`${server.url}/echo`)))));
  }
  t.is(server.app.connectionCount, 1000);
  const replies = await Promise.all(sockets.map(async (ws, i) => {
    const reply = nextMessage(ws);
    ws.send(`n${i}`);
    return (await reply).data.toString();
  }));
  t.deepEqual(replies, sockets.map((_, i) => `n${i}`));
  const codes = Promise.all(sockets.map((ws) => closed(ws)));
  await server.close(10_000);
  t.true((await codes).every(({ code }) => code === 1001));
});

test('backpressure: bufferedAmount grows while the client does not read, and everything arrives once it does', async (t) => {
  const CHUNK = 256 * 1024;
  const HIGH_WATER = 2 * 1024 * 1024;
  let sent = 0;
  let peak = 0;
  const server = await start(websocket('/flood', (socket) => {
    socket.on('message', () => {
      // Send until the socket holds HIGH_WATER unsent bytes: what a producer checks before sending more.
      while (socket.bufferedAmount < HIGH_WATER && sent < 256 * CHUNK) {
        socket.send(Buffer.alloc(CHUNK, sent / CHUNK));
        sent += CHUNK;
      }
      peak = socket.bufferedAmount;
      socket.send('end');
    });
  }));
  const ws = await open(`${server.url}/flood`, undefined, { maxPayload: CHUNK * 2 });
  const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  raw.pause();
  ws.send('go');
  // Wait until the server stopped on its high-water mark (the kernel's buffers are full).
  while (peak === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(peak >= HIGH_WATER);
  t.true(sent < 256 * CHUNK);
  let received = 0;
  const done = new Promise<void>((resolve) => ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) received += data.length;
    else resolve();
  }));
  raw.resume();
  await done;
  t.is(received, sent);
  ws.close();
  await server.close();
});

test('a handler that throws: the socket is closed with 1011 and the error reported to app "error" listeners', async (t) => {
  const server = await start(websocket('/broken', () => {
    throw new Error('handler bug');
  }));
  const errors: string[] = [];
  server.app.on('error', (error: Error) => errors.push(error.message));
  const ws = new WebSocket(`${server.url}/broken`);
  t.is((await closed(ws)).code, 1011);
  t.deepEqual(errors, ['handler bug']);
  await server.close();
});

test('a handler whose promise rejects: closed with 1011, reported', async (t) => {
  const server = await start(websocket('/broken', async (socket) => {
    await new Promise((resolve) => socket.once('message', resolve));
    throw new Error('async bug');
  }));
  const errors: string[] = [];
  server.app.on('error', (error: Error) => errors.push(error.message));
  const ws = await open(`${server.url}/broken`);
  ws.send('x');
  t.is((await closed(ws)).code, 1011);
  t.deepEqual(errors, ['async bug']);
  await server.close();
});

test('bad options and arguments are refused at construction, naming the key', (t) => {
  const handler = () => {};
  t.throws(() => websocket('/x', handler, { maxPayload: -1 }), { code: 'SLUICE_ERR_WS_BAD_OPTION', message: /"maxPayload"/ });
  t.throws(() => websocket('/x', handler, { shutdownCode: 1006 }), { code: 'SLUICE_ERR_WS_BAD_OPTION', message: /"shutdownCode"/ });
  t.throws(() => websocket('/x', handler, { maxPayloads: 1 } as never), { code: 'SLUICE_ERR_WS_BAD_OPTION', message: /"maxPayloads"/ });
  t.throws(() => websocket('x', handler), { code: 'SLUICE_ERR_WS_BAD_OPTION', message: /"path"/ });
  t.throws(() => websocket('/x', 'nope' as never), { code: 'SLUICE_ERR_WS_BAD_OPTION', message: /"handler"/ });
});

test('a handshake still in the middleware when app.close() begins gets 503, as HTTP', async (t) => {
  let authStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (authStarted = resolve));
  let releaseAuth: () => void = () => {};
  const gate = new Promise<void>((resolve) => (releaseAuth = resolve));
  const server = await start([async (ctx, next) => {
    if (ctx.query.slow !== undefined) {
      authStarted();
      await gate;
    }
    await next();
  }, echo()]);
  server.app.on('error', () => {}); // the 503 is expected: not logged
  // The endpoint has served this app before: it knows when the app closes.
  const first = await open(`${server.url}/echo`);
  const ws = new WebSocket(`${server.url}/echo?slow`);
  ws.on('error', () => {});
  const response = once(ws, 'unexpected-response') as Promise<[{ destroy(): void }, { statusCode: number; headers: Record<string, string> }]>;
  await started;
  const closing = server.close(5000);
  releaseAuth();
  const [request, res] = await response;
  t.is(res.statusCode, 503);
  t.is(res.headers['retry-after'], '1');
  request.destroy();
  t.is((await closed(first)).code, 1001);
  await closing;
});
