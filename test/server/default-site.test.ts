/**
 * The default site (`pnpm start`): the root package.json's start script runs
 * `sluice --config examples/site/sluice.config.js`; here the same command (on a free
 * port) is checked page by page: listing, ranges, CGI env/form/upload, WSGI, BREW, 404.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot, request, startSluice } from './helpers.js';

const startCommand = 'pnpm -r build && node packages/server/bin/sluice.js --config examples/site/sluice.config.js';

test.serial('pnpm start builds, then runs sluice with the default site config', (t) => {
  const { scripts } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(scripts.start, startCommand);
});

test.serial('the default site serves every demo its start page links to', async (t) => {
  const args = startCommand.split(' && ')[1].split(' ').slice(2);
  const sluice = await startSluice(t, [...args, '--port', '0'], { cwd: repoRoot });
  const url = sluice.url;

  const home = await request(`${url}/`);
  t.is(home.status, 200);
  for (const link of ['/files/', '/media/tone.wav', '/cgi-bin/env.py', '/cgi-bin/form.py', '/cgi-bin/upload.py', '/wsgi/', "method: 'BREW'", '/no/such/page']) {
    t.true(home.body.includes(link), link);
  }

  const listing = await request(`${url}/files/`, { headers: { Accept: 'application/json' } });
  t.is(listing.status, 200);
  t.true(listing.body.includes('readme.txt') && listing.body.includes('docs'));

  const range = await request(`${url}/media/tone.wav`, { headers: { Range: 'bytes=0-11' } });
  t.is(range.status, 206);
  t.regex(range.headers['content-range'] ?? '', /^bytes 0-11\/1323044$/);
  t.is(range.body.slice(0, 4), 'RIFF');
  t.is(range.body.slice(8, 12), 'WAVE');

  const env = await request(`${url}/cgi-bin/env.py/extra/path?x=1`);
  t.is(env.status, 200);
  for (const pair of ['GATEWAY_INTERFACE</th><td>CGI/1.1', 'PATH_INFO</th><td>/extra/path', 'QUERY_STRING</th><td>x=1', 'SCRIPT_NAME</th><td>/cgi-bin/env.py']) {
    t.true(env.body.includes(pair), pair);
  }

  const form = await request(`${url}/cgi-bin/form.py`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=Ann&colour=r%C3%B6d' });
  t.true(form.body.includes('<li>name = Ann</li><li>colour = röd</li>'));

  const file = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
  const boundary = 'sluice-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bytes.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const upload = await request(`${url}/cgi-bin/upload.py`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });
  t.true(upload.body.includes(`<span class='name'>bytes.bin</span>: <span class='size'>50000</span> bytes, sha256 <span class='sha256'>${createHash('sha256').update(file).digest('hex')}</span>`));

  const wsgi = await request(`${url}/wsgi/`);
  t.is(wsgi.status, 200);
  t.regex(wsgi.body, /Hello from Python 3/);
  t.is((await request(`${url}/wsgi/echo`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'message=hi' })).body, 'You said: hi\n');

  const brew = await request(`${url}/coffee`, { method: 'BREW' });
  t.is(brew.status, 418);
  t.regex(brew.body, /^I'm a teapot, but I tried: brew #1 from process \d+\n$/);
  t.is((await request(`${url}/`, { method: 'FROB' })).status, 501);

  const missing = await request(`${url}/no/such/page`);
  t.is(missing.status, 404);
  t.true(missing.body.includes('<h1>Nothing here</h1>'));
});
