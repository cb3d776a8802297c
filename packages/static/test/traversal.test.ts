/**
 * Path traversal: 40 known payloads sent as raw request bytes must each get 400 or 404,
 * never bytes from outside the root, and never make serveStatic touch (stat, open,
 * realpath) a path outside the root — every file-system call is recorded and checked.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { makeSite, raw, start } from './helpers.js';

const PAYLOADS = [
  '/../secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/%2e%2e%2fsecret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/..%5csecret.txt',
  '/..%5Csecret.txt',
  '/..\\secret.txt',
  '/%5c..%5csecret.txt',
  '/%2e%2e%5csecret.txt',
  '/sub/../../secret.txt',
  '/sub/%2e%2e/%2e%2e/secret.txt',
  '/sub/..%2f..%2fsecret.txt',
  '/sub%2f..%2f..%2fsecret.txt',
  '/%2f%2e%2e%2fsecret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/..%255csecret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%ae%c0%ae%c0%afsecret.txt',
  '/%c0%af..%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%c1%9c..%c1%9csecret.txt',
  '/..%c0%afsecret.txt',
  '/%uff0e%uff0e/secret.txt',
  '/%ef%bc%8e%ef%bc%8e/secret.txt',
  '/%00/../secret.txt',
  '/secret.txt%00.html',
  '/..%00/secret.txt',
  '/..;/secret.txt',
  '/....//secret.txt',
  '/.../secret.txt',
  '//../secret.txt',
  '/./../secret.txt',
  '/../../../../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
  '/....\\....\\etc\\passwd',
  'http://127.0.0.1/../secret.txt',
  'http://127.0.0.1/%2e%2e/secret.txt',
  `/${'../'.repeat(300)}etc/passwd`,
  `/${'a/'.repeat(2000)}x`,
];

function setup(): { base: string; root: string; remove(): void } {
  const site = makeSite({ 'index.html': 'home', 'sub/inner.txt': 'inner' });
  writeFileSync(join(site.base, 'secret.txt'), 'TOPSECRET');
  return site;
}

// Records every path serveStatic hands to the file system.
function recordFileSystem(): { paths: string[]; restore(): void } {
  const paths: string[] = [];
  const originals = { stat: fsp.stat, open: fsp.open, realpath: fsp.realpath, readdir: fsp.readdir };
  const mutable = fsp as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(originals)) {
    mutable[name] = (path: unknown, ...rest: unknown[]) => {
      paths.push(String(path));
      return (fn as (...a: unknown[]) => unknown)(path, ...rest);
    };
  }
  return { paths, restore: () => Object.assign(mutable, originals) };
}

test('there are at least 30 payloads', (t) => {
  t.true(PAYLOADS.length >= 30);
});

for (const fallthrough of [false, true]) {
  test.serial(`every payload gets 400 or 404 and touches nothing outside the root (fallthrough: ${fallthrough})`, async (t) => {
    const site = setup();
    const s = await start(serveStatic({ root: site.root, fallthrough, dotfiles: 'allow' }));
    const recorder = recordFileSystem();
    try {
      for (const payload of PAYLOADS) {
        const res = await raw(s.port, `GET ${payload} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        t.true(res.status === 400 || res.status === 404, `${payload.slice(0, 60)} → ${res.status}`);
        t.false(res.text.includes('TOPSECRET'), payload);
        t.false(res.text.includes('root:x:'), payload);
      }
      const rootSlash = site.root + '/';
      const outside = recorder.paths.filter((p) => p !== site.root && !p.startsWith(rootSlash));
      t.true(recorder.paths.length > 0, 'the recorder saw the calls that did happen');
      t.deepEqual(outside, [], 'no file-system call outside the root');
    } finally {
      recorder.restore();
      await s.close();
      site.remove();
    }
  });
}

test.serial('with fallthrough: false, decoded dot segments, slashes, backslashes and NUL are 400', async (t) => {
  const site = setup();
  const s = await start(serveStatic({ root: site.root, fallthrough: false }));
  try {
    for (const payload of ['/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/..\\secret.txt', '/a%00b', '/%c0%ae%c0%ae/x', '/../secret.txt']) {
      const res = await raw(s.port, `GET ${payload} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      t.is(res.status, 400, payload);
    }
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('the server stays healthy after the payloads', async (t) => {
  const site = setup();
  const s = await start(serveStatic({ root: site.root }));
  try {
    for (const payload of PAYLOADS.slice(0, 10)) await raw(s.port, `GET ${payload} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.is(await (await fetch(`${s.url}/sub/inner.txt`)).text(), 'inner');
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('a symlink leading outside the root is refused with 403 unless followSymlinks', async (t) => {
  const site = setup();
  mkdirSync(join(site.base, 'outside-dir'));
  writeFileSync(join(site.base, 'outside-dir', 'f.txt'), 'TOPSECRET');
  symlinkSync(join(site.base, 'secret.txt'), join(site.root, 'link-out.txt'));
  symlinkSync(join(site.base, 'outside-dir'), join(site.root, 'dir-out'));
  symlinkSync('sub/inner.txt', join(site.root, 'link-in.txt'));
  const strict = await start(serveStatic({ root: site.root, listing: true, index: false }));
  const follow = await start(serveStatic({ root: site.root, followSymlinks: true }));
  try {
    for (const path of ['/link-out.txt', '/dir-out/f.txt']) {
      const res = await raw(strict.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      t.is(res.status, 403, path);
      t.false(res.text.includes('TOPSECRET'));
    }
    t.is(await (await fetch(`${strict.url}/link-in.txt`)).text(), 'inner', 'a symlink inside the root is served');
    const listing = await (await fetch(`${strict.url}/`, { headers: { Accept: 'application/json' } })).json() as { entries: Array<{ name: string }> };
    const names = listing.entries.map((e) => e.name);
    t.false(names.includes('link-out.txt'));
    t.false(names.includes('dir-out'));
    t.true(names.includes('link-in.txt'));
    t.is(await (await fetch(`${follow.url}/link-out.txt`)).text(), 'TOPSECRET');
    t.is(await (await fetch(`${follow.url}/dir-out/f.txt`)).text(), 'TOPSECRET');
  } finally {
    await strict.close();
    await follow.close();
    site.remove();
  }
});
