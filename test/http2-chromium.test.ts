// A real browser over HTTP/2: headless Chromium (test/browser/chromium.ts) loads a page with a
// stylesheet and a script from a TLS port with `http2: true` and a self-signed certificate; the
// page was fetched over h2 as the browser saw it, its assets too, and the server saw HTTP/2.0.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Application } from '@sluice/core';
import { launchChromium, navigationProtocol, openPage } from './browser/chromium.js';

const fixtures = new URL('server/fixtures/tls/', import.meta.url);

const PAGE = '<!doctype html><html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>' +
  '<body><p>over h2</p></body></html>';

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
      ctx.body = 'p { color: rgb(0, 128, 0) }';
    } else if (ctx.path === '/app.js') {
      ctx.type = 'js';
      ctx.body = 'window.loaded = "script-ran";';
    }
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', http2: true, tls: { key: readFileSync(new URL('key.pem', fixtures)), cert: readFileSync(new URL('cert.pem', fixtures)) } });
  await once(server, 'listening');
  t.teardown(() => app.close(500));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchChromium(t, { acceptInsecureCerts: true });
  const { page } = await openPage(t, browser, `https://localhost:${port}/`);
  t.is(await navigationProtocol(page), 'h2');
  t.is(await page.evaluate('window.loaded'), 'script-ran');
  t.is(await page.evaluate('getComputedStyle(document.querySelector("p")).color'), 'rgb(0, 128, 0)');
  const assets = (await page.evaluate('performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname + " " + e.nextHopProtocol)')) as string[];
  t.true(assets.includes('/style.css h2'), assets.join(', '));
  t.true(assets.includes('/app.js h2'), assets.join(', '));
  t.true(assets.every((entry) => entry.endsWith(' h2')), assets.join(', '));
  for (const request of ['/ 2.0', '/style.css 2.0', '/app.js 2.0']) t.true(seen.includes(request), request);
  t.true(seen.every((line) => line.endsWith(' 2.0')), seen.join(', '));
});
