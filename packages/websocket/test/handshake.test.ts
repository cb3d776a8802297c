// The opening handshake as HTTP: curl sees the 101 with the right Sec-WebSocket-Accept; refused
// handshakes are ordinary HTTP responses on a connection that stays usable; middleware before the
// endpoint (authentication) answers as usual; non-WebSocket requests go on; @koa/router routes.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import Router from '@koa/router';
import test from 'ava';
import { websocket } from '@sluice/websocket';
import WebSocket from 'ws';
import { nextMessage, open, start } from './helpers.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const HANDSHAKE = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' };

const hello = () => websocket('/ws', (socket) => socket.send('hi'));

/** curl with `headers` on `url`; stdout whatever the exit code (a 101 leaves curl waiting until --max-time). */
function curl(url: string, headers: Record<string, string>, extra: string[] = []): Promise<{ stdout: string; code: number }> {
  const args = ['-sS', '-i', '--http1.1', '--max-time', '1', ...extra];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve) => {
    execFile('curl', args, (error, stdout) => resolve({ stdout, code: error === null ? 0 : Number((error as { code?: number }).code) }));
  });
}

/** Writes `request` on a raw connection and reads until `count` responses' heads arrived (or close). */
async function rawExchange(port: number, request: string, until: RegExp): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(request);
  let text = '';
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until.test(text)) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.destroy();
  return text;
}

test('curl: the handshake is answered 101 with the Sec-WebSocket-Accept of RFC 6455\'s example', async (t) => {
  const server = await start(hello());
  const { stdout, code } = await curl(`http://127.0.0.1:${server.port}/ws`, HANDSHAKE);
  t.is(code, 28); // the connection stays open for WebSocket frames: curl waits until --max-time
  t.regex(stdout, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  t.regex(stdout, /\r\nUpgrade: websocket\r\n/i);
  t.regex(stdout, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  await server.close();
});

test('a plain GET to the endpoint goes to the next middleware', async (t) => {
  const server = await start([hello(), (ctx) => {
    ctx.body = 'the page';
  }]);
  const res = await fetch(`http://127.0.0.1:${server.port}/ws`);
  t.is(await res.text(), 'the page');
  await server.close();
});

test('a WebSocket handshake on another path is left to the next middleware (404 when none answers)', async (t) => {
  const server = await start(hello());
  const { stdout } = await curl(`http://127.0.0.1:${server.port}/elsewhere`, HANDSHAKE);
  t.regex(stdout, /^HTTP\/1\.1 404 /);
  await server.close();
});

test('an unsupported version gets 426 with the versions spoken, on a connection kept open', async (t) => {
  const server = await start(hello());
  const request = `GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 7\r\n\r\n` +
    'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  const text = await rawExchange(server.port, request, /HTTP\/1\.1 404[\s\S]*$/);
  t.regex(text, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
  t.regex(text, /\r\nsec-websocket-version: 13, 8\r\n/i);
  t.regex(text, /HTTP\/1\.1 404 Not Found/); // the second request was read: the connection survived
  await server.close();
});

test('malformed handshakes are answered as HTTP: bad key 400, POST 405, no Connection: upgrade 400, HTTP/1.0 400', async (t) => {
  const server = await start(hello());
  const url = `http://127.0.0.1:${server.port}/ws`;
  t.regex((await curl(url, { ...HANDSHAKE, 'Sec-WebSocket-Key': 'short' })).stdout, /^HTTP\/1\.1 400 [\s\S]*Sec-WebSocket-Key/);
  const post = await curl(url, HANDSHAKE, ['-X', 'POST']);
  t.regex(post.stdout, /^HTTP\/1\.1 405 /);
  t.regex(post.stdout, /\r\nAllow: GET\r\n/i);
  t.regex((await curl(url, { ...HANDSHAKE, Connection: 'keep-alive' })).stdout, /^HTTP\/1\.1 400 [\s\S]*Connection: upgrade/);
  t.regex((await curl(url, HANDSHAKE, ['--http1.0'])).stdout, /^HTTP\/1\.0 400 /);
  t.regex((await curl(url, { ...HANDSHAKE, 'Sec-WebSocket-Protocol': 'a b' })).stdout, /^HTTP\/1\.1 400 [\s\S]*Sec-WebSocket-Protocol/);
  // And the server is healthy.
  const ws = await open(`ws://127.0.0.1:${server.port}/ws`);
  ws.close();
  await server.close();
});

test('authentication before the endpoint: a 401 is a normal HTTP response, an accepted user reaches the handler with ctx.state', async (t) => {
  const server = await start([
    async (ctx, next) => {
      const user = ctx.cookies.get('user');
      if (user === undefined) ctx.throw(401, 'log in first');
      ctx.state.user = user;
      await next();
    },
    websocket('/ws', (socket, ctx) => socket.send(`hello ${ctx.state.user} at ${ctx.query.room}`)),
  ]);
  const refused = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
  refused.on('error', () => {});
  const [request, response] = (await once(refused, 'unexpected-response')) as [{ destroy(): void }, { statusCode: number }];
  t.is(response.statusCode, 401);
  request.destroy();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?room=lobby`, { headers: { Cookie: 'user=ada' } });
  const first = nextMessage(ws);
  t.is((await first).data.toString(), 'hello ada at lobby');
  ws.close();
  await server.close();
});

test('inside a @koa/router route (the form without a path), with route params', async (t) => {
  const router = new Router();
  router.get('/rooms/:room', websocket((socket, ctx) => socket.send(`room ${(ctx as unknown as { params: { room: string } }).params.room}`)));
  const server = await start(router.routes() as never);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rooms/42`);
  t.is((await nextMessage(ws)).data.toString(), 'room 42');
  ws.close();
  await server.close();
});
