/**
 * Headless Chromium for the browser tests: Debian's `chromium` (installed by scripts/ensure-system-deps.sh), driven by
 * puppeteer-core, one browser per test with its own temporary profile, always closed and removed in the test's
 * teardown. It must never download a browser, reuse a profile between tests, or leave a Chromium process behind.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Where Debian's `chromium` package puts its launcher; `SLUICE_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';

export interface ChromiumOptions {
  /** The Chromium binary. Default {@link CHROMIUM_PATH}. */
  executablePath?: string;
  /** Extra command-line switches (e.g. `--autoplay-policy=no-user-gesture-required`). */
  args?: string[];
  /** Accept any TLS certificate, for servers using a self-signed test certificate. Default `false`. */
  acceptInsecureCerts?: boolean;
  /** How long the browser may take to start, in ms. Default 30 s (the machine running the suite is shared and loaded). */
  launchTimeoutMs?: number;
  /** Default time limit of page operations (`goto`, `waitForFunction`, `evaluate`), in ms. Default 30 s. */
  timeoutMs?: number;
}

const defaults = {
  executablePath: CHROMIUM_PATH,
  args: [] as string[],
  acceptInsecureCerts: false,
  launchTimeoutMs: 30_000,
  timeoutMs: 30_000,
};

/** The message a test fails with when Chromium is not there: what is missing and the one command that installs it. */
export function missingChromiumMessage(path: string): string {
  return `Chromium is not installed (no executable ${path}): the browser tests need Debian's chromium package; ` +
    'run `bash scripts/ensure-system-deps.sh` as root (it runs apt-get install chromium), or set SLUICE_CHROMIUM to a Chromium binary';
}

/**
 * Starts headless Chromium for one test and registers its shutdown with `t.teardown` (the browser closed, killed if
 * closing hangs, and its temporary profile removed). Throws one clear error when Chromium is missing.
 *
 * @example
 * const browser = await launchChromium(t);
 * const { page } = await openPage(t, browser, url);
 */
export async function launchChromium(t: ExecutionContext, options: ChromiumOptions = {}): Promise<Browser> {
  const { executablePath, args, acceptInsecureCerts, launchTimeoutMs, timeoutMs } = { ...defaults, ...options };
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    throw new Error(missingChromiumMessage(executablePath));
  }
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      pipe: true, // DevTools over a pipe: no debugging port opened on the shared machine
      acceptInsecureCerts,
      timeout: launchTimeoutMs,
      protocolTimeout: timeoutMs,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        // Chromium's sandbox refuses to start as root (CI runs the suite as root).
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        ...args,
      ],
    });
  } catch (err) {
    removeProfile();
    throw err;
  }
  t.teardown(async () => {
    const child = browser.process();
    const killer = setTimeout(() => child?.kill('SIGKILL'), 5000);
    try {
      await browser.close();
    } catch {
      child?.kill('SIGKILL');
    } finally {
      clearTimeout(killer);
      removeProfile();
    }
  });
  return browser;
}

/** A page and what it said while the test ran, for failure messages. */
export interface OpenedPage {
  page: Page;
  /** Console messages, uncaught page errors and failed requests, in order, one line each. */
  log: string[];
}

/**
 * Opens `url` in a new tab of `browser` and waits for its `load` event. Console output, uncaught exceptions and failed
 * requests are collected in `log` and attached to the test's failure output (`t.log`) if the test fails.
 */
export async function openPage(t: ExecutionContext, browser: Browser, url: string, options: Pick<ChromiumOptions, 'timeoutMs'> = {}): Promise<OpenedPage> {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  const log: string[] = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
  page.on('requestfailed', (request) => log.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText ?? '?'})`));
  t.teardown(() => {
    if (!t.passed && log.length > 0) t.log(`what the page said:\n${log.join('\n')}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  return { page, log };
}

/** The protocol the page's own document was fetched over, as the browser saw it: `http/1.1`, `h2`, `h3`. */
export async function navigationProtocol(page: Page): Promise<string> {
  // A string, so this Node-side file needs no DOM types.
  return String(await page.evaluate(`performance.getEntriesByType('navigation')[0].nextHopProtocol`));
}
