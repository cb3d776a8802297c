// ctx.takeover(): an Upgrade or CONNECT request's connection handed to middleware, at the wire
// level (raw sockets, TLS, curl through a CONNECT tunnel): pipelined bytes go to the new protocol,
// the engine parses nothing more, limits apply before, app.close() ends taken connections,
// and requests that cannot be taken over get coded errors.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import test from 'ava';
import { Application, type Context, type Middleware } from '@sluice/core';
import { raw, start } from './helpers.js';

const run = promisify(execFile);
const fixtures = new URL('../../../test/server/fixtures/tls/', import.meta.url);
const key = readFileSync(new URL('key.pem', fixtures));
const cert = readFileSync(new URL('cert.pem', fixtures));

const UPGRADE = 'GET /shout HTTP/1.1\r\nHost: a\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n';
const SWITCHED = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n';

/** A toy protocol after the 101: says what arrived with the head, then echoes input upper-cased. */
const shout: Middleware = (ctx) => {
  if (ctx.get('Upgrade') !== 'shout') {
    ctx.body = 'plain';
    return;
  }
  const { socket, head } = ctx.takeover();
  socket.write(SWITCHED + `head=${head.toString('latin1')}|`);
  socket.on('data', (chunk: Buffer) => socket.write(chunk.toString('latin1').toUpperCase()));
  socket.on('end', () => socket.end());
};

/** Connects, writes `first`, and returns a reader that waits until the text received includes `until`. */
async function connect(port: number, socket?: net.Socket): Promise<{ socket: net.Socket; read(until: string): Promise<string>; closed: Promise<void> }> {
  const s = socket ?? net.connect(port, '127.0.0.1');
  if (socket === undefined) await once(s, 'connect');
  let text = '';
  const waiters: Array<() => void> = [];
  s.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  return {
    socket: s,
    closed,
    read: async (until) => {
      while (!text.includes(until)) {
        const more = new Promise<void>((resolve) => waiters.push(resolve));
        const ended = closed.then(() => {
          throw new Error(`closed before ${JSON.stringify(until)}; got ${JSON.stringify(text)}`);
        });
        await Promise.race([more, ended]);
      }
      return text;
    },
  };
}

test('an Upgrade request taken over: the 101 is the middleware\'s, pipelined bytes come with the head, and the engine parses nothing after', async (t) => {
  const server = await start(shout);
  const client = await connect(server.port);
  // A second HTTP request pipelined behind the upgrade belongs to the new protocol: never answered as HTTP.
  client.socket.write(UPGRADE + 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  const first = await client.read('|');
  t.is(first, SWITCHED + 'head=GET /next HTTP/1.1\r\nHost: a\r\n\r\n|');
  client.socket.write('still here');
  const text = await client.read('STILL HERE');
  t.is(text, first + 'STILL HERE');
  t.false(text.includes('HTTP/1.1 200'));
  client.socket.end();
  await client.closed;
  await server.close();
});

test('an Upgrade request nobody takes is an ordinary request: answered, and the connection stays open for the next', async (t) => {
  const server = await start((ctx) => {
    ctx.body = `plain ${ctx.get('Upgrade')}`;
  });
  const { text, closed } = await raw(server.port, UPGRADE.replace('/shout', '/1') + 'GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.true(closed);
  const responses = text.split('HTTP/1.1 200 OK').slice(1);
  t.is(responses.length, 2);
  t.false(responses[0].includes('Connection: close'));
  t.true(responses[0].endsWith('plain shout'));
  await server.close();
});

test('an HTTP/1.0 Upgrade, a plain GET and a POST with a body cannot be taken over (coded errors)', async (t) => {
  const server = await start(async (ctx: Context) => {
    try {
      ctx.takeover();
      t.fail('taken over');
    } catch (error) {
      ctx.body = (error as { code: string }).code;
    }
  });
  const http10 = await raw(server.port, 'GET / HTTP/1.0\r\nUpgrade: shout\r\nConnection: upgrade\r\n\r\n');
  t.regex(http10.text, /200 OK[\s\S]*SLUICE_ERR_TAKEOVER_NOT_REQUESTED$/);
  const plain = await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.regex(plain.text, /SLUICE_ERR_TAKEOVER_NOT_REQUESTED$/);
  const noConnection = await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: shout\r\nConnection: close\r\n\r\n');
  t.regex(noConnection.text, /SLUICE_ERR_TAKEOVER_NOT_REQUESTED$/);
  const withBody = await raw(server.port, 'POST / HTTP/1.1\r\nHost: a\r\nUpgrade: shout\r\nConnection: upgrade, close\r\nContent-Length: 2\r\n\r\nhi');
  t.regex(withBody.text, /SLUICE_ERR_TAKEOVER_WITH_BODY$/);
  await server.close();
});

test('takeover after the response started throws TAKEOVER_TOO_LATE, and the response still completes', async (t) => {
  let code = '';
  const server = await start(async (ctx: Context) => {
    ctx.status = 200;
    ctx.flushHeaders();
    try {
      ctx.takeover();
    } catch (error) {
      code = (error as { code: string }).code;
    }
    ctx.body = 'done';
  });
  const { text } = await raw(server.port, UPGRADE.replace('Upgrade\r\n', 'Upgrade, close\r\n'));
  t.is(code, 'SLUICE_ERR_TAKEOVER_TOO_LATE');
  t.regex(text, /^HTTP\/1\.1 200 OK/);
  await server.close();
});

test('app.callback() under node:http cannot hand over its connection: TAKEOVER_UNAVAILABLE', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    try {
      ctx.takeover();
    } catch (error) {
      ctx.body = (error as { code: string }).code;
    }
  });
  const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.is(await res.text(), 'SLUICE_ERR_TAKEOVER_UNAVAILABLE');
  server.close();
});

test('Upgrade over TLS: the socket handed over is the TLS socket, and pipelined bytes arrive decrypted', async (t) => {
  const app = new Application();
  let encrypted: unknown;
  app.use((ctx) => {
    const taken = ctx.takeover();
    encrypted = (taken.socket as tls.TLSSocket).encrypted;
    taken.socket.write(SWITCHED + `head=${taken.head.toString('latin1')}|`);
    taken.socket.on('data', (chunk: Buffer) => taken.socket.write(chunk.toString('latin1').toUpperCase()));
    taken.socket.on('end', () => taken.socket.end());
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', tls: { key, cert } });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  const client = await connect(port, socket);
  socket.write(UPGRADE + 'early');
  await client.read('|');
  socket.write('late');
  const text = await client.read('LATE');
  t.is(text, SWITCHED + 'head=early|LATE');
  t.true(encrypted);
  socket.destroy();
  await app.close(500);
});

test('a client reset after takeover: the taker sees the close and the connection leaves the count', async (t) => {
  let takerClosed: Promise<unknown> = Promise.resolve();
  const server = await start((ctx) => {
    const { socket } = ctx.takeover();
    socket.on('error', () => {});
    takerClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(SWITCHED);
  });
  const client = await connect(server.port);
  client.socket.write(UPGRADE);
  await client.read('\r\n\r\n');
  t.is(server.app.connectionCount, 1);
  client.socket.resetAndDestroy();
  await takerClosed;
  while (server.app.connectionCount !== 0) await new Promise((r) => setTimeout(r, 10));
  t.is(server.app.connectionCount, 0);
  await server.close();
});

test('app.close() emits closing first: a taker that ends its sockets lets close() finish before the grace period', async (t) => {
  const sockets: net.Socket[] = [];
  const server = await start((ctx) => {
    const { socket } = ctx.takeover();
    sockets.push(socket as net.Socket);
    socket.write(SWITCHED);
  });
  let graceSeen = 0;
  server.app.on('closing', (graceMs: number) => {
    graceSeen = graceMs;
    for (const socket of sockets) socket.end('bye');
  });
  const clients = [await connect(server.port), await connect(server.port)];
  for (const c of clients) c.socket.write(UPGRADE);
  for (const c of clients) await c.read('\r\n\r\n');
  for (const c of clients) c.socket.on('end', () => c.socket.end());
  await server.app.close(60_000);
  t.is(graceSeen, 60_000);
  for (const c of clients) t.true((await c.read('bye')).endsWith('bye'));
  t.is(server.app.connectionCount, 0);
});

test('app.close() destroys taken-over connections still open when the grace period ends', async (t) => {
  const server = await start((ctx) => {
    ctx.takeover().socket.write(SWITCHED);
  });
  const client = await connect(server.port);
  client.socket.write(UPGRADE);
  await client.read('\r\n\r\n');
  await server.app.close(200);
  await client.closed;
  t.is(server.app.connectionCount, 0);
});

test('limits apply before the upgrade: an oversized head is refused with 431 and never reaches the middleware', async (t) => {
  let reached = false;
  const server = await start((ctx) => {
    reached = true;
    ctx.takeover();
  }, { limits: { maxHeaderBytes: 1024 } });
  const { text, closed } = await raw(server.port, UPGRADE.replace('\r\n\r\n', `\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`));
  t.regex(text, /^HTTP\/1\.1 431 /);
  t.true(closed);
  t.false(reached);
  await server.close();
});

test('taken-over connections count toward maxConnections: the next connection gets 503', async (t) => {
  const server = await start((ctx) => {
    const { socket } = ctx.takeover();
    socket.write(SWITCHED);
    socket.on('end', () => socket.end());
  }, { limits: { maxConnections: 2 } });
  const held = [await connect(server.port), await connect(server.port)];
  for (const c of held) c.socket.write(UPGRADE);
  for (const c of held) await c.read('\r\n\r\n');
  const { text } = await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 503 /);
  for (const c of held) c.socket.destroy();
  await server.close();
});

test('a middleware that throws after taking over: the error is reported and its socket destroyed', async (t) => {
  const errors: string[] = [];
  const server = await start((ctx) => {
    ctx.takeover();
    throw new Error('broken protocol');
  });
  server.app.on('error', (error: Error) => errors.push(error.message));
  const client = await connect(server.port);
  client.socket.write(UPGRADE);
  await client.closed;
  t.deepEqual(errors, ['broken protocol']);
  await server.close();
});

test('CONNECT taken over as a tunnel: curl --proxytunnel reaches another server through it', async (t) => {
  const target = http.createServer((_req, res) => res.end('through the tunnel')).listen(0, '127.0.0.1');
  await once(target, 'listening');
  const targetPort = (target.address() as AddressInfo).port;
  const app = new Application();
  app.method('CONNECT', (ctx) => {
    const [host, port] = ctx.url.split(':');
    const { socket, head } = ctx.takeover();
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  const proxy = app.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const proxyPort = (proxy.address() as AddressInfo).port;
  const { stdout } = await run('curl', ['-sS', '--proxytunnel', '-x', `http://127.0.0.1:${proxyPort}`, `http://127.0.0.1:${targetPort}/`]);
  t.is(stdout, 'through the tunnel');
  await app.close(500);
  target.close();
});

test('an HTTP/2 stream (h2c) cannot hand over its connection: TAKEOVER_UNAVAILABLE', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    try {
      ctx.takeover();
    } catch (error) {
      ctx.body = (error as { code: string }).code;
    }
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', h2c: true });
  await once(server, 'listening');
  const { stdout } = await run('curl', ['-sS', '--http2-prior-knowledge', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`]);
  t.is(stdout, 'SLUICE_ERR_TAKEOVER_UNAVAILABLE');
  await app.close(500);
});
