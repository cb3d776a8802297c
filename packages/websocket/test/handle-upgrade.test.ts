// ws's own WebSocketServer({ noServer: true }).handleUpgrade(ctx.req, socket, head, cb), unmodified,
// on sluice's ctx.takeover(): the convention socket.io's engine, graphql-ws and http-proxy follow.
import { once } from 'node:events';
import net from 'node:net';
import test from 'ava';
import { WebSocketServer } from 'ws';
import { closed, nextMessage, open, start } from './helpers.js';

test('ws handleUpgrade works unmodified with ctx.req and ctx.takeover()', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  let seenUrl = '';
  const server = await start(async (ctx, next) => {
    if (ctx.get('Upgrade').toLowerCase() !== 'websocket') return next();
    const { socket, head } = ctx.takeover();
    wss.handleUpgrade(ctx.req as never, socket as never, head, (ws, req) => {
      seenUrl = req.url ?? '';
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  const ws = await open(`${server.url}/raw?x=1`);
  ws.send('hello');
  const message = await nextMessage(ws);
  t.is(message.data.toString(), 'hello');
  t.false(message.isBinary);
  t.is(seenUrl, '/raw?x=1');
  ws.close(1000, 'done');
  t.deepEqual(await closed(ws), { code: 1000, reason: 'done' });
  await server.close();
});

test('ws handleUpgrade refuses a handshake it does not accept, and the server stays healthy', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  const server = await start(async (ctx) => {
    if (ctx.get('Upgrade').toLowerCase() !== 'websocket') {
      ctx.body = 'healthy';
      return;
    }
    const { socket, head } = ctx.takeover();
    wss.handleUpgrade(ctx.req as never, socket as never, head, () => t.fail('accepted'));
  });
  // Version 7 is not one ws speaks: it writes its own 400 and drops the connection.
  const socket = net.connect(server.port, '127.0.0.1');
  socket.end('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  await once(socket, 'close');
  t.regex(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const again = await fetch(`http://127.0.0.1:${server.port}/`);
  t.is(await again.text(), 'healthy');
  await server.close();
});
