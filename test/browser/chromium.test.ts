/**
 * The browser harness itself (test/browser/chromium.ts): headless Chromium loads pages from a real sluice app over HTTP
 * and over TLS with a self-signed certificate, reports the protocol it used, and a missing Chromium is one clear error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { Application } from '@sluice/core';
import { listen } from '@sluice/test-support';
import { launchChromium, missingChromiumMessage, navigationProtocol, openPage } from './chromium.js';

const run = promisify(execFile);

const PAGE = `<!DOCTYPE html><html><head><title>harness</title></head><body><p id="out">pending</p><script>
fetch('/data').then((r) => r.json()).then((d) => { document.getElementById('out').textContent = 'got ' + d.answer; });
</script></body></html>`;

/** A sluice app serving PAGE at / and JSON at /data, closed in the test's teardown; records each request's User-Agent. */
async function pageApp(t: ExecutionContext, tls?: { key: Buffer; cert: Buffer }): Promise<{ origin: string; agents: string[] }> {
  const agents: string[] = [];
  const app = new Application();
  app.use((ctx) => {
    agents.push(`${ctx.path} ${ctx.get('User-Agent')}`);
    if (ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = PAGE;
    } else if (ctx.path === '/data') {
      ctx.body = { answer: 42 };
    }
  });
  const { url } = await listen(app, tls);
  t.teardown(() => app.close(1000));
  return { origin: url, agents };
}

test('headless Chromium loads a page from a sluice app over HTTP/1.1 and its script fetches JSON', async (t) => {
  const { origin, agents } = await pageApp(t);
  const browser = await launchChromium(t);
  const { page } = await openPage(t, browser, `${origin}/`);
  await page.waitForFunction(`document.getElementById('out').textContent !== 'pending'`);
  t.is(await page.$eval('#out', (el) => el.textContent), 'got 42');
  t.is(await page.title(), 'harness');
  t.is(await navigationProtocol(page), 'http/1.1');
  t.true(agents.some((line) => line.startsWith('/ ') && line.includes('HeadlessChrome')), agents.join('\n'));
  t.true(agents.some((line) => line.startsWith('/data ')), agents.join('\n'));
});

test('over TLS with a self-signed certificate, Chromium refuses the page unless told to accept the certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-browser-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const { origin } = await pageApp(t, { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });

  const strict = await launchChromium(t);
  const refused = await t.throwsAsync(openPage(t, strict, `${origin}/`));
  t.regex(refused.message, /ERR_CERT_AUTHORITY_INVALID/);

  const trusting = await launchChromium(t, { acceptInsecureCerts: true });
  const { page } = await openPage(t, trusting, `${origin}/`);
  await page.waitForFunction(`document.getElementById('out').textContent !== 'pending'`);
  t.is(await page.$eval('#out', (el) => el.textContent), 'got 42');
  t.is(await navigationProtocol(page), 'http/1.1');
  t.is(await page.evaluate('window.isSecureContext'), true);
});

test('a missing Chromium fails with one message naming the package and the script that installs it', async (t) => {
  const error = await t.throwsAsync(launchChromium(t, { executablePath: '/nonexistent/chromium' }));
  t.is(error.message, missingChromiumMessage('/nonexistent/chromium'));
  t.regex(error.message, /chromium package.*scripts\/ensure-system-deps\.sh/);
});
