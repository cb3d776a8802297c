// Level 3 (through the API): the engine's strictness rules (issue 15) seen by the app and a real
// client (fetch/undici, node:http, curl) on app.listen(0): what the middleware receives, which errors reach it as
// values, and whether the client's connection is reused. One fresh app per test.
import test from 'ava';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Context, ProtocolError } from '@sluice/core';
import { parseResponses, start } from './helpers.js';

const execFileAsync = promisify(execFile);

test('an app that ignores small chunked bodies keeps the client connection alive (node:http agent reuses it)', async (t) => {
  const ports: number[] = [];
  const s = await start((ctx: Context) => {
    ports.push(ctx.req.socket.remotePort ?? 0);
    ctx.body = 'ignored your body';
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(async () => {
    agent.destroy();
    await s.close();
  });
  const post = () =>
    new Promise<{ connection: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(`${s.url}/upload`, { method: 'POST', agent }, (res) => {
        // The answer came before the body's end: the rest of it is sent now, and the engine
        // has to drain it to keep the connection.
        req.end('y'.repeat(500));
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      // No Content-Length: node:http sends the body chunked.
      req.write('x'.repeat(500));
    });
  const answers = await Promise.all([post(), post(), post()]);
  t.deepEqual(answers, Array(3).fill({ connection: undefined, body: 'ignored your body' }));
  t.is(ports.length, 3);
  t.is(new Set(ports).size, 1, `one connection for all three requests: ${ports.join(',')}`);
});

test('100 application header fields plus the usual ones reach the middleware (fetch)', async (t) => {
  const s = await start((ctx: Context) => {
    ctx.body = String(Object.keys(ctx.headers).filter((name) => name.startsWith('x-app-')).length);
  });
  t.teardown(() => s.close());
  const headers: Record<string, string> = { Cookie: 'session=1', 'X-Forwarded-For': '10.0.0.1' };
  for (let i = 0; i < 100; i++) headers[`X-App-${i}`] = `value ${i}`;
  const res = await fetch(s.url, { headers });
  t.is(res.status, 200);
  t.is(await res.text(), '100');
});

test('a malformed chunk extension reaches the app as a 400 error value from the body, never as data', async (t) => {
  const seen: Array<{ status: number; code: string } | string> = [];
  const s = await start(async (ctx: Context) => {
    try {
      seen.push(await ctx.request.text());
    } catch (error) {
      const e = error as ProtocolError;
      seen.push({ status: e.status, code: e.code });
      throw error;
    }
  });
  t.teardown(() => s.close());
  const clientErrors: string[] = [];
  s.app.on('clientError', (error: ProtocolError) => clientErrors.push(error.code));
  const socket = net.connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="abc\r\nhello\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  await once(socket, 'close');
  t.deepEqual(seen, [{ status: 400, code: 'SLUICE_ERR_BAD_CHUNK_EXTENSION' }]);
  t.deepEqual(clientErrors, ['SLUICE_ERR_BAD_CHUNK_EXTENSION']);
  t.deepEqual(parseResponses(text).map((r) => r.status), [400]);
});

test('curl uploading at 20 KiB/s is served; the body pace never cuts an honest slow upload', async (t) => {
  const s = await start(
    async (ctx: Context) => {
      ctx.body = String((await ctx.request.buffer({ limit: 1e7 })).length);
    },
    // Ten times below curl's rate, with a short grace so the rate is enforced for most of the upload.
    { limits: { minBodyBytesPerSecond: 2048, bodyRateGraceMs: 500 } },
  );
  t.teardown(() => s.close());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'upload.bin');
  writeFileSync(file, Buffer.alloc(60 * 1024, 0x62));
  const { stdout } = await execFileAsync('curl', ['-sS', '--limit-rate', '20k', '--data-binary', `@${file}`, '-w', ' %{http_code}', `${s.url}/up`]);
  t.is(stdout, `${60 * 1024} 200`);
});

test('a node:http client trickling its body gets a 408 answer, and the app sees BODY_TOO_SLOW', async (t) => {
  const codes: string[] = [];
  const s = await start(
    async (ctx: Context) => {
      try {
        ctx.body = await ctx.request.text();
      } catch (error) {
        codes.push((error as ProtocolError).code);
        throw error;
      }
    },
    { limits: { minBodyBytesPerSecond: 100, bodyRateGraceMs: 300 } },
  );
  t.teardown(() => s.close());
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${s.url}/slow`, { method: 'POST', headers: { 'Content-Length': '1000' } }, (res) => {
      clearInterval(timer);
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const timer = setInterval(() => req.write('x'), 100);
  });
  t.is(status, 408);
  t.deepEqual(codes, ['SLUICE_ERR_BODY_TOO_SLOW']);
});
