/**
 * A 4 GiB sparse file (made with truncate) served by a sluice process: ranges past 2^32
 * land on the right bytes, and the server's resident memory stays flat while the whole
 * file streams at loopback speed (time-bounded) and while a client stops reading.
 */
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startProcess, type ServerProcess } from './helpers.js';

const SIZE = 4 * 1024 ** 3;
const MARKER = Buffer.from('END-OF-4GIB-FILE');
const MARKER_AT = SIZE - MARKER.length;
// More than this much growth while streaming 4 GiB would mean the body is being buffered.
const MAX_RSS_GROWTH_BYTES = 96 * 1024 * 1024;
const TRANSFER_BUDGET_MS = 15_000;
const ZEROS = Buffer.alloc(256 * 1024);

let dir: string;
let server: ServerProcess;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-static-4g-'));
  const fd = openSync(join(dir, 'huge.bin'), 'w');
  writeSync(fd, MARKER, 0, MARKER.length, MARKER_AT); // sparse: only the last block is allocated
  closeSync(fd);
  server = await startProcess(fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url)), { STATIC_ROOT: dir });
});

test.after.always(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rawGet(headers: string): Promise<{ head: string; body: Buffer }> {
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
  await once(socket, 'connect');
  socket.write(`GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  return { head: all.subarray(0, end).toString('latin1'), body: all.subarray(end + 4) };
}

test.serial('HEAD reports the 4 GiB length', async (t) => {
  const res = await fetch(`${server.url}/huge.bin`, { method: 'HEAD' });
  t.is(res.headers.get('content-length'), String(SIZE));
});

test.serial('a range past 2^32 returns the bytes at that offset', async (t) => {
  const { head, body } = await rawGet(`Range: bytes=${MARKER_AT}-\r\n`);
  t.regex(head, /^HTTP\/1\.1 206 /);
  t.true(head.includes(`Content-Range: bytes ${MARKER_AT}-${SIZE - 1}/${SIZE}`));
  t.true(body.equals(MARKER));
});

test.serial('multiple ranges far apart in a 4 GiB file', async (t) => {
  const { head, body } = await rawGet(`Range: bytes=0-3,${SIZE - 4}-\r\n`);
  t.regex(head, /^HTTP\/1\.1 206 /);
  const text = body.toString('latin1');
  t.true(text.includes(`Content-Range: bytes 0-3/${SIZE}\r\n\r\n\0\0\0\0\r\n`));
  t.true(text.includes(`Content-Range: bytes ${SIZE - 4}-${SIZE - 1}/${SIZE}\r\n\r\nFILE\r\n`));
});

test.serial('streaming the whole file keeps the server RSS flat', async (t) => {
  await fetch(`${server.url}/huge.bin`, { method: 'HEAD' });
  const baseline = server.rssBytes();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.rssBytes());
  }, 50);
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
  await once(socket, 'connect');
  socket.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  let received = 0;
  let headSeen = false;
  let nonZeroOutsideMarker = false;
  let tail = Buffer.alloc(0);
  const started = Date.now();
  const finished = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), TRANSFER_BUDGET_MS);
    socket.on('data', (chunk: Buffer) => {
      let body = chunk;
      if (!headSeen) {
        const end = chunk.indexOf('\r\n\r\n');
        headSeen = true;
        body = chunk.subarray(end + 4);
      }
      const before = received;
      received += body.length;
      // Everything before the marker is a hole: zeros.
      const zeroEnd = Math.min(body.length, Math.max(0, MARKER_AT - before));
      for (let i = 0; i < zeroEnd; i += ZEROS.length) {
        const end = Math.min(zeroEnd, i + ZEROS.length);
        if (!body.subarray(i, end).equals(ZEROS.subarray(0, end - i))) nonZeroOutsideMarker = true;
      }
      if (received > MARKER_AT) tail = Buffer.concat([tail, body.subarray(zeroEnd)]);
      if (received >= SIZE) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received >= SIZE);
    });
  });
  const complete = await finished;
  socket.destroy();
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  t.log(`${complete ? 'whole file' : 'time budget reached'}: ${(received / 1024 ** 2).toFixed(0)} MiB in ${seconds.toFixed(1)} s; RSS ${(baseline / 1024 ** 2).toFixed(0)} → peak ${(peak / 1024 ** 2).toFixed(0)} MiB`);
  t.true(received > 128 * 1024 * 1024, 'at least 128 MiB streamed');
  t.false(nonZeroOutsideMarker, 'the holes read as zeros');
  if (complete) t.true(tail.equals(MARKER), 'the last bytes are the marker');
  t.true(peak - baseline < MAX_RSS_GROWTH_BYTES, `RSS grew by ${((peak - baseline) / 1024 ** 2).toFixed(0)} MiB`);
});

test.serial('a client that stops reading does not make the server buffer the file', async (t) => {
  const baseline = server.rssBytes();
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {}); // resets are expected when a transfer is cut short on purpose
  await once(socket, 'connect');
  socket.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await once(socket, 'data');
  socket.pause();
  await sleep(1500);
  const during = server.rssBytes();
  socket.destroy();
  t.true(during - baseline < MAX_RSS_GROWTH_BYTES, `RSS grew by ${((during - baseline) / 1024 ** 2).toFixed(0)} MiB`);
  const after = await fetch(`${server.url}/huge.bin`, { method: 'HEAD' });
  t.is(after.status, 200, 'server healthy after the stalled client left');
});
