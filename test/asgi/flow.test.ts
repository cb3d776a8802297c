// Flow between the client, Node and the asyncio worker: a slow consumer holds the
// application back (credit window), a client going away reaches the application as
// http.disconnect (mid-stream and before any response), and one worker holds 500
// long-poll requests at once.
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { eventually, startAsgi } from './helpers.js';

const readMarker = (dir: string, name: string): string | undefined => {
  const file = path.join(dir, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

test('a slow consumer holds the application back: it cannot send far ahead of what the client reads', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const size = 64 * 1024 * 1024;
    const socket = net.connect(running.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /big?${size} HTTP/1.1\r\nHost: x\r\n\r\n`);
    socket.pause();
    // Wait until the worker has stopped advancing (the window and the socket buffers are full).
    let last = '';
    await eventually(() => {
      const sent = readMarker(running.markers, 'sent');
      if (sent !== undefined && sent === last) return true;
      last = sent ?? '';
      return undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    const held = Number(readMarker(running.markers, 'sent'));
    t.true(held < size / 4, `the application sent ${held} of ${size} bytes to a client that read nothing`);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= size) socket.end();
    });
    socket.resume();
    await once(socket, 'close');
    t.true(received > size);
    t.is(Number(readMarker(running.markers, 'sent')), size);
  } finally {
    await running.close();
  }
});

test('the client going away mid-stream reaches the application as http.disconnect', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const socket = net.connect(running.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /forever HTTP/1.1\r\nHost: x\r\n\r\n');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    t.regex(chunk.toString(), /first/);
    // An abrupt close (RST, as a killed client with unread data): a half-close (FIN) alone is
    // a client that sent its request and still waits for the answer, which HTTP allows.
    socket.resetAndDestroy();
    t.is(await eventually(() => readMarker(running.markers, 'disconnect')), 'http.disconnect');
    await eventually(() => (running.bridge.stats().active === 0 ? true : undefined));
  } finally {
    await running.close();
  }
});

test('the client going away before any response reaches the application as http.disconnect', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const socket = net.connect(running.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /wait-disconnect HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => (running.bridge.stats().active === 1 ? true : undefined));
    // An abrupt close (RST, as a killed client with unread data): a half-close (FIN) alone is
    // a client that sent its request and still waits for the answer, which HTTP allows.
    socket.resetAndDestroy();
    t.is(await eventually(() => readMarker(running.markers, 'disconnect')), 'http.disconnect');
    await eventually(() => (running.bridge.stats().active === 0 ? true : undefined));
    t.is((await fetch(`${running.url}/stream?1`)).status, 200);
  } finally {
    await running.close();
  }
});

test('one worker holds 500 long-poll requests at once and answers them all when released', async (t) => {
  t.timeout(90_000);
  const running = await startAsgi({ app: 'conformance:app', timeoutMs: 60_000 });
  try {
    const count = 500;
    const sockets = await Promise.all(Array.from({ length: count }, async () => {
      const socket = net.connect(running.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('GET /longpoll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      return socket;
    }));
    const answers = sockets.map((socket) => new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    }));
    await eventually(() => (running.bridge.stats().active === count ? true : undefined), 60_000);
    t.is(running.bridge.stats().workers.length, 1);
    t.is(running.bridge.stats().queued, 0);
    writeFileSync(path.join(running.markers, 'release'), '');
    const texts = await Promise.all(answers);
    t.is(texts.filter((text) => /^HTTP\/1\.1 200 OK[\s\S]*\{"released": true\}$/.test(text)).length, count);
  } finally {
    await running.close();
  }
});
