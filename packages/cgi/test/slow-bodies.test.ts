// Level 3 (real sockets, real programs): request bodies are buffered before a process slot is
// taken, so clients trickling their bodies cannot starve the slots; budget and temp-file cleanup.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Context } from '@sluice/core';
import { connect } from '@sluice/test-support';
import { eventually, raw, startCgi, tempDir, writeScript } from './helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `mark.cgi` leaves a file named for its pid in `marks` when it starts, then answers with its body's length and hash. */
function setup(t: ExecutionContext): { bin: string; marks: string; spool: string } {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  const bin = join(tmp.dir, 'bin');
  const marks = join(tmp.dir, 'marks');
  const spool = join(tmp.dir, 'spool');
  mkdirSync(marks);
  mkdirSync(spool);
  writeScript(join(bin, 'mark.cgi'), `#!/bin/sh\ntouch "${marks}/$$"\nprintf 'Content-Type: text/plain\\n\\n%s %s' "$CONTENT_LENGTH" "$(sha256sum | cut -d' ' -f1)"\n`);
  writeScript(join(bin, 'hello.cgi'), `#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello'\n`);
  return { bin, marks, spool };
}

/** Counts requests reaching the middleware chain (before cgi()), to know the slow ones arrived. */
function arrivals(): { count: number; middleware: (ctx: Context, next: () => Promise<void>) => Promise<void> } {
  const seen = {
    count: 0,
    middleware: (ctx: Context, next: () => Promise<void>) => {
      if (ctx.method === 'POST') seen.count++;
      return next();
    },
  };
  return seen;
}


test('33 clients trickling their POST bodies hold no process slot: a normal request still gets 200 and no program has started', async (t) => {
  const { bin, marks } = setup(t);
  const seen = arrivals();
  // maxProcesses is the default (32); a short queue wait makes a starved slot show as a quick 503.
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, queueTimeoutMs: 2000 }, { before: [seen.middleware] });
  t.teardown(s.close);
  const bodies = Array.from({ length: 33 }, () => randomBytes(100));
  const slow = await Promise.all(bodies.map(() => connect(s.port)));
  t.teardown(() => slow.forEach((socket) => socket.destroy()));
  slow.forEach((socket, i) => socket.write(Buffer.concat([Buffer.from('POST /cgi-bin/mark.cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n'), bodies[i].subarray(0, 1)])));
  await eventually(() => seen.count === 33, 15_000, 'the 33 slow requests to arrive');

  const res = await fetch(`${s.url}/cgi-bin/hello.cgi`);
  t.is(res.status, 200);
  t.is(await res.text(), 'hello');
  t.deepEqual(readdirSync(marks), [], 'no program started for a body still arriving');

  slow.forEach((socket, i) => socket.write(bodies[i].subarray(1)));
  await eventually(() => slow.every((socket, i) => socket.received().includes(`100 ${sha(bodies[i])}`)), 30_000, 'every slow request to be answered');
  slow.forEach((socket) => t.regex(socket.received(), /^HTTP\/1\.1 200 /));
  t.is(readdirSync(marks).length, 33);
});

test('with requestBuffering "stream" a Content-Length body reaches the program while it is still arriving', async (t) => {
  const { bin, marks } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, requestBuffering: 'stream' });
  t.teardown(s.close);
  const body = randomBytes(100);
  const socket = await connect(s.port);
  t.teardown(() => socket.destroy());
  socket.write(Buffer.concat([Buffer.from('POST /cgi-bin/mark.cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n'), body.subarray(0, 1)]));
  await eventually(() => readdirSync(marks).length === 1, 15_000, 'the program to start before the body is complete');
  socket.write(body.subarray(1));
  await eventually(() => socket.received().includes(`100 ${sha(body)}`), 15_000, 'the answer');
  t.pass();
});

test('a body that would cross the app-wide buffer budget gets 503 and its program never runs', async (t) => {
  const { bin, marks, spool } = setup(t);
  const seen = arrivals();
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, tempDir: spool, bodyMemoryBytes: 1024 }, {
    before: [seen.middleware],
    app: { limits: { maxBufferedBodyBytes: 100_000 } },
  });
  t.teardown(s.close);
  const held = await connect(s.port);
  t.teardown(() => held.destroy());
  const heldBody = randomBytes(80_000);
  held.write(Buffer.concat([Buffer.from('POST /cgi-bin/mark.cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 80000\r\n\r\n'), heldBody.subarray(0, 10)]));
  await eventually(() => seen.count === 1, 15_000, 'the first body to be buffering');

  const refused = await raw(s.port, Buffer.concat([
    Buffer.from('POST /cgi-bin/mark.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n'),
    ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from('2710\r\n'), randomBytes(10_000), Buffer.from('\r\n')])),
    Buffer.from('0\r\n\r\n'),
  ]));
  t.regex(refused.text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.regex(refused.text, /\r\nRetry-After: 1\r\n/i);
  t.deepEqual(readdirSync(marks), []);

  held.write(heldBody.subarray(10));
  await eventually(() => held.received().includes(`80000 ${sha(heldBody)}`), 15_000, 'the held request to be answered');
  await eventually(() => readdirSync(spool).length === 0, 5000, 'the temporary file to be removed');
  t.deepEqual(readdirSync(spool), []);
});

test('the temporary file of a body is removed when the client leaves before the body is complete', async (t) => {
  const { bin, marks, spool } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, tempDir: spool, bodyMemoryBytes: 1024 });
  t.teardown(s.close);
  const socket = await connect(s.port);
  socket.write(Buffer.concat([Buffer.from('POST /cgi-bin/mark.cgi HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n'), randomBytes(100_000)]));
  await eventually(() => readdirSync(spool).length === 1, 15_000, 'the body to be spooled to a file');
  socket.destroy();
  await eventually(() => readdirSync(spool).length === 0, 15_000, 'the temporary file to be removed');
  t.deepEqual(readdirSync(spool), []);
  t.deepEqual(readdirSync(marks), []);
  const after = await fetch(`${s.url}/cgi-bin/hello.cgi`);
  t.is(await after.text(), 'hello', 'the server is healthy');
});

test('a program that exits without reading its spooled body leaves no temporary file and no descriptor open on it', async (t) => {
  const { bin, spool } = setup(t);
  writeScript(join(bin, 'ignore.cgi'), `#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nignored'\n`);
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, tempDir: spool, bodyMemoryBytes: 1024 });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/ignore.cgi`, { method: 'POST', body: randomBytes(2 * 1024 * 1024) });
  t.is(await res.text(), 'ignored');
  const openOnSpool = (): string[] =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(spool) ? [target] : [];
      } catch {
        return [];
      }
    });
  await eventually(() => readdirSync(spool).length === 0 && openOnSpool().length === 0, 15_000, 'the file to be removed and closed');
  t.deepEqual(openOnSpool(), []);
});
