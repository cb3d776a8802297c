/**
 * Files that change under a response, and clients that leave: a file truncated while
 * being sent ends the response by closing the connection (never more or other bytes than
 * announced), a file removed while being sent is still sent whole, a client that
 * disconnects releases the file descriptor, and the server stays healthy throughout.
 */
import { once } from 'node:events';
import { readdirSync, readlinkSync, truncateSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { makeSite, patternBytes, rawRequest, start } from './helpers.js';

const SIZE = 16 * 1024 * 1024;
const DATA = patternBytes(SIZE);

/** File descriptors of this process open on `path`. */
function fdsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(path)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** Connects, sends a GET, reads the head and `firstBytes` of body, then pauses reading. */
async function startSlowRead(port: number, path: string, firstBytes: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  let received = 0;
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= firstBytes) {
        socket.pause();
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return {
    socket,
    /** Reads the rest until the server closes; returns everything and whether it closed. */
    async finish(timeoutMs = 30_000): Promise<{ all: Buffer; closed: boolean }> {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
      if (!closed) await Promise.race([once(socket, 'close'), sleep(timeoutMs)]);
      socket.destroy();
      return { all: Buffer.concat(chunks), closed };
    },
  };
}

function splitResponse(all: Buffer): { head: string; body: Buffer; length: number } {
  const end = all.indexOf('\r\n\r\n');
  const head = all.subarray(0, end).toString('latin1');
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
  return { head, body: all.subarray(end + 4), length };
}

test('a file truncated while being sent: the connection closes short, nothing extra is sent, the server stays healthy', async (t) => {
  const site = makeSite({ 'big.bin': DATA, 'ok.txt': 'ok' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 0 }));
  try {
    const reader = await startSlowRead(s.port, '/big.bin', 64 * 1024);
    truncateSync(join(site.root, 'big.bin'), 1024 * 1024);
    const { all, closed } = await reader.finish();
    const { head, body, length } = splitResponse(all);
    t.regex(head, /^HTTP\/1\.1 200 /);
    t.is(length, SIZE);
    t.true(closed, 'the server closed the connection');
    t.true(body.length < SIZE, 'fewer bytes than announced: the client can tell');
    t.true(body.equals(DATA.subarray(0, body.length)), 'what was sent is the file, in order');
    t.is((await rawRequest(s.port, '/ok.txt')).body.toString(), 'ok');
    const after = await rawRequest(s.port, '/big.bin');
    t.is(after.headers['content-length'], String(1024 * 1024), 'the new size is served next');
  } finally {
    await s.close();
    site.remove();
  }
});

test('a file removed while being sent is still sent whole', async (t) => {
  const site = makeSite({ 'big.bin': DATA });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 0 }));
  try {
    const reader = await startSlowRead(s.port, '/big.bin', 64 * 1024);
    unlinkSync(join(site.root, 'big.bin'));
    const { all } = await reader.finish();
    const { body } = splitResponse(all);
    t.is(body.length, SIZE);
    t.true(body.equals(DATA));
    t.is((await rawRequest(s.port, '/big.bin')).status, 404);
  } finally {
    await s.close();
    site.remove();
  }
});

test('a client leaving mid-body releases the file descriptor', async (t) => {
  const site = makeSite({ 'big.bin': DATA });
  const path = join(site.root, 'big.bin');
  const s = await start(serveStatic({ root: site.root }));
  try {
    const reader = await startSlowRead(s.port, '/big.bin', 64 * 1024);
    t.is(fdsOn(path), 1, 'open while sending');
    reader.socket.destroy();
    for (let i = 0; i < 50 && fdsOn(path) > 0; i++) await sleep(20);
    t.is(fdsOn(path), 0, 'closed after the client left');
    t.is((await rawRequest(s.port, '/big.bin', { method: 'HEAD' })).status, 200);
  } finally {
    await s.close();
    site.remove();
  }
});

test('a client leaving mid multipart body releases the file descriptor', async (t) => {
  const site = makeSite({ 'big.bin': DATA });
  const path = join(site.root, 'big.bin');
  const s = await start(serveStatic({ root: site.root }));
  try {
    const socket = net.connect(s.port, '127.0.0.1');
    socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
    await once(socket, 'connect');
    socket.write(`GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-8000000,9000000-15000000\r\n\r\n`);
    await once(socket, 'data');
    socket.pause();
    await sleep(50);
    t.is(fdsOn(path), 1);
    socket.destroy();
    for (let i = 0; i < 50 && fdsOn(path) > 0; i++) await sleep(20);
    t.is(fdsOn(path), 0);
  } finally {
    await s.close();
    site.remove();
  }
});

test('many clients leaving early leave no descriptor behind', async (t) => {
  const site = makeSite({ 'big.bin': DATA });
  const path = join(site.root, 'big.bin');
  const s = await start(serveStatic({ root: site.root }));
  try {
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const socket = net.connect(s.port, '127.0.0.1');
      socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
      await once(socket, 'connect');
      socket.write(`GET /big.bin HTTP/1.1\r\nHost: x\r\n${i % 2 ? 'Range: bytes=1000-\r\n' : ''}\r\n`);
      await sleep(i % 5);
      socket.destroy();
    }));
    for (let i = 0; i < 100 && fdsOn(path) > 0; i++) await sleep(20);
    t.is(fdsOn(path), 0);
    const res = await fetch(`${s.url}/big.bin`);
    t.is((await res.arrayBuffer()).byteLength, SIZE);
  } finally {
    await s.close();
    site.remove();
  }
});
