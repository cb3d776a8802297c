// Load-shaped engine tests, run serially in their own worker so their bursts do not starve
// other tests' timers: 10,000 pipelined requests on one connection, 1,000 concurrent
// connections, and a client pipelining large answers without reading them.
import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import { eventually, parseResponses, raw, start, Wire } from './helpers.js';

test.serial('10,000 pipelined requests on one connection are answered in order', async (t) => {
  const s = await start((ctx) => {
    ctx.body = ctx.path.slice(1);
  });
  const wire = await Wire.open(s.port);
  const n = 10_000;
  let all = '';
  for (let i = 0; i < n; i++) all += `GET /${i} HTTP/1.1\r\nHost: a\r\n${i === n - 1 ? 'Connection: close\r\n' : ''}\r\n`;
  wire.write(all);
  await wire.closedByServer(60_000);
  const responses = parseResponses(wire.text);
  t.is(responses.length, n);
  t.true(responses.every((r, i) => r.status === 200 && r.body === String(i)));
  await s.close();
});

test.serial('1,000 concurrent connections held open, then all served', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'ok';
  });
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 1000; i++) {
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => {});
    sockets.push(socket);
  }
  await Promise.all(sockets.map((socket) => once(socket, 'connect')));
  await eventually(() => s.app.connectionCount === 1000, 10_000, '1000 connections');
  const answers = sockets.map(
    (socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
        socket.on('close', () => resolve(text));
      }),
  );
  for (const socket of sockets) socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const texts = await Promise.all(answers);
  t.is(texts.filter((x) => parseResponses(x)[0]?.body === 'ok').length, 1000);
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.is(parseResponses(text)[0]?.body, 'ok');
  await eventually(() => s.app.connectionCount === 0, 5000);
  await s.close();
});

test.serial('a client pipelining without reading makes the server stop answering, not queue responses', async (t) => {
  let answered = 0;
  const s = await start((ctx) => {
    answered++;
    ctx.body = Buffer.alloc(256 * 1024, 0x62);
  });
  const socket = net.connect({ port: s.port, host: '127.0.0.1' });
  await once(socket, 'connect');
  socket.pause();
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(500));
  await new Promise((r) => setTimeout(r, 500));
  t.true(answered < 50, `answered ${answered} of 500 while the client read nothing`);
  // Once the client reads, every request is answered.
  let bytes = 0;
  socket.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  socket.resume();
  await eventually(() => answered === 500, 20_000, 'all answered');
  t.is(answered, 500);
  await eventually(() => bytes > 500 * 256 * 1024, 20_000, 'all bytes');
  socket.destroy();
  await s.close();
});
