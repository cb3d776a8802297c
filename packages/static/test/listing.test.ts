/** Directory listings: HTML or JSON by Accept, escaped names, sorted, sizes and dates, dotfile policy, bounds. */
import { execFileSync } from 'node:child_process';
import { symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start } from './helpers.js';

const FILES = {
  'files/b.txt': 'bb',
  'files/a.txt': 'a',
  'files/<img src=x onerror=alert(1)>.txt': 'x',
  'files/q"uote&amp.txt': 'x',
  'files/100%.txt': 'x',
  'files/big.bin': Buffer.alloc(3 * 1024 * 1024),
  'files/zdir/': '',
  'files/adir/': '',
  'files/.hidden': 'h',
  'files/with index/index.html': 'idx',
};

type Listing = { path: string; truncated: boolean; entries: Array<{ name: string; type: string; size: number; mtime: string }> };

test('JSON listing by Accept: sorted (directories first), sizes and ISO dates, dotfiles hidden', async (t) => {
  const site = makeSite(FILES);
  const when = new Date('2024-05-06T07:08:09Z');
  utimesSync(join(site.root, 'files/a.txt'), when, when);
  const s = await start(serveStatic({ root: site.root, listing: true }));
  try {
    const res = await fetch(`${s.url}/files/`, { headers: { Accept: 'application/json' } });
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
    t.is(res.headers.get('vary'), 'Accept');
    const body = (await res.json()) as Listing;
    t.is(body.path, '/files/');
    t.false(body.truncated);
    t.deepEqual(body.entries.map((e) => e.name), [
      'adir', 'with index', 'zdir',
      '100%.txt', '<img src=x onerror=alert(1)>.txt', 'a.txt', 'b.txt', 'big.bin', 'q"uote&amp.txt',
    ]);
    const a = body.entries.find((e) => e.name === 'a.txt');
    t.deepEqual(a, { name: 'a.txt', type: 'file', size: 1, mtime: '2024-05-06T07:08:09.000Z' });
    t.is(body.entries.find((e) => e.name === 'big.bin')?.size, 3 * 1024 * 1024);
    t.is(body.entries.find((e) => e.name === 'adir')?.type, 'directory');
  } finally {
    await s.close();
    site.remove();
  }
});

test('HTML listing escapes names and percent-encodes links', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true }));
  try {
    const res = await fetch(`${s.url}/files/`, { headers: { Accept: 'text/html' } });
    t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await res.text();
    t.false(html.includes('<img'), 'no raw markup from names');
    t.true(html.includes('&#60;img src=x onerror=alert(1)&#62;.txt'));
    t.true(html.includes('href="./%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt"'));
    t.true(html.includes('href="./q%22uote%26amp.txt"'));
    t.true(html.includes('href="./100%25.txt"'));
    t.true(html.includes('href="./with%20index/"'));
    t.true(html.includes('3.0 MiB'));
    t.true(html.includes('<title>Index of /files/</title>'));
    t.true(html.includes('href="../"'));
    t.false(html.includes('.hidden'));
    t.true(html.indexOf('adir/') < html.indexOf('a.txt'), 'directories first');
  } finally {
    await s.close();
    site.remove();
  }
});

test('listing follows links back: every linked name is served', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true }));
  try {
    const html = await (await fetch(`${s.url}/files/`)).text();
    const hrefs = [...html.matchAll(/href="\.\/([^"]+)"/g)].map((m) => m[1]).filter((h) => !h.endsWith('/'));
    t.true(hrefs.length >= 5);
    for (const href of hrefs) {
      const res = await rawRequest(s.port, `/files/${href}`, { method: 'HEAD' });
      t.is(res.status, 200, href);
    }
  } finally {
    await s.close();
    site.remove();
  }
});

test('a directory with an index file shows the index, not a listing', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true }));
  try {
    t.is(await (await fetch(`${s.url}/files/with%20index/`)).text(), 'idx');
  } finally {
    await s.close();
    site.remove();
  }
});

test('dangling symlinks and special files are left out of the listing', async (t) => {
  const site = makeSite(FILES);
  symlinkSync(join(site.root, 'files/nowhere'), join(site.root, 'files/dangling'));
  execFileSync('mkfifo', [join(site.root, 'files/pipe')]);
  const s = await start(serveStatic({ root: site.root, listing: true }));
  try {
    const body = (await (await fetch(`${s.url}/files/`, { headers: { Accept: 'application/json' } })).json()) as Listing;
    const names = body.entries.map((e) => e.name);
    t.false(names.includes('dangling'));
    t.false(names.includes('pipe'));
    t.true(names.includes('a.txt'));
    t.is((await rawRequest(s.port, '/files/pipe')).status, 404, 'a FIFO is never opened');
  } finally {
    await s.close();
    site.remove();
  }
});

test('dotfiles: allow shows dotfiles in the listing', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true, dotfiles: 'allow' }));
  try {
    const body = (await (await fetch(`${s.url}/files/`, { headers: { Accept: 'application/json' } })).json()) as Listing;
    t.true(body.entries.some((e) => e.name === '.hidden'));
  } finally {
    await s.close();
    site.remove();
  }
});

test('listingMaxEntries bounds the listing and says it was truncated', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true, listingMaxEntries: 3 }));
  try {
    const body = (await (await fetch(`${s.url}/files/`, { headers: { Accept: 'application/json' } })).json()) as Listing;
    t.is(body.entries.length, 3);
    t.true(body.truncated);
    const html = await (await fetch(`${s.url}/files/`)).text();
    t.true(html.includes('Listing truncated.'));
  } finally {
    await s.close();
    site.remove();
  }
});

test('the listing under a mount prefix shows the full URL path; HEAD has no body', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, listing: true, prefix: '/pub' }));
  try {
    const body = (await (await fetch(`${s.url}/pub/files/`, { headers: { Accept: 'application/json' } })).json()) as Listing;
    t.is(body.path, '/pub/files/');
    const head = await rawRequest(s.port, '/pub/files/', { method: 'HEAD' });
    t.is(head.status, 200);
    t.true(head.text.endsWith('\r\n\r\n'));
  } finally {
    await s.close();
    site.remove();
  }
});
