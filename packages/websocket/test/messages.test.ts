// Messages through websocket() with the ws client: text, binary, fragmented, 16 MiB, permessage-deflate,
// subprotocols, ping/pong, close codes, and an oversized message closed with 1009.
import { once } from 'node:events';
import test from 'ava';
import { websocket, type WebSocketOptions } from '@sluice/websocket';
import WebSocket from 'ws';
import { closed, nextMessage, open, start } from './helpers.js';

/** An echo endpoint at /echo with `options`. */
function echo(options?: WebSocketOptions) {
  return start(websocket('/echo', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  }, options));
}

test('a text message is echoed as text', async (t) => {
  const server = await echo();
  const ws = await open(`${server.url}/echo`);
  ws.send('héllo wörld');
  const { data, isBinary } = await nextMessage(ws);
  t.is(data.toString('utf8'), 'héllo wörld');
  t.false(isBinary);
  ws.close();
  await server.close();
});

test('a binary message is echoed byte for byte', async (t) => {
  const server = await echo();
  const ws = await open(`${server.url}/echo`);
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  ws.send(bytes);
  const { data, isBinary } = await nextMessage(ws);
  t.true(isBinary);
  t.deepEqual(data, bytes);
  ws.close();
  await server.close();
});

test('a message sent in fragments arrives whole', async (t) => {
  const server = await echo();
  const ws = await open(`${server.url}/echo`);
  ws.send('frag', { fin: false });
  ws.send('men', { fin: false });
  ws.send('ted', { fin: true });
  t.is((await nextMessage(ws)).data.toString(), 'fragmented');
  ws.close();
  await server.close();
});

test('a 16 MiB message round-trips when maxPayload allows it', async (t) => {
  const server = await echo({ maxPayload: 16 * 1024 * 1024 });
  const ws = await open(`${server.url}/echo`, undefined, { maxPayload: 32 * 1024 * 1024 });
  const big = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
  ws.send(big);
  const { data } = await nextMessage(ws);
  t.is(data.length, big.length);
  t.true(data.equals(big));
  ws.close();
  await server.close();
});

test('a message over maxPayload closes the socket with 1009 and the server keeps serving', async (t) => {
  const server = await echo({ maxPayload: 1024 });
  const ws = await open(`${server.url}/echo`);
  ws.send(Buffer.alloc(1025));
  t.is((await closed(ws)).code, 1009);
  const again = await open(`${server.url}/echo`);
  again.send('still fine');
  t.is((await nextMessage(again)).data.toString(), 'still fine');
  again.close();
  await server.close();
});

test('permessage-deflate is negotiated when enabled, and messages still round-trip', async (t) => {
  const server = await echo({ perMessageDeflate: true });
  const ws = await open(`${server.url}/echo`, undefined, { perMessageDeflate: true });
  t.regex(ws.extensions, /permessage-deflate/);
  const text = 'compressible '.repeat(1000);
  ws.send(text);
  t.is((await nextMessage(ws)).data.toString(), text);
  ws.close();
  await server.close();
});

test('permessage-deflate is off by default: the client\'s offer is declined', async (t) => {
  const server = await echo();
  const ws = await open(`${server.url}/echo`, undefined, { perMessageDeflate: true });
  t.is(ws.extensions, '');
  ws.close();
  await server.close();
});

test('subprotocols: handleProtocols picks one of those offered, and the handler sees it', async (t) => {
  const server = await start(websocket('/proto', (socket) => socket.send(`chose ${socket.protocol}`), {
    handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
  }));
  const ws = new WebSocket(`${server.url}/proto`, ['chat.v1', 'chat.v2']);
  // The server speaks first: listen before the open event.
  const first = nextMessage(ws);
  await once(ws, 'open');
  t.is(ws.protocol, 'chat.v2');
  t.is((await first).data.toString(), 'chose chat.v2');
  ws.close();
  await server.close();
});

test('ping from the client is answered with a pong carrying the same data', async (t) => {
  const server = await echo();
  const ws = await open(`${server.url}/echo`);
  ws.ping('are you there');
  const [data] = (await once(ws, 'pong')) as [Buffer];
  t.is(data.toString(), 'are you there');
  ws.close();
  await server.close();
});

test('a close code and reason from the server reach the client', async (t) => {
  const server = await start(websocket('/close', (socket) => {
    socket.on('message', (data) => socket.close(Number(data.toString()), `closing ${data.toString()}`));
  }));
  const ws = await open(`${server.url}/close`);
  ws.send('4001');
  t.deepEqual(await closed(ws), { code: 4001, reason: 'closing 4001' });
  await server.close();
});

test('a close code and reason from the client reach the handler', async (t) => {
  let resolveSeen: (value: [number, string]) => void = () => {};
  const seen = new Promise<[number, string]>((resolve) => (resolveSeen = resolve));
  const server = await start(websocket('/record', (socket) => {
    socket.on('close', (code, reason) => resolveSeen([code, reason.toString()]));
  }));
  const ws = await open(`${server.url}/record`);
  ws.close(3000, 'client says bye');
  t.deepEqual(await seen, [3000, 'client says bye']);
  await server.close();
});
