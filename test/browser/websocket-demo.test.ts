/**
 * The default site's WebSocket demo in a real browser: headless Chromium opens /chat.html from the
 * `sluice` command (examples/site/sluice.config.js) in two tabs, joins the room in each, and a message
 * typed in one appears in both; closing a tab is seen by the other. Then the same page over TLS (wss:).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { Page } from 'puppeteer-core';
import { repoRoot, startSluice } from '../server/helpers.js';
import { launchChromium, openPage } from './chromium.js';

const run = promisify(execFile);

/** Joins the chat as `name` on an opened /chat.html and waits until the page says it is connected. */
async function joinRoom(page: Page, name: string): Promise<void> {
  await page.bringToFront();
  await page.type('#name', name);
  await page.click('#join button');
  await page.waitForFunction(`document.getElementById('status').textContent === 'connected'`, { polling: 50 });
}

/**
 * Waits until the page's log has a line equal to `line`; returns all lines. The tab is brought to the front and
 * polled by timer, not by animation frame: a tab in the background gets no frames, and headless Chromium may stall it.
 */
async function waitForLine(page: Page, line: string): Promise<string[]> {
  await page.bringToFront();
  // Strings, so this Node-side file needs no DOM types.
  const lines = `[...document.querySelectorAll('#log li')].map((li) => li.textContent)`;
  await page.waitForFunction(`${lines}.includes(${JSON.stringify(line)})`, { polling: 50 });
  return (await page.evaluate(lines)) as string[];
}

/** Sends `text` through the page's form. */
async function say(page: Page, text: string): Promise<void> {
  await page.bringToFront();
  await page.type('#text', text);
  await page.click('#say button');
}

test.serial('two Chromium tabs chat through the default site\'s WebSocket demo', async (t) => {
  const sluice = await startSluice(t, ['--config', 'examples/site/sluice.config.js', '--port', '0'], { cwd: repoRoot });
  const browser = await launchChromium(t);
  const ada = (await openPage(t, browser, `${sluice.url}/chat.html`)).page;
  await joinRoom(ada, 'ada');
  await waitForLine(ada, '* ada joined (1 here)');
  const bob = (await openPage(t, browser, `${sluice.url}/chat.html`)).page;
  await joinRoom(bob, 'bob');
  await waitForLine(ada, '* bob joined (2 here)');
  await say(bob, 'hello from bob');
  t.deepEqual(await waitForLine(ada, 'bob: hello from bob'), ['* ada joined (1 here)', '* bob joined (2 here)', 'bob: hello from bob']);
  t.deepEqual(await waitForLine(bob, 'bob: hello from bob'), ['* bob joined (2 here)', 'bob: hello from bob']);
  await say(ada, 'hi bob');
  await waitForLine(bob, 'ada: hi bob');
  await bob.close();
  await waitForLine(ada, '* bob left');
  t.pass();
});

test.serial('the demo page over TLS: the browser connects with wss: to the same endpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-browser-wss-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  const sluice = await startSluice(t, ['--config', 'examples/site/sluice.config.js', '--port', '0',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], { cwd: repoRoot });
  t.regex(sluice.url, /^https:/);
  const browser = await launchChromium(t, { acceptInsecureCerts: true });
  const page = (await openPage(t, browser, `${sluice.url}/chat.html`)).page;
  await joinRoom(page, 'tls');
  await waitForLine(page, '* tls joined (1 here)');
  await say(page, 'secure');
  t.deepEqual(await waitForLine(page, 'tls: secure'), ['* tls joined (1 here)', 'tls: secure']);
});
