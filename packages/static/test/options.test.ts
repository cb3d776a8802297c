/** Options: defaults in one place, and validation at construction with a message naming the bad key. */
import { join, relative } from 'node:path';
import test from 'ava';
import { defaults, serveStatic, StaticError, type StaticOptions } from '@sluice/static';
import { makeSite, start } from './helpers.js';

test('defaults are the documented ones', (t) => {
  t.like(defaults, {
    prefix: '', redirect: true, listing: false, dotfiles: 'ignore', followSymlinks: false, fallthrough: true,
    etag: 'strong', lastModified: true, maxAgeSeconds: 0, immutable: false, nosniff: false, acceptRanges: true,
    maxRanges: 16, statCacheTtlMs: 1000,
  });
  t.deepEqual(defaults.index, ['index.html']);
});

test('bad options are refused at construction, naming the key', (t) => {
  const site = makeSite({ 'file.txt': 'x' });
  t.teardown(site.remove);
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /option "root"/],
    [{ root: join(site.base, 'missing') }, /option "root" must be an existing directory/],
    [{ root: join(site.root, 'file.txt') }, /option "root" must be an existing directory/],
    [{ root: site.root, rooot: 1 }, /unknown option "rooot"/],
    [{ root: site.root, dotfiles: 'hide' }, /option "dotfiles"/],
    [{ root: site.root, etag: 'medium' }, /option "etag"/],
    [{ root: site.root, prefix: 'assets' }, /option "prefix"/],
    [{ root: site.root, prefix: '//evil' }, /option "prefix"/],
    [{ root: site.root, maxAgeSeconds: -1 }, /option "maxAgeSeconds"/],
    [{ root: site.root, maxAgeSeconds: 1.5 }, /option "maxAgeSeconds"/],
    [{ root: site.root, maxRanges: 0 }, /option "maxRanges"/],
    [{ root: site.root, index: ['../x'] }, /option "index"/],
    [{ root: site.root, extensions: 'html' }, /option "extensions"/],
    [{ root: site.root, mime: { '.x': 'not a type' } }, /option "mime\['\.x'\]"/],
    [{ root: site.root, mime: { '.x': 'text/plain\r\nX-Evil: 1' } }, /option "mime\['\.x'\]"/],
    [{ root: site.root, precompressed: ['zstd'] }, /option "precompressed"/],
    [{ root: site.root, cacheControl: 'max-age=1' }, /option "cacheControl"/],
    [{ root: site.root, listing: 'yes' }, /option "listing"/],
    [{ root: site.root, streamChunkBytes: 10 }, /option "streamChunkBytes"/],
  ];
  for (const [options, message] of cases) {
    const error = t.throws(() => serveStatic(options as unknown as StaticOptions), undefined, JSON.stringify(options));
    t.true(error instanceof StaticError);
    t.is((error as StaticError).code, 'SLUICE_ERR_STATIC_BAD_OPTION');
    t.regex(error?.message ?? '', message);
  }
});

test('a relative root is resolved from the working directory', async (t) => {
  const site = makeSite({ 'x.txt': 'relative' });
  const s = await start(serveStatic({ root: relative(process.cwd(), site.root) }));
  try {
    t.is(await (await fetch(`${s.url}/x.txt`)).text(), 'relative');
  } finally {
    await s.close();
    site.remove();
  }
});
