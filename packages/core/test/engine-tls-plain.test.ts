// A TLS listener that receives plain HTTP answers a plain HTTP/1.1 400 saying so and closes
// (wire level, raw sockets), while real TLS clients, even ones whose first byte arrives alone,
// are served as before.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import test from 'ava';
import { Application } from '@sluice/core';
import { raw } from './helpers.js';

const fixtures = new URL('../../../test/server/fixtures/tls/', import.meta.url);
const key = readFileSync(new URL('key.pem', fixtures));
const cert = readFileSync(new URL('cert.pem', fixtures));

async function startTls(): Promise<{ port: number; close(): Promise<void> }> {
  const app = new Application();
  app.use((ctx) => {
    ctx.body = `secure=${ctx.secure}`;
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', tls: { key, cert } });
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => app.close(1000) };
}

/** One HTTPS request over `socket` (or a new TLS connection to `port`); the response text. */
async function httpsGet(port: number, socket?: net.Socket): Promise<string> {
  const client = tls.connect({ ...(socket ? { socket } : { port, host: '127.0.0.1' }), ca: cert, servername: 'localhost' });
  await once(client, 'secureConnect');
  // Written, not ended: the server closes after answering (Connection: close).
  client.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  await once(client, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

const PLAIN_400 = (date: string): string => {
  const body = 'Bad Request: a plain HTTP request was sent to an HTTPS port; use https://\n';
  return `HTTP/1.1 400 Bad Request\r\nDate: ${date}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
};

test('plain HTTP on a TLS port gets a plain 400 saying so, then the connection is closed', async (t) => {
  const s = await startTls();
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const date = /\r\nDate: ([^\r]+)\r\n/.exec(text)?.[1] ?? '';
  t.is(text, PLAIN_400(date));
  t.true(closed);
  t.regex(await httpsGet(s.port), /^HTTP\/1\.1 200 [\s\S]*secure=true$/);
  await s.close();
});

test('plain HTTP whose first byte arrives alone is refused the same way', async (t) => {
  const s = await startTls();
  const { text, closed } = await raw(s.port, ['G', 'ET / HTTP/1.1\r\nHost: localhost\r\n\r\n']);
  t.regex(text, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*plain HTTP request was sent to an HTTPS port/);
  t.true(closed);
  await s.close();
});

test('a TLS client whose first byte arrives alone completes its handshake and is served', async (t) => {
  const s = await startTls();
  // A relay that forwards the client's first byte on its own, the rest once that was sent.
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(s.port, '127.0.0.1');
    let first = true;
    inbound.on('data', (chunk: Buffer) => {
      if (first && chunk.length > 1) {
        first = false;
        outbound.write(chunk.subarray(0, 1), () => setImmediate(() => outbound.write(chunk.subarray(1))));
      } else {
        outbound.write(chunk);
      }
    });
    outbound.pipe(inbound);
    inbound.on('end', () => outbound.end());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const socket = net.connect((relay.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  t.regex(await httpsGet(s.port, socket), /^HTTP\/1\.1 200 [\s\S]*secure=true$/);
  relay.close();
  await s.close();
});

test('a connection to a TLS port that closes without a byte leaves the server healthy', async (t) => {
  const s = await startTls();
  const { text, closed } = await raw(s.port, '', { end: true });
  t.is(text, '');
  t.true(closed);
  t.regex(await httpsGet(s.port), /secure=true$/);
  await s.close();
});
