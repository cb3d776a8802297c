/**
 * Configuration files through the real command: every key of a JSON config (with
 * `$schema`), paths relative to the file, flags overriding the file, and
 * `sluice.config.js` exporting an object with `setup` or a function receiving the app.
 */

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freePort, repoRoot, request, spawnSluice, startSluice, tempSite, until } from './helpers.js';

const fixtures = path.join(repoRoot, 'test/server/fixtures');
const schema = path.join(repoRoot, 'packages/server/schema/sluice.schema.json');
const echoCgi = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "cgi $SCRIPT_NAME"\n';

test.serial('a JSON config sets every site key, with paths relative to the file', async (t) => {
  const dir = tempSite(t, {
    'conf/sluice.json': JSON.stringify({
      $schema: schema,
      host: '127.0.0.1',
      port: 0,
      workers: 1,
      root: '../www',
      index: ['start.html'],
      listing: true,
      mime: { '.thing': 'application/x-thing' },
      cgi: { '/cgi-bin': '../cgi' },
      cgiHandlers: { '.sh': '/bin/sh' },
      wsgi: { '/py': 'pid_app:application' },
      wsgiPath: [fixtures],
      wsgiWorkers: 1,
      python: 'python3',
      errorPages: { '404': '../errors/404.html' },
      accessLog: '../logs/access.log',
      quiet: false,
      shutdownGraceMs: 1000,
    }),
    'www/start.html': 'start page\n',
    'www/files/a.thing': 'thing',
    'www/files/b.txt': 'b',
    'www/run.sh': echoCgi,
    'cgi/echo.cgi': echoCgi,
    'errors/404.html': '<p>custom 404</p>\n',
    'logs/': '',
  });
  chmodSync(`${dir}/cgi/echo.cgi`, 0o755);
  const sluice = await startSluice(t, ['--config', 'conf/sluice.json'], { cwd: dir });
  t.is((await request(`${sluice.url}/`)).body, 'start page\n');
  const listing = await request(`${sluice.url}/files/`);
  t.is(listing.status, 200);
  t.true(listing.body.includes('a.thing') && listing.body.includes('b.txt'));
  t.is((await request(`${sluice.url}/files/a.thing`)).headers['content-type'], 'application/x-thing');
  t.is((await request(`${sluice.url}/cgi-bin/echo.cgi`)).body, 'cgi /cgi-bin/echo.cgi\n');
  t.is((await request(`${sluice.url}/run.sh`)).body, 'cgi /run.sh\n');
  t.regex((await request(`${sluice.url}/py/x`)).body, /script=\/py path=\/x /);
  const missing = await request(`${sluice.url}/missing`);
  t.is(missing.status, 404);
  t.is(missing.body, '<p>custom 404</p>\n');
  await until(() => readFileSync(`${dir}/logs/access.log`, 'utf8').includes('/missing'));
  t.regex(readFileSync(`${dir}/logs/access.log`, 'utf8'), /"GET \/missing HTTP\/1\.1" 404 /);
  t.is(sluice.stdout(), `listening on ${sluice.url}\n`);
});

test.serial('flags override the file; map flags add to the file\'s maps', async (t) => {
  const dir = tempSite(t, {
    'sluice.json': JSON.stringify({ port: 1, root: 'a', mime: { '.one': 'application/x-one', '.two': 'application/x-file' } }),
    'a/index.html': 'root a\n',
    'b/index.html': 'root b\n',
    'b/f.one': '1',
    'b/f.two': '2',
  });
  const sluice = await startSluice(t, ['--config', 'sluice.json', '--port', '0', '--root', 'b', '--mime', '.two=application/x-flag'], { cwd: dir });
  t.not(sluice.port, 1);
  t.is((await request(`${sluice.url}/`)).body, 'root b\n');
  t.is((await request(`${sluice.url}/f.one`)).headers['content-type'], 'application/x-one');
  t.is((await request(`${sluice.url}/f.two`)).headers['content-type'], 'application/x-flag');
});

test.serial('accessLog: false in a file keeps stdout to the listening line', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ port: 0, accessLog: false }), 'index.html': 'x' });
  const sluice = await startSluice(t, ['--config', `${dir}/sluice.json`, '--root', dir]);
  await request(`${sluice.url}/`);
  await new Promise((r) => setTimeout(r, 200));
  t.is(sluice.stdout(), `listening on ${sluice.url}\n`);
});

test.serial('quiet: true in a file prints nothing', async (t) => {
  const port = await freePort();
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ port, quiet: true }), 'index.html': 'quiet file\n' });
  const sluice = spawnSluice(t, ['--config', `${dir}/sluice.json`, '--root', dir]);
  let body = '';
  await until(() => body !== '', 20_000, async () => {
    body = await request(`http://127.0.0.1:${port}/`).then((r) => r.body, () => '');
  });
  t.is(body, 'quiet file\n');
  t.is(sluice.stdout(), '');
});

test.serial('sluice.config.js: an object with setup plugs a custom method in front of the site', async (t) => {
  const dir = tempSite(t, {
    'www/index.html': 'home\n',
    'sluice.config.js': [
      "export default {",
      "  port: 0,",
      "  root: 'www',",
      "  setup(app) {",
      "    app.method('BREW', async (ctx) => { ctx.status = 418; ctx.body = `brewing ${ctx.path}\\n`; });",
      "  },",
      "};",
    ].join('\n'),
    'package.json': '{"type":"module"}',
  });
  const sluice = await startSluice(t, ['--config', 'sluice.config.js'], { cwd: dir });
  const brew = await request(`${sluice.url}/pot`, { method: 'BREW' });
  t.is(brew.status, 418);
  t.is(brew.body, 'brewing /pot\n');
  t.is((await request(`${sluice.url}/`)).body, 'home\n');
  t.is((await request(`${sluice.url}/`, { method: 'WHATEVER' })).status, 501);
});

test.serial('sluice.config.mjs: a default-exported function receives the app', async (t) => {
  const dir = tempSite(t, {
    'sluice.config.mjs': [
      'export default function (app) {',
      "  app.use(async (ctx, next) => { await next(); ctx.set('X-Plugged', 'yes'); });",
      '}',
    ].join('\n'),
    'index.html': 'plugged\n',
  });
  const sluice = await startSluice(t, ['--config', 'sluice.config.mjs', '--port', '0', '--root', '.'], { cwd: dir });
  const reply = await request(`${sluice.url}/`);
  t.is(reply.body, 'plugged\n');
  t.is(reply.headers['x-plugged'], 'yes');
});

test.serial('hosts: sites chosen by host name, "*.domain" and "*", inheriting top-level keys', async (t) => {
  const dir = tempSite(t, {
    'sluice.json': JSON.stringify({
      port: 0,
      root: 'default',
      mime: { '.page': 'text/html' },
      errorPages: { '404': 'default/404.html' },
      hosts: {
        'a.test': { root: 'a' },
        '*.b.test': { root: 'b', errorPages: { '404': 'b/404.html' } },
        '*': { root: 'other' },
      },
    }),
    'default/index.page': 'default\n',
    'default/404.html': 'default 404\n',
    'a/index.html': 'site a\n',
    'a/x.page': '<p>a page</p>',
    'b/index.html': 'site b\n',
    'b/404.html': 'b 404\n',
    'other/index.html': 'other\n',
  });
  const sluice = await startSluice(t, ['--config', `${dir}/sluice.json`]);
  const get = (host: string, p = '/') => request(`${sluice.url}${p}`, { headers: { Host: host } });
  t.is((await get('a.test')).body, 'site a\n');
  t.is((await get('A.TEST:8080')).body, 'site a\n');
  t.is((await get('www.b.test')).body, 'site b\n');
  t.is((await get('deep.www.b.test')).body, 'site b\n');
  t.is((await get('elsewhere.test')).body, 'other\n');
  t.is((await get('a.test', '/x.page')).headers['content-type'], 'text/html; charset=utf-8');
  t.is((await get('www.b.test', '/nope')).body, 'b 404\n');
  t.is((await get('a.test', '/nope')).body, 'default 404\n');
});

test.serial('hosts without "*": other names get the top-level site', async (t) => {
  const dir = tempSite(t, {
    'sluice.json': JSON.stringify({ port: 0, root: 'main', hosts: { 'a.test': { root: 'a' } } }),
    'main/index.html': 'main\n',
    'a/index.html': 'a\n',
  });
  const sluice = await startSluice(t, ['--config', `${dir}/sluice.json`]);
  t.is((await request(`${sluice.url}/`, { headers: { Host: 'a.test' } })).body, 'a\n');
  t.is((await request(`${sluice.url}/`, { headers: { Host: 'b.test' } })).body, 'main\n');
  t.is((await request(`${sluice.url}/`)).body, 'main\n');
});

test.serial('every flag has a key in the published schema', (t) => {
  const published = JSON.parse(readFileSync(schema, 'utf8')) as { properties: Record<string, unknown> };
  const flagKeys: Record<string, string> = {
    '--host': 'host', '--port': 'port', '--root': 'root', '--index': 'index', '--cgi': 'cgi', '--cgi-handler': 'cgiHandlers',
    '--wsgi': 'wsgi', '--wsgi-path': 'wsgiPath', '--wsgi-workers': 'wsgiWorkers', '--asgi': 'asgi', '--asgi-workers': 'asgiWorkers',
    '--python': 'python', '--mime': 'mime',
    '--workers': 'workers', '--tls-cert': 'tlsCert', '--tls-key': 'tlsKey', '--access-log': 'accessLog',
    '--error-page': 'errorPages', '--quiet': 'quiet', '--access-log-format': 'accessLogFormat', '--listing': 'listing',
    '--extension': 'extensions', '--dotfiles': 'dotfiles', '--precompressed': 'precompressed', '--max-age': 'maxAgeSeconds',
    '--immutable': 'immutable', '--cache-control': 'cacheControl', '--follow-symlinks': 'followSymlinks',
    '--no-http2': 'http2', '--h2c': 'h2c',
  };
  for (const [flag, key] of Object.entries(flagKeys)) t.true(key in published.properties, `${flag} → ${key}`);
});
