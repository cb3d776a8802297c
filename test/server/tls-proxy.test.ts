/**
 * HTTPS and proxy trust through the real command: --tls-cert/--tls-key (and the
 * config keys) serve HTTPS and print an https URL; `proxy: true` honours
 * X-Forwarded-For/-Proto/-Host only from `trustedProxies`.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { repoRoot, request, startSluice, tempSite } from './helpers.js';

const run = promisify(execFile);
const fixtures = path.join(repoRoot, 'test/server/fixtures');
const endpoints = path.join(fixtures, 'endpoints.config.mjs');

/** The tests' self-signed certificate for localhost/127.0.0.1 (see fixtures/tls/README.md). */
function certificate(t: ExecutionContext): { dir: string; cert: string; key: string } {
  const dir = tempSite(t);
  return { dir, cert: path.join(fixtures, 'tls/cert.pem'), key: path.join(fixtures, 'tls/key.pem') };
}

function endpointsWith(t: ExecutionContext, keys: Record<string, unknown>): string {
  const dir = tempSite(t);
  const file = path.join(dir, 'sluice.config.mjs');
  writeFileSync(file, `import base from ${JSON.stringify(endpoints)};\nexport default { ...base, ...${JSON.stringify(keys)} };\n`);
  return file;
}

test.serial('--tls-cert and --tls-key serve HTTPS', async (t) => {
  const { dir, cert, key } = certificate(t);
  const site = tempSite(t, { 'index.html': 'secure\n' });
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0', '--tls-cert', cert, '--tls-key', key], { cwd: dir });
  t.regex(sluice.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(cert);
  t.is((await request(`${sluice.url}/`, { ca })).body, 'secure\n');
  const client = JSON.parse((await request(`${sluice.url}/client`, { ca })).body) as { protocol: string };
  t.is(client.protocol, 'https');
});

test.serial('curl with http:// on the TLS port gets 400 saying plain HTTP was sent to an HTTPS port, and the server keeps serving HTTPS', async (t) => {
  const { dir, cert, key } = certificate(t);
  const site = tempSite(t, { 'index.html': 'secure\n' });
  const sluice = await startSluice(t, ['--root', site, '--port', '0', '--tls-cert', cert, '--tls-key', key], { cwd: dir });
  const { stdout } = await run('curl', ['-s', '-i', '--max-time', '20', `http://127.0.0.1:${sluice.port}/`]);
  t.regex(stdout, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.regex(stdout, /\r\nConnection: close\r\n/);
  t.true(stdout.endsWith('\r\n\r\nBad Request: a plain HTTP request was sent to an HTTPS port; use https://\n'));
  t.is((await request(`${sluice.url}/`, { ca: readFileSync(cert) })).body, 'secure\n');
});

test.serial('tlsCert and tlsKey in a config file, with two workers', async (t) => {
  const { cert, key } = certificate(t);
  const site = tempSite(t, { 'index.html': 'secure file\n', 'sluice.json': JSON.stringify({ port: 0, workers: 2, tlsCert: cert, tlsKey: key }) });
  const sluice = await startSluice(t, ['--config', `${site}/sluice.json`, '--root', site]);
  t.regex(sluice.url, /^https:/);
  t.is((await request(`${sluice.url}/`, { ca: readFileSync(cert) })).body, 'secure file\n');
});

const forged = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'forged.example' };

test.serial('without proxy, X-Forwarded-* headers are ignored', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpoints, '--root', site, '--port', '0']);
  const client = JSON.parse((await request(`${sluice.url}/client`, { headers: forged })).body) as Record<string, unknown>;
  t.is(client.ip, '127.0.0.1');
  t.is(client.protocol, 'http');
  t.is(client.host, `127.0.0.1:${sluice.port}`);
});

test.serial('proxy: true honours X-Forwarded-* from a trusted address', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpointsWith(t, { proxy: true, trustedProxies: ['127.0.0.0/8'] }), '--root', site, '--port', '0']);
  const client = JSON.parse((await request(`${sluice.url}/client`, { headers: forged })).body) as Record<string, unknown>;
  t.is(client.ip, '203.0.113.7');
  t.is(client.protocol, 'https');
  t.is(client.host, 'forged.example');
  t.is(client.peer, '127.0.0.1');
});

test.serial('proxy: true ignores X-Forwarded-* from an address that is not trusted', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpointsWith(t, { proxy: true, trustedProxies: ['10.0.0.0/8', '::1'] }), '--root', site, '--port', '0']);
  const client = JSON.parse((await request(`${sluice.url}/client`, { headers: forged })).body) as Record<string, unknown>;
  t.is(client.ip, '127.0.0.1');
  t.deepEqual(client.ips, []);
  t.is(client.protocol, 'http');
  t.is(client.host, `127.0.0.1:${sluice.port}`);
});

test.serial('proxy: true takes the right-most untrusted address of the X-Forwarded-For chain', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpointsWith(t, { proxy: true, trustedProxies: ['127.0.0.1', '10.0.0.0/8'] }), '--root', site, '--port', '0']);
  // The client forged the first entry; 198.51.100.4 is who connected to the trusted 10.1.1.1 proxy.
  const headers = { 'X-Forwarded-For': '1.2.3.4, 198.51.100.4, 10.1.1.1' };
  const client = JSON.parse((await request(`${sluice.url}/client`, { headers })).body) as Record<string, unknown>;
  t.is(client.ip, '198.51.100.4');
  t.deepEqual(client.ips, ['198.51.100.4', '10.1.1.1']);
});

test.serial('the default trusted proxies are the loopback addresses', async (t) => {
  const site = tempSite(t);
  const sluice = await startSluice(t, ['--config', endpointsWith(t, { proxy: true }), '--root', site, '--port', '0']);
  const client = JSON.parse((await request(`${sluice.url}/client`, { headers: forged })).body) as Record<string, unknown>;
  t.is(client.ip, '203.0.113.7');
});
