// The same example app (examples/custom-method: a response cache with PURGE) answers identically
// over HTTP/1.1, h2 (TLS, ALPN) and h2c (prior knowledge): one sequence of requests sent with
// curl over each transport, compared status by status, header by header, body by body.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { createApp } from '../examples/custom-method/app.js';

const run = promisify(execFile);
const certPath = fileURLToPath(new URL('server/fixtures/tls/cert.pem', import.meta.url));
const keyPath = fileURLToPath(new URL('server/fixtures/tls/key.pem', import.meta.url));

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Fields that describe the connection or the moment, not the answer.
const VARYING = new Set(['date', 'connection', 'keep-alive']);

/** One request with curl over `transport`; the answer with lowercased names and the moment masked. */
async function curl(transport: string[], method: string, url: string): Promise<Answer> {
  // HEAD with -I: curl then expects no body (with -X HEAD it would wait for one).
  const methodArgs = method === 'HEAD' ? ['-I'] : ['-X', method];
  const { stdout } = await run('curl', ['-s', '-i', '--cacert', certPath, ...transport, ...methodArgs, url]);
  const split = stdout.indexOf('\r\n\r\n');
  const lines = stdout.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (!VARYING.has(name)) headers[name] = line.slice(colon + 1).trim();
  }
  const body = stdout.slice(split + 4).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');
  return { status: Number(lines[0].split(' ')[1]), headers, body };
}

test('the same example app answers identically over HTTP/1.1, h2 and h2c', async (t) => {
  const transports: Record<string, { args: string[]; url: (plain: number, secure: number) => string }> = {
    'HTTP/1.1': { args: ['--http1.1'], url: (plain) => `http://127.0.0.1:${plain}` },
    h2: { args: ['--http2', '--resolve', ''], url: (_plain, secure) => `https://localhost:${secure}` },
    h2c: { args: ['--http2-prior-knowledge'], url: (plain) => `http://127.0.0.1:${plain}` },
  };
  const steps: Array<[string, string]> = [
    ['GET', '/report'], ['GET', '/report'], ['HEAD', '/report'], ['PURGE', '/report'], ['GET', '/report'],
    ['DELETE', '/report'], ['BREW', '/report'], ['OPTIONS', '/report'], ['OPTIONS', '*'], ['GET', '/nowhere'],
  ];
  const results: Record<string, Answer[]> = {};
  const versions: Record<string, string> = {};
  for (const [name, transport] of Object.entries(transports)) {
    // A fresh copy of the app per transport, so each starts from the same (empty) cache.
    const { app } = createApp({ renderDelayMs: 5 });
    const plain = app.listen({ port: 0, host: '127.0.0.1', h2c: true });
    const secure = app.listen({ port: 0, host: '127.0.0.1', http2: true, tls: { key: readFileSync(keyPath), cert: readFileSync(certPath) } });
    await Promise.all([once(plain, 'listening'), once(secure, 'listening')]);
    const plainPort = (plain.address() as AddressInfo).port;
    const securePort = (secure.address() as AddressInfo).port;
    const args = transport.args.map((a) => (a === '' ? `localhost:${securePort}:127.0.0.1` : a));
    const base = transport.url(plainPort, securePort);
    results[name] = [];
    for (const [method, path] of steps) {
      const url = path === '*' ? `${base}` : `${base}${path}`;
      const answer = await curl(path === '*' ? [...args, '--request-target', '*'] : args, method, url);
      results[name].push(answer);
    }
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_version}', '--cacert', certPath, ...args, `${base}/report`]);
    versions[name] = stdout;
    await app.close(500);
  }
  t.deepEqual(versions, { 'HTTP/1.1': '1.1', h2: '2', h2c: '2' });
  // The answers themselves, as a reader would check them on HTTP/1.1.
  const h1 = results['HTTP/1.1'];
  t.deepEqual(h1.map((a) => a.status), [200, 200, 200, 200, 200, 405, 501, 204, 204, 404]);
  t.is(h1[0].headers['x-cache'], 'MISS');
  t.is(h1[1].headers['x-cache'], 'HIT');
  t.is(h1[5].headers.allow, 'GET, PURGE, HEAD, OPTIONS');
  t.deepEqual(results.h2, h1);
  t.deepEqual(results.h2c, h1);
});
