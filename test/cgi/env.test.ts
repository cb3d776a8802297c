import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Application } from '@sluice/core';
import { cgi } from '@sluice/cgi';
import { EXAMPLE_BIN, startCgi, tempDir } from './helpers.js';

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

test('the env dump shows every RFC 3875 meta-variable with the right value', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN }, passEnv: [] });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/env.sh/extra/info?a=1&b=%20x`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Custom-Header': 'custom', Authorization: 'Basic dTpw' },
    body: 'k=v',
  });
  t.is(res.status, 200);
  const env = parseEnv(await res.text());
  t.is(env.AUTH_TYPE, 'Basic');
  t.is(env.CONTENT_LENGTH, '3');
  t.is(env.CONTENT_TYPE, 'application/x-www-form-urlencoded');
  t.is(env.GATEWAY_INTERFACE, 'CGI/1.1');
  t.is(env.PATH_INFO, '/extra/info');
  t.is(env.PATH_TRANSLATED, `${EXAMPLE_BIN}/extra/info`);
  t.is(env.QUERY_STRING, 'a=1&b=%20x');
  t.is(env.REMOTE_ADDR, '127.0.0.1');
  t.is(env.REMOTE_HOST, '127.0.0.1');
  t.regex(env.REMOTE_PORT, /^\d+$/);
  t.not(env.REMOTE_PORT, String(s.port));
  t.is(env.REQUEST_METHOD, 'POST');
  t.is(env.SCRIPT_NAME, '/cgi-bin/env.sh');
  t.is(env.SCRIPT_FILENAME, join(EXAMPLE_BIN, 'env.sh'));
  t.is(env.SERVER_NAME, '127.0.0.1');
  t.is(env.SERVER_PORT, String(s.port));
  t.is(env.SERVER_PROTOCOL, 'HTTP/1.1');
  t.is(env.SERVER_SOFTWARE, 'sluice');
  t.is(env.REQUEST_URI, '/cgi-bin/env.sh/extra/info?a=1&b=%20x');
  t.is(env.DOCUMENT_ROOT, EXAMPLE_BIN);
  t.is(env.REDIRECT_STATUS, '200');
  t.is(env.HTTP_X_CUSTOM_HEADER, 'custom');
  t.is(env.HTTP_HOST, `127.0.0.1:${s.port}`);
  t.is(env.HTTPS, undefined, 'HTTPS only over TLS');
  t.is(env.HTTP_AUTHORIZATION, undefined, 'Authorization hidden by default');
  t.is(env.HTTP_CONTENT_TYPE, undefined);
  t.is(env.HTTP_CONTENT_LENGTH, undefined);
  t.is(env.REMOTE_USER, undefined, 'no REMOTE_USER without an auth middleware');
});

test('QUERY_STRING is set (empty) without a query; no body means no CONTENT_LENGTH', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const env = parseEnv(await (await fetch(`${s.url}/cgi-bin/env.sh`)).text());
  t.is(env.QUERY_STRING, '');
  t.is(env.CONTENT_LENGTH, undefined);
  t.is(env.PATH_INFO, undefined);
  t.is(env.PATH_TRANSLATED, undefined);
  t.is(env.AUTH_TYPE, undefined);
});

test('httpoxy: a Proxy header never becomes HTTP_PROXY; names with "_" cannot spoof dashed ones', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const env = parseEnv(await (await fetch(`${s.url}/cgi-bin/env.sh`, { headers: { Proxy: 'http://evil.example:8080', 'X-Forwarded-User': 'real', X_Forwarded_User: 'spoofed' } })).text());
  t.is(env.HTTP_PROXY, undefined);
  t.false(Object.values(env).includes('http://evil.example:8080'));
  t.is(env.HTTP_X_FORWARDED_USER, 'real');
  t.false(Object.values(env).includes('spoofed'));
});

test('the server\'s own environment does not leak: only PATH, passEnv and env', async (t) => {
  process.env.SLUICE_TEST_SECRET = 'do-not-leak';
  process.env.SLUICE_TEST_PASSED = 'passed-on';
  t.teardown(() => {
    delete process.env.SLUICE_TEST_SECRET;
    delete process.env.SLUICE_TEST_PASSED;
  });
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN }, passEnv: ['SLUICE_TEST_PASSED', 'SLUICE_TEST_UNSET'], env: { APP_MODE: 'demo', SERVER_SOFTWARE: 'overridden?' }, path: '/usr/bin:/bin' });
  t.teardown(s.close);
  const env = parseEnv(await (await fetch(`${s.url}/cgi-bin/env.sh`)).text());
  t.is(env.SLUICE_TEST_SECRET, undefined);
  t.is(env.SLUICE_TEST_PASSED, 'passed-on');
  t.false('SLUICE_TEST_UNSET' in env);
  t.is(env.APP_MODE, 'demo');
  t.is(env.SERVER_SOFTWARE, 'sluice', 'meta-variables win over env');
  t.is(env.PATH, '/usr/bin:/bin');
  t.is(env.HOME, undefined);
  // Whatever the server's environment holds, only PATH, the passed name and the shell's own variables show.
  t.deepEqual(Object.keys(env).filter((n) => process.env[n] !== undefined && !['PATH', 'PWD', 'SHLVL', '_', 'SLUICE_TEST_PASSED', 'OLDPWD'].includes(n)), []);
});

test('passAuthorization: true passes the Authorization header; an auth middleware sets REMOTE_USER and AUTH_TYPE', async (t) => {
  const app = new Application({ logger: { info() {}, warn() {}, error() {} } });
  app.use(async (ctx, next) => {
    ctx.state.remoteUser = 'alice';
    ctx.state.authType = 'Digest';
    await next();
  });
  const middleware = cgi({ mounts: { '/cgi-bin': EXAMPLE_BIN }, passAuthorization: true });
  app.use(middleware);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    await app.close(500);
    await middleware.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cgi-bin/env.sh`;
  const env = parseEnv(await (await fetch(url, { headers: { Authorization: 'Bearer token123' } })).text());
  t.is(env.HTTP_AUTHORIZATION, 'Bearer token123');
  t.is(env.REMOTE_USER, 'alice');
  t.is(env.AUTH_TYPE, 'Digest');
});

test('over TLS: HTTPS=on, REQUEST_SCHEME=https', async (t) => {
  const dir = tempDir(t);
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' });
  t.is(made.status, 0, made.stderr);
  const app = new Application({ logger: { info() {}, warn() {}, error() {} } });
  const middleware = cgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  app.use(middleware);
  const server = app.listen({ port: 0, host: '127.0.0.1', tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) } });
  await once(server, 'listening');
  t.teardown(async () => {
    await app.close(500);
    await middleware.close();
  });
  const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  socket.write('GET /cgi-bin/env.sh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  await once(socket, 'end');
  t.regex(text, /^HTTP\/1\.1 200/);
  t.regex(text, /^HTTPS=on$/m);
  t.regex(text, /^REQUEST_SCHEME=https$/m);
  t.regex(text, /^SERVER_NAME=localhost$/m);
});

test('HTTP/1.0 requests report SERVER_PROTOCOL=HTTP/1.0', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const { Socket } = await import('node:net');
  const socket = new Socket();
  socket.connect(s.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /cgi-bin/env.sh HTTP/1.0\r\n\r\n');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  await once(socket, 'end');
  t.regex(text, /^HTTP\/1\.0 200/);
  t.regex(text, /^SERVER_PROTOCOL=HTTP\/1\.0$/m);
  t.regex(text, /^SERVER_NAME=127\.0\.0\.1$/m, 'no Host: the local address');
});
