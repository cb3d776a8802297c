// Through the API: app.listen over TCP and TLS (a self-signed certificate made with openssl
// in a temp dir), and app.close(): stops accepting, lets in-flight requests finish within the
// grace period, closes idle keep-alive connections, drops what outlives the grace.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Application } from '@sluice/core';
import { eventually, parseResponses, Wire } from './helpers.js';

const run = promisify(execFile);

async function selfSigned(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

async function listen(app: Application, options: Parameters<Application['listen']>[0] = { port: 0, host: '127.0.0.1' }) {
  const server = app.listen(options);
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

test('app.listen with tls serves HTTPS: ctx.secure, ctx.protocol and the connection info say so', async (t) => {
  const { key, cert } = await selfSigned();
  const app = new Application();
  app.use((ctx) => {
    ctx.body = `${ctx.protocol} ${ctx.secure} ${ctx.socket.encrypted} ${ctx.method} ${ctx.url}`;
  });
  const { port } = await listen(app, { port: 0, host: '127.0.0.1', tls: { key, cert } });
  const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  t.is(socket.alpnProtocol, false);
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.write('GET /a HTTP/1.1\r\nHost: localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  await once(socket, 'close');
  t.deepEqual(parseResponses(text).map((r) => r.body), ['https true true GET /a', 'https true true GET /b']);
  await app.close(1000);
});

test('curl talks HTTPS to a TLS listener (ALPN http/1.1)', async (t) => {
  const { key, cert } = await selfSigned();
  const app = new Application();
  app.use((ctx) => {
    ctx.body = 'secure hello';
  });
  const { port } = await listen(app, { port: 0, host: '127.0.0.1', tls: { key, cert } });
  const { stdout: out } = await run('curl', ['-sk', '--max-time', '10', '-w', ' %{http_code} %{http_version}', `https://127.0.0.1:${port}/`]);
  t.is(out, 'secure hello 200 1.1');
  await app.close(1000);
});

test('plain HTTP on the TLS port gets its 400 and leaves the server healthy', async (t) => {
  const { key, cert } = await selfSigned();
  const app = new Application();
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const { port } = await listen(app, { port: 0, host: '127.0.0.1', tls: { key, cert } });
  const plain = net.connect(port, '127.0.0.1');
  plain.on('error', () => {});
  await once(plain, 'connect');
  plain.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  let answer = '';
  plain.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  await once(plain, 'close');
  t.regex(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const { stdout: out } = await run('curl', ['-sk', '--max-time', '10', `https://127.0.0.1:${port}/`]);
  t.is(out, 'ok');
  await eventually(() => app.connectionCount === 0);
  await app.close(1000);
});

test('app.close() lets an in-flight request finish, closes idle keep-alive connections, refuses new ones', async (t) => {
  const app = new Application();
  let release: (() => void) | null = null;
  app.use(async (ctx) => {
    if (ctx.path === '/slow') await new Promise<void>((r) => (release = r));
    ctx.body = `done ${ctx.path}`;
  });
  const { port } = await listen(app);
  const idle = await Wire.open(port);
  idle.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n');
  await idle.responses(1);
  const busy = await Wire.open(port);
  busy.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
  await eventually(() => release !== null, 5000, 'the slow request to be running');

  let closed = false;
  const closing = app.close(5000).then(() => (closed = true));
  await idle.closedByServer(1000);
  t.false(idle.reset);
  // New connections are refused once close() has begun.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => resolve(true));
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
  });
  t.true(refused);
  t.false(closed);
  (release as unknown as () => void)();
  const [res] = await busy.responses(1);
  t.is(res.body, 'done /slow');
  t.is(res.headers.connection, 'close');
  await busy.closedByServer();
  await closing;
  t.true(closed);
  t.is(app.connectionCount, 0);
});

test('app.close(): a connection accepted before close still gets its first request answered (no reset), one that stays silent is closed', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    ctx.body = `answered ${ctx.path}`;
  });
  const { port } = await listen(app);
  const late = await Wire.open(port);
  const silent = await Wire.open(port);
  await eventually(() => app.connectionCount === 2, 5000, 'both connections accepted');
  const started = Date.now();
  const closing = app.close(10_000);
  // The request was on its way when close() began (as with a worker being replaced).
  await new Promise((r) => setTimeout(r, 50));
  late.write('GET /late HTTP/1.1\r\nHost: a\r\n\r\n');
  const [res] = await late.responses(1);
  t.is(res.body, 'answered /late');
  t.is(res.headers.connection, 'close');
  await late.closedByServer();
  t.false(late.reset);
  await silent.closedByServer(5000);
  t.false(silent.reset);
  await closing;
  const took = Date.now() - started;
  t.true(took < 3000, `close took ${took} ms`);
  t.is(app.connectionCount, 0);
});

test('app.close(graceMs) drops requests still running when the grace period ends', async (t) => {
  const app = new Application();
  let aborted = false;
  let running = false;
  app.use(async (ctx) => {
    running = true;
    ctx.onAbort(() => (aborted = true));
    await new Promise((r) => setTimeout(r, 5000));
    ctx.body = 'too late';
  });
  const { port } = await listen(app);
  const wire = await Wire.open(port);
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await eventually(() => running);
  const started = Date.now();
  await app.close(200);
  const took = Date.now() - started;
  t.true(took >= 150 && took < 2000, `close took ${took} ms`);
  await wire.closedByServer();
  t.is(wire.text, '');
  t.true(aborted);
  t.is(app.connectionCount, 0);
});

test('app.close() with no connections resolves promptly', async (t) => {
  const app = new Application();
  await listen(app);
  const started = Date.now();
  await app.close(5000);
  t.true(Date.now() - started < 1000);
});
