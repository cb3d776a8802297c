/**
 * What serveStatic never sends: files with a `scriptExtensions` extension (by any
 * path, letter case, symlink, `extensions` fallback, precompressed variant or range)
 * and anything in `excludePaths`. A script found as an index is run through an
 * internal redirect instead: the test app's own middleware answers for it.
 */
import test from 'ava';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Middleware } from '@sluice/core';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start } from './helpers.js';

const SOURCE = '<?php $password = "TOPSECRET"; ?>';

function phpSite() {
  const site = makeSite({
    'dir/index.php': SOURCE,
    'both/index.html': 'html index\n',
    'both/index.php': SOURCE,
    'upper/INDEX.PHP': SOURCE,
    'page.php': SOURCE,
    'Page2.PhP': SOURCE,
    'hello.txt': 'hello\n',
  });
  writeFileSync(join(site.root, 'dir/index.php.gz'), gzipSync(SOURCE));
  writeFileSync(join(site.root, 'page.php.br'), SOURCE);
  symlinkSync('page.php', join(site.root, 'innocent.txt'));
  return site;
}

/** Stands in for a CGI handler: answers `.php` paths with the path it was asked for. */
const runsPhp: Middleware = async (ctx, next) => {
  if (/\.php$/i.test(ctx.path)) {
    ctx.body = `ran ${ctx.path}`;
    return;
  }
  await next();
};

test('a script file is never sent: by name in any case, through a symlink, as a variant, in a range, through extensions', async (t) => {
  const site = phpSite();
  const s = await start(serveStatic({ root: site.root, scriptExtensions: ['.php'], extensions: ['php'], precompressed: true, fallthrough: false }));
  try {
    const requests: Array<[string, Record<string, string>]> = [
      ['/page.php', {}],
      ['/PAGE.php', {}],
      ['/Page2.PhP', {}],
      ['/page.php', { Range: 'bytes=0-5' }],
      ['/page.php', { 'Accept-Encoding': 'br, gzip' }],
      ['/page.php.br', {}],
      ['/dir/index.php.gz', {}],
      ['/dir/index.php', { 'Accept-Encoding': 'gzip' }],
      ['/innocent.txt', {}],
      ['/page', {}],
      ['/dir/index', {}],
    ];
    for (const [path, headers] of requests) {
      const res = await rawRequest(s.port, path, { headers });
      t.is(res.status, 404, `${path} ${JSON.stringify(headers)}`);
      t.false(res.body.toString('latin1').includes('TOPSECRET'), path);
      t.false(gzipSync(SOURCE).equals(res.body), path);
    }
    t.is((await rawRequest(s.port, '/hello.txt')).body.toString(), 'hello\n', 'other files are served');
  } finally {
    await s.close();
    site.remove();
  }
});

test('a script index is run through an internal redirect to /dir/index.php, never sent', async (t) => {
  const site = phpSite();
  const s = await start([runsPhp, serveStatic({ root: site.root, index: ['index.html', 'index.php'], scriptExtensions: ['php'] })]);
  try {
    const res = await rawRequest(s.port, '/dir/');
    t.is(res.status, 200);
    t.is(res.body.toString(), 'ran /dir/index.php');
    const upper = await rawRequest(s.port, '/upper/');
    t.is(upper.status, 404, 'index names are matched as given (INDEX.PHP is not index.php)');
    t.is((await rawRequest(s.port, '/both/')).body.toString(), 'html index\n', 'the index order is kept');
  } finally {
    await s.close();
    site.remove();
  }
});

test('with nothing to run it, a script index is a 404, not its source', async (t) => {
  const site = phpSite();
  const s = await start(serveStatic({ root: site.root, index: ['index.php'], scriptExtensions: ['.php'] }));
  try {
    const res = await rawRequest(s.port, '/dir/');
    t.is(res.status, 404);
    t.false(res.body.toString().includes('TOPSECRET'));
  } finally {
    await s.close();
    site.remove();
  }
});

test('an excluded directory and what it holds, and an excluded file, are never sent, however the path reaches them', async (t) => {
  const site = makeSite({ 'cgi-bin/env.sh': '#!/bin/sh\necho TOPSECRET\n', 'cgi-bin/data.txt': 'TOPSECRET', 'public.txt': 'public\n' });
  mkdirSync(join(site.root, 'other'));
  symlinkSync(join(site.root, 'cgi-bin'), join(site.root, 'other/alias'));
  writeFileSync(join(site.root, 'settings.py'), 'SECRET_KEY = "TOPSECRET"');
  const s = await start(serveStatic({ root: site.root, excludePaths: [join(site.root, 'cgi-bin'), join(site.root, 'settings.py')], listing: true, fallthrough: false }));
  try {
    for (const path of ['/settings.py', '/SETTINGS.py/..//settings.py', '/cgi-bin/env.sh', '//cgi-bin/env.sh', '/cgi-bin/data.txt', '/other/alias/env.sh', '/x/../cgi-bin/env.sh', '/cgi-bin/', '/%63gi-bin/env.sh']) {
      const res = await rawRequest(s.port, path);
      t.is(res.status, 404, path);
      t.false(res.body.toString().includes('TOPSECRET'), path);
    }
    t.is((await rawRequest(s.port, '/public.txt')).status, 200);
  } finally {
    await s.close();
    site.remove();
  }
});

test('scriptExtensions and excludePaths are validated naming the key', (t) => {
  const site = makeSite({});
  try {
    t.throws(() => serveStatic({ root: site.root, scriptExtensions: ['a/b'] }), { message: /scriptExtensions/ });
    t.throws(() => serveStatic({ root: site.root, scriptExtensions: '.php' as unknown as string[] }), { message: /scriptExtensions/ });
    t.throws(() => serveStatic({ root: site.root, excludePaths: [''] }), { message: /excludePaths/ });
  } finally {
    site.remove();
  }
});
