/**
 * HTTP/2 through the real `sluice` command: on by default with TLS (h2 by ALPN, http/1.1 for
 * the rest), off with --no-http2 or `http2: false`, cleartext HTTP/2 with --h2c, and the
 * access log naming the protocol.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { repoRoot, startSluice, tempSite, until } from './helpers.js';

const run = promisify(execFile);
const cert = path.join(repoRoot, 'test/server/fixtures/tls/cert.pem');
const key = path.join(repoRoot, 'test/server/fixtures/tls/key.pem');

/** curl -i with `args` on `url` (localhost resolved to 127.0.0.1 on `port`); its whole output. */
async function curl(port: number, url: string, args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-s', '-i', '--max-time', '20', '--cacert', cert, '--resolve', `localhost:${port}:127.0.0.1`, ...args, url]);
  return stdout;
}

test.serial('with TLS, HTTP/2 is on by default: curl --http2 gets h2, --http1.1 HTTP/1.1; the access log shows each', async (t) => {
  const site = tempSite(t, { 'index.html': 'over h2\n' });
  const sluice = await startSluice(t, ['--root', site, '--port', '0', '--tls-cert', cert, '--tls-key', key]);
  const url = `https://localhost:${sluice.port}/`;
  const h2 = await curl(sluice.port, url, ['--http2']);
  t.regex(h2, /^HTTP\/2 200 \r\n/);
  t.true(h2.endsWith('\r\n\r\nover h2\n'));
  const h1 = await curl(sluice.port, `${url}index.html`, ['--http1.1']);
  t.regex(h1, /^HTTP\/1\.1 200 OK\r\n/);
  await until(() => sluice.stdout().includes('"GET /index.html HTTP/1.1"'));
  t.true(sluice.stdout().includes('"GET / HTTP/2.0" 200 8 '));
});

test.serial('--no-http2 (or http2: false in the config) offers only http/1.1 on the TLS port', async (t) => {
  const site = tempSite(t, { 'index.html': 'one\n', 'sluice.json': JSON.stringify({ port: 0, http2: false, tlsCert: cert, tlsKey: key }) });
  const flag = await startSluice(t, ['--root', site, '--port', '0', '--tls-cert', cert, '--tls-key', key, '--no-http2']);
  t.regex(await curl(flag.port, `https://localhost:${flag.port}/`, ['--http2']), /^HTTP\/1\.1 200 OK\r\n/);
  const file = await startSluice(t, ['--config', path.join(site, 'sluice.json'), '--root', site]);
  t.regex(await curl(file.port, `https://localhost:${file.port}/`, ['--http2']), /^HTTP\/1\.1 200 OK\r\n/);
});

test.serial('--h2c serves HTTP/2 with prior knowledge beside HTTP/1.1 on the plain port; without it the preface gets 505', async (t) => {
  const site = tempSite(t, { 'index.html': 'plain\n' });
  const sluice = await startSluice(t, ['--root', site, '--port', '0', '--h2c']);
  const h2c = await curl(sluice.port, `http://127.0.0.1:${sluice.port}/`, ['--http2-prior-knowledge']);
  t.regex(h2c, /^HTTP\/2 200 \r\n/);
  t.true(h2c.endsWith('plain\n'));
  t.regex(await curl(sluice.port, `http://127.0.0.1:${sluice.port}/`, []), /^HTTP\/1\.1 200 OK\r\n/);
  const without = await startSluice(t, ['--root', site, '--port', '0']);
  const refused = await curl(without.port, `http://127.0.0.1:${without.port}/`, ['--http2-prior-knowledge']).catch((error: { stdout?: string }) => error.stdout ?? '');
  t.notRegex(refused, /^HTTP\/2 200/);
});

test.serial('h2c in a config file, with two workers', async (t) => {
  const site = tempSite(t, { 'index.html': 'workers\n' });
  const config = path.join(site, 'sluice.json');
  writeFileSync(config, JSON.stringify({ port: 0, workers: 2, h2c: true }));
  const sluice = await startSluice(t, ['--config', config, '--root', site]);
  for (let i = 0; i < 4; i++) t.regex(await curl(sluice.port, `http://127.0.0.1:${sluice.port}/`, ['--http2-prior-knowledge']), /^HTTP\/2 200 \r\n/);
});
