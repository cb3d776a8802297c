/**
 * The static-file options of the `sluice` command, from flags and from a config file, through
 * the real command and real requests: listing, extensions, dotfiles, precompressed variants,
 * cache control (global and per path), symlinks, and the access-log format.
 */

import { symlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { request, startSluice, tempSite, until } from './helpers.js';

test.serial('--listing lists a directory without an index file (404 without it)', async (t) => {
  const dir = tempSite(t, { 'docs/a.txt': 'a', 'docs/b.txt': 'b' });
  const plain = await startSluice(t, ['--port', '0', '--root', dir]);
  t.is((await request(`${plain.url}/docs/`)).status, 404);
  const listed = await startSluice(t, ['--port', '0', '--root', dir, '--listing']);
  const reply = await request(`${listed.url}/docs/`);
  t.is(reply.status, 200);
  t.regex(reply.body, /href="\.\/a\.txt"/);
  t.regex(reply.body, /href="\.\/b\.txt"/);
});

test.serial('--extension html serves /about from about.html', async (t) => {
  const dir = tempSite(t, { 'about.html': 'about page\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--extension', 'html']);
  const reply = await request(`${sluice.url}/about`);
  t.is(reply.status, 200);
  t.is(reply.body, 'about page\n');
});

test.serial('--dotfiles allow serves dotfiles; deny answers 403; the default hides them (404)', async (t) => {
  const dir = tempSite(t, { '.well-known/security.txt': 'Contact: x\n' });
  const hidden = await startSluice(t, ['--port', '0', '--root', dir]);
  t.is((await request(`${hidden.url}/.well-known/security.txt`)).status, 404);
  const allowed = await startSluice(t, ['--port', '0', '--root', dir, '--dotfiles', 'allow']);
  t.is((await request(`${allowed.url}/.well-known/security.txt`)).body, 'Contact: x\n');
  const denied = await startSluice(t, ['--port', '0', '--root', dir, '--dotfiles', 'deny']);
  t.is((await request(`${denied.url}/.well-known/security.txt`)).status, 403);
});

test.serial('--precompressed serves file.gz to a client that accepts gzip', async (t) => {
  const dir = tempSite(t, { 'app.js': 'console.log(1);\n', 'app.js.gz': gzipSync('console.log(1);\n') });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--precompressed']);
  const reply = await request(`${sluice.url}/app.js`, { headers: { 'Accept-Encoding': 'gzip' } });
  t.is(reply.headers['content-encoding'], 'gzip');
  t.regex(reply.headers.vary ?? '', /Accept-Encoding/i);
  t.is((await request(`${sluice.url}/app.js`)).headers['content-encoding'], undefined);
});

test.serial('--max-age, --immutable and --cache-control PREFIX=VALUE set Cache-Control, the longest prefix winning', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x', 'assets/app.js': 'js', 'assets/fonts/a.woff2': 'font' });
  const sluice = await startSluice(t, [
    '--port', '0', '--root', dir, '--max-age', '60', '--immutable',
    '--cache-control', '/assets/=public, max-age=31536000, immutable', '--cache-control', '/assets/fonts/=public, max-age=5',
  ]);
  t.is((await request(`${sluice.url}/index.html`)).headers['cache-control'], 'public, max-age=60, immutable');
  t.is((await request(`${sluice.url}/assets/app.js`)).headers['cache-control'], 'public, max-age=31536000, immutable');
  t.is((await request(`${sluice.url}/assets/fonts/a.woff2`)).headers['cache-control'], 'public, max-age=5');
});

test.serial('--follow-symlinks serves a file through a symlink leading outside the root (403 without)', async (t) => {
  const dir = tempSite(t, { 'site/index.html': 'x', 'outside/shared.txt': 'shared\n' });
  symlinkSync(`${dir}/outside/shared.txt`, `${dir}/site/shared.txt`);
  const strict = await startSluice(t, ['--port', '0', '--root', `${dir}/site`]);
  t.is((await request(`${strict.url}/shared.txt`)).status, 403);
  const following = await startSluice(t, ['--port', '0', '--root', `${dir}/site`, '--follow-symlinks']);
  t.is((await request(`${following.url}/shared.txt`)).body, 'shared\n');
});

test.serial('the static keys in a config file apply, and a virtual host inherits or overrides them', async (t) => {
  const dir = tempSite(t, {
    'sluice.json': JSON.stringify({
      port: 0, root: 'main', listing: true, extensions: ['html'], dotfiles: 'deny', maxAgeSeconds: 30,
      cacheControl: { '/static/': 'public, max-age=600' },
      hosts: { 'b.test': { root: 'b', dotfiles: 'allow' } },
    }),
    'main/page.html': 'page\n', 'main/static/s.css': 'css', 'main/.env': 'SECRET', 'main/dir/f.txt': 'f',
    'b/.env': 'b env\n', 'b/page.html': 'b page\n',
  });
  const sluice = await startSluice(t, ['--config', `${dir}/sluice.json`]);
  t.is((await request(`${sluice.url}/page`)).body, 'page\n');
  t.is((await request(`${sluice.url}/page`)).headers['cache-control'], 'public, max-age=30');
  t.is((await request(`${sluice.url}/static/s.css`)).headers['cache-control'], 'public, max-age=600');
  t.is((await request(`${sluice.url}/.env`)).status, 403);
  t.regex((await request(`${sluice.url}/dir/`)).body, /href="\.\/f\.txt"/);
  t.is((await request(`${sluice.url}/.env`, { headers: { Host: 'b.test' } })).body, 'b env\n');
  t.is((await request(`${sluice.url}/page`, { headers: { Host: 'b.test' } })).body, 'b page\n');
});

test.serial('--access-log-format json writes one JSON object per request; common leaves out Referer and User-Agent', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x' });
  const json = await startSluice(t, ['--port', '0', '--root', dir, '--access-log-format', 'json']);
  await request(`${json.url}/?q=1`, { headers: { 'User-Agent': 'probe "1"' } });
  await until(() => json.stdout().split('\n').length >= 3);
  const entry = JSON.parse(json.stdout().split('\n')[1]) as Record<string, unknown>;
  t.like(entry, { remoteAddr: '127.0.0.1', request: 'GET /?q=1 HTTP/1.1', status: 200, bytes: 1, userAgent: 'probe "1"', referer: null });
  t.is(typeof entry.responseTimeMs, 'number');
  const common = await startSluice(t, ['--port', '0', '--root', dir, '--access-log-format', 'common']);
  await request(`${common.url}/`, { headers: { 'User-Agent': 'probe' } });
  await until(() => common.stdout().split('\n').length >= 3);
  t.regex(common.stdout().split('\n')[1], /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 1 \d+\.\d{3}$/);
});
