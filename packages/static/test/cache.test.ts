/**
 * The stat and content cache, observed from outside: every `open` and `stat` serveStatic
 * makes is counted. HEAD, 304, 412 and 416 never open a file; cached entries are trusted
 * for statCacheTtlMs, then re-checked by mtime/size/inode; the memory budget and entry
 * count are bounded. Serial: the counters are process-wide.
 */
import { unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start } from './helpers.js';

function countCalls(): { opens: (path: string) => number; stats: (path: string) => number; restore(): void } {
  const opened: string[] = [];
  const statted: string[] = [];
  const originals = { open: fsp.open, stat: fsp.stat };
  const mutable = fsp as unknown as Record<string, unknown>;
  mutable.open = (path: unknown, ...rest: unknown[]) => {
    opened.push(String(path));
    return (originals.open as (...a: unknown[]) => unknown)(path, ...rest);
  };
  mutable.stat = (path: unknown, ...rest: unknown[]) => {
    statted.push(String(path));
    return (originals.stat as (...a: unknown[]) => unknown)(path, ...rest);
  };
  return {
    opens: (path) => opened.filter((p) => p.endsWith(path)).length,
    stats: (path) => statted.filter((p) => p.endsWith(path)).length,
    restore: () => Object.assign(mutable, originals),
  };
}

for (const size of [100, 200_000]) {
  test.serial(`HEAD, 304, 412 and 416 never open the file (${size} bytes)`, async (t) => {
    const site = makeSite({ 'f.bin': Buffer.alloc(size, 1) });
    const s = await start(serveStatic({ root: site.root, memoryCacheMaxFileBytes: 1000 }));
    const calls = countCalls();
    try {
      const head = await rawRequest(s.port, '/f.bin', { method: 'HEAD' });
      t.is(head.headers['content-length'], String(size));
      const etag = head.headers.etag ?? '';
      t.is((await rawRequest(s.port, '/f.bin', { headers: { 'If-None-Match': etag } })).status, 304);
      t.is((await rawRequest(s.port, '/f.bin', { method: 'HEAD', headers: { Range: 'bytes=0-9' } })).status, 206);
      t.is((await rawRequest(s.port, '/f.bin', { headers: { 'If-Match': '"nope"' } })).status, 412);
      t.is((await rawRequest(s.port, '/f.bin', { headers: { Range: `bytes=${size}-` } })).status, 416);
      t.is(calls.opens('/f.bin'), 0, 'no open so far');
      t.is((await rawRequest(s.port, '/f.bin')).body.length, size);
      t.is(calls.opens('/f.bin'), 1, 'the GET opened it once');
    } finally {
      calls.restore();
      await s.close();
      site.remove();
    }
  });
}

test.serial('small files are read once and then served from memory; large ones are opened per GET', async (t) => {
  const site = makeSite({ 'small.txt': 'x'.repeat(500), 'large.bin': Buffer.alloc(5000) });
  const s = await start(serveStatic({ root: site.root, memoryCacheMaxFileBytes: 1000, statCacheTtlMs: 60_000 }));
  const calls = countCalls();
  try {
    for (let i = 0; i < 5; i++) {
      t.is((await rawRequest(s.port, '/small.txt')).body.length, 500);
      t.is((await rawRequest(s.port, '/large.bin')).body.length, 5000);
    }
    t.is(calls.opens('/small.txt'), 1);
    t.is(calls.opens('/large.bin'), 5);
    t.is(calls.stats('/small.txt'), 1, 'stat once within the TTL');
  } finally {
    calls.restore();
    await s.close();
    site.remove();
  }
});

test.serial('within the TTL a change is not seen; after it, a changed mtime is (same size)', async (t) => {
  const site = makeSite({ 'f.txt': 'AAAA' });
  const file = join(site.root, 'f.txt');
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 300 }));
  try {
    t.is((await rawRequest(s.port, '/f.txt')).body.toString(), 'AAAA');
    writeFileSync(file, 'BBBB');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    t.is((await rawRequest(s.port, '/f.txt')).body.toString(), 'AAAA', 'cached within the TTL');
    await sleep(400);
    const fresh = await rawRequest(s.port, '/f.txt');
    t.is(fresh.body.toString(), 'BBBB', 'the new mtime invalidated the entry');
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('after the TTL an unchanged file is confirmed by one stat and not read again', async (t) => {
  const site = makeSite({ 'f.txt': 'same' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 100 }));
  const calls = countCalls();
  try {
    await rawRequest(s.port, '/f.txt');
    await sleep(150);
    t.is((await rawRequest(s.port, '/f.txt')).body.toString(), 'same');
    t.is(calls.opens('/f.txt'), 1);
    t.is(calls.stats('/f.txt'), 2);
  } finally {
    calls.restore();
    await s.close();
    site.remove();
  }
});

test.serial('statCacheTtlMs: 0 checks the file system on every request', async (t) => {
  const site = makeSite({ 'f.txt': 'one' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 0 }));
  try {
    t.is((await rawRequest(s.port, '/f.txt')).body.toString(), 'one');
    writeFileSync(join(site.root, 'f.txt'), 'three');
    t.is((await rawRequest(s.port, '/f.txt')).body.toString(), 'three');
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('a file created after a cached 404 appears once the TTL has passed', async (t) => {
  const site = makeSite({});
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 100 }));
  try {
    t.is((await rawRequest(s.port, '/later.txt')).status, 404);
    writeFileSync(join(site.root, 'later.txt'), 'here');
    await sleep(150);
    t.is((await rawRequest(s.port, '/later.txt')).body.toString(), 'here');
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('the memory budget is bounded: older contents are dropped to make room', async (t) => {
  const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.bin`, Buffer.alloc(1000, i)]));
  const site = makeSite(files);
  const s = await start(serveStatic({ root: site.root, memoryCacheMaxBytes: 3000, statCacheTtlMs: 60_000 }));
  const calls = countCalls();
  try {
    for (let i = 0; i < 5; i++) await rawRequest(s.port, `/f${i}.bin`);
    const again = await rawRequest(s.port, '/f4.bin');
    t.true(again.body.equals(Buffer.alloc(1000, 4)));
    t.is(calls.opens('/f4.bin'), 1, 'the newest is still in memory');
    const first = await rawRequest(s.port, '/f0.bin');
    t.true(first.body.equals(Buffer.alloc(1000, 0)));
    t.is(calls.opens('/f0.bin'), 2, 'the oldest was dropped and read again');
  } finally {
    calls.restore();
    await s.close();
    site.remove();
  }
});

test.serial('the number of cached entries is bounded', async (t) => {
  const site = makeSite({ 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
  const s = await start(serveStatic({ root: site.root, statCacheMaxEntries: 2, statCacheTtlMs: 60_000 }));
  const calls = countCalls();
  try {
    for (const name of ['a', 'b', 'c', 'a']) await rawRequest(s.port, `/${name}.txt`);
    t.is(calls.stats('/a.txt'), 2, 'a was evicted by c and looked up again');
    await rawRequest(s.port, '/c.txt');
    t.is(calls.stats('/c.txt'), 1);
  } finally {
    calls.restore();
    await s.close();
    site.remove();
  }
});

test.serial('concurrent first requests for one path share a single stat', async (t) => {
  const site = makeSite({ 'f.txt': 'x' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 60_000 }));
  const calls = countCalls();
  try {
    const all = await Promise.all(Array.from({ length: 20 }, () => fetch(`${s.url}/f.txt`).then((r) => r.text())));
    t.true(all.every((b) => b === 'x'));
    t.is(calls.stats('/f.txt'), 1);
  } finally {
    calls.restore();
    await s.close();
    site.remove();
  }
});

test.serial('a file changed between the cached stat and the open is served as it is now, with matching headers', async (t) => {
  const site = makeSite({ 'big.bin': Buffer.alloc(5000, 1), 'small.txt': 'old' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 60_000, memoryCacheMaxFileBytes: 1000 }));
  try {
    const before = await rawRequest(s.port, '/big.bin', { method: 'HEAD' });
    await rawRequest(s.port, '/small.txt', { method: 'HEAD' });
    writeFileSync(join(site.root, 'big.bin'), Buffer.alloc(7000, 2));
    writeFileSync(join(site.root, 'small.txt'), 'newer');
    const big = await rawRequest(s.port, '/big.bin');
    t.is(big.headers['content-length'], '7000');
    t.true(big.body.equals(Buffer.alloc(7000, 2)));
    t.not(big.headers.etag, before.headers.etag);
    const small = await rawRequest(s.port, '/small.txt');
    t.is(small.headers['content-length'], '5');
    t.is(small.body.toString(), 'newer');
  } finally {
    await s.close();
    site.remove();
  }
});

test.serial('a file deleted between the cached stat and the open is a 404', async (t) => {
  const site = makeSite({ 'gone.bin': Buffer.alloc(5000), 'gone.txt': 'x' });
  const s = await start(serveStatic({ root: site.root, statCacheTtlMs: 60_000, memoryCacheMaxFileBytes: 1000 }));
  try {
    for (const name of ['gone.bin', 'gone.txt']) {
      t.is((await rawRequest(s.port, `/${name}`, { method: 'HEAD' })).status, 200);
      unlinkSync(join(site.root, name));
      t.is((await rawRequest(s.port, `/${name}`)).status, 404, name);
    }
  } finally {
    await s.close();
    site.remove();
  }
});
