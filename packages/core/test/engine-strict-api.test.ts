// Level 3 (through the API): the engine's strictness rules (issue 15) seen by the app and a real
// client (fetch/undici, node:http) on app.listen(0): what the middleware receives, which errors reach it as
// values, and whether the client's connection is reused. One fresh app per test.
import test from 'ava';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Context, ProtocolError } from '@sluice/core';
import { parseResponses, start } from './helpers.js';

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
    ctx.body = Object.keys(ctx.headers).filter((name) => name.startsWith('x-app-')).length;
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
