// HTTP/2 transports with real clients: h2c with prior knowledge and HTTP/1.x on one plain port,
// h2 and http/1.1 by ALPN on one TLS port (curl, nghttp, node:http2), and the ports without
// HTTP/2 enabled keeping today's answers.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Application } from '@sluice/core';
import { cert, certPath, fetchH2, key, run, startH2 } from './http2-helpers.js';
import { raw } from './helpers.js';

const describe = (ctx: { method: string; host: string; protocol: string; req: { httpVersion: string } }): string =>
  `${ctx.method} ${ctx.host} ${ctx.protocol} ${ctx.req.httpVersion}`;

test('curl --http2-prior-knowledge gets HTTP/2 on the plain port, and plain curl HTTP/1.1 on the same port', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = describe(ctx);
  });
  const h2c = await run('curl', ['-sS', '-i', '--http2-prior-knowledge', `${server.h2cUrl}/a`]);
  t.is(h2c.code, 0, h2c.stderr);
  t.regex(h2c.stdout, /^HTTP\/2 200 \r\n/);
  t.true(h2c.stdout.endsWith(`\r\n\r\nGET 127.0.0.1:${server.plainPort} http 2.0`));
  const h1 = await run('curl', ['-sS', '-i', `${server.h2cUrl}/a`]);
  t.regex(h1.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.true(h1.stdout.endsWith(`GET 127.0.0.1:${server.plainPort} http 1.1`));
  // A POST starts with P, as the preface does: it must still reach the HTTP/1 engine.
  const post = await run('curl', ['-sS', '-d', 'x=1', `${server.h2cUrl}/a`]);
  t.is(post.stdout, `POST 127.0.0.1:${server.plainPort} http 1.1`);
  await server.close();
});

test('curl --http2 negotiates h2 by ALPN on the TLS port; --http1.1 gets HTTP/1.1 there', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = describe(ctx);
  });
  const resolve = `localhost:${server.tlsPort}:127.0.0.1`;
  const h2 = await run('curl', ['-sS', '-i', '--http2', '--cacert', certPath, '--resolve', resolve, `https://localhost:${server.tlsPort}/x`]);
  t.is(h2.code, 0, h2.stderr);
  t.regex(h2.stdout, /^HTTP\/2 200 \r\n/);
  t.true(h2.stdout.endsWith(`GET localhost:${server.tlsPort} https 2.0`));
  const h1 = await run('curl', ['-sS', '-i', '--http1.1', '--cacert', certPath, '--resolve', resolve, `https://localhost:${server.tlsPort}/x`]);
  t.regex(h1.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.true(h1.stdout.endsWith(`GET localhost:${server.tlsPort} https 1.1`));
  await server.close();
});

test('nghttp fetches over h2c and over TLS, both answered by the app', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = `${ctx.path} ${ctx.req.httpVersion}\n`;
  });
  const plain = await run('nghttp', ['-v', `${server.h2cUrl}/plain`]);
  t.is(plain.code, 0, plain.stderr);
  t.true(plain.stdout.includes('/plain 2.0'));
  t.regex(plain.stdout, /recv HEADERS frame/);
  const secure = await run('nghttp', ['-v', `https://127.0.0.1:${server.tlsPort}/secure`]);
  t.is(secure.code, 0, secure.stderr);
  t.true(secure.stdout.includes('/secure 2.0'));
  t.true(secure.stdout.includes('The negotiated protocol: h2'));
  await server.close();
});

test('node:http2 connects with h2c and with TLS; the session carries many requests', async (t) => {
  let n = 0;
  const server = await startH2((ctx) => {
    ctx.body = `${++n} ${ctx.secure}`;
  });
  const a = await fetchH2(server.h2cUrl, { ':path': '/' });
  t.is(a.status, 200);
  t.is(a.text, '1 false');
  const b = await fetchH2(server.h2Url, { ':path': '/' });
  t.is(b.text, '2 true');
  await server.close();
});

test('without h2c the plain port answers the HTTP/2 preface 505, as before', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    ctx.body = 'x';
  });
  const server = app.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const { text } = await raw((server.address() as AddressInfo).port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 505 /);
  await app.close(1000);
});

test('without http2 a TLS port offers only http/1.1 by ALPN: curl --http2 gets HTTP/1.1', async (t) => {
  const app = new Application();
  app.use((ctx) => {
    ctx.body = ctx.req.httpVersion;
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', tls: { key, cert } });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const out = await run('curl', ['-sS', '-i', '--http2', '--cacert', certPath, '--resolve', `localhost:${port}:127.0.0.1`, `https://localhost:${port}/`]);
  t.regex(out.stdout, /^HTTP\/1\.1 200 OK/);
  t.true(out.stdout.endsWith('1.1'));
  await app.close(1000);
});

test('a plain port with h2c drops a client silent before its first byte after headersTimeoutMs', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = 'x';
  }, { limits: { headersTimeoutMs: 200 } });
  const started = Date.now();
  const { text, closed } = await raw(server.plainPort, [], { timeoutMs: 3000 });
  t.true(closed);
  t.is(text, '');
  t.true(Date.now() - started < 2500);
  await server.close();
});

test('listen options http2 and h2c must be booleans', (t) => {
  const app = new Application();
  const error = t.throws(() => app.listen({ port: 0, h2c: 'yes' as unknown as boolean }));
  t.is((error as { code?: string }).code, 'SLUICE_ERR_BAD_OPTION');
  t.regex(error.message, /"h2c"/);
});
