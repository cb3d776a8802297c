// A real browser over HTTP/2: headless Chromium loads a page with a stylesheet and a script
// from a TLS port with `http2: true` (self-signed certificate, --ignore-certificate-errors);
// the page reports its own protocol (nextHopProtocol) and the server saw every request as HTTP/2.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { Application } from '@sluice/core';

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL('server/fixtures/tls/', import.meta.url));

const PAGE = '<!doctype html><html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>' +
  '<body><p id="protocol"></p><script>document.getElementById("protocol").textContent = ' +
  'performance.getEntriesByType("navigation")[0].nextHopProtocol + " " + window.loaded;</script></body></html>';

test('headless Chromium loads a page and its assets over h2', async (t) => {
  const seen: string[] = [];
  const app = new Application();
  app.use((ctx) => {
    seen.push(`${ctx.path} ${ctx.req.httpVersion}`);
    if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = PAGE;
    } else if (ctx.path === '/style.css') {
      ctx.type = 'css';
      ctx.body = 'p { color: green }';
    } else if (ctx.path === '/app.js') {
      ctx.type = 'js';
      ctx.body = 'window.loaded = "script-ran";';
    }
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', http2: true, tls: { key: readFileSync(path.join(fixtures, 'key.pem')), cert: readFileSync(path.join(fixtures, 'cert.pem')) } });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const profile = mkdtempSync(path.join(tmpdir(), 'sluice-chromium-'));
  t.teardown(() => rmSync(profile, { recursive: true, force: true }));
  const { stdout } = await run('chromium', [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--ignore-certificate-errors',
    `--user-data-dir=${profile}`, '--dump-dom', `https://localhost:${port}/`,
  ], { timeout: 60_000 });
  t.regex(stdout, /<p id="protocol">h2 script-ran<\/p>/);
  for (const asset of ['/ 2.0', '/style.css 2.0', '/app.js 2.0']) t.true(seen.includes(asset), asset);
  t.true(seen.every((line) => line.endsWith(' 2.0')), seen.join(', '));
  await app.close(500);
});
