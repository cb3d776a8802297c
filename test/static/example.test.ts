/** examples/static runs as documented and behaves as its README says: pages, pretty URLs, precompressed CSS, listing, ranges, the custom 404 page. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { startProcess, type ServerProcess } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/static/', import.meta.url));
let server: ServerProcess;

test.before(async () => {
  server = await startProcess(`${EXAMPLE}server.ts`, { PORT: '0' });
});

test.after.always(async () => {
  await server?.stop();
});

test('the home page and a pretty URL are served', async (t) => {
  const home = await fetch(`${server.url}/`);
  t.is(home.status, 200);
  t.true((await home.text()).includes('Served by @sluice/static'));
  t.is(home.headers.get('x-content-type-options'), 'nosniff');
  const about = await fetch(`${server.url}/about`);
  t.is(about.status, 200);
  t.true((await about.text()).includes('<h1>About</h1>'));
});

test('the stylesheet comes gzip-encoded to gzip clients, with a year of caching', async (t) => {
  const { request } = await import('node:http');
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    request(`${server.url}/assets/site.css`, { headers: { 'Accept-Encoding': 'gzip' } }, resolve).on('error', reject).end();
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  t.is(res.headers['content-encoding'], 'gzip');
  t.is(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.is(res.headers.vary, 'Accept-Encoding');
  t.is(gunzipSync(Buffer.concat(chunks)).toString(), readFileSync(`${EXAMPLE}public/assets/site.css`, 'utf8'));
});

test('downloads are listed and served in ranges', async (t) => {
  const listing = await (await fetch(`${server.url}/downloads/`, { headers: { Accept: 'application/json' } })).json() as { entries: Array<{ name: string }> };
  t.deepEqual(listing.entries.map((e) => e.name), ['NOTES.txt', 'sample.bin']);
  const part = await fetch(`${server.url}/downloads/sample.bin`, { headers: { Range: 'bytes=100-199' } });
  t.is(part.status, 206);
  t.true(Buffer.from(await part.arrayBuffer()).equals(readFileSync(`${EXAMPLE}downloads/sample.bin`).subarray(100, 200)));
});

test("a missing page shows the site's own 404 page", async (t) => {
  for (const path of ['/missing', '/downloads/missing.zip']) {
    const res = await fetch(server.url + path);
    t.is(res.status, 404, path);
    t.true((await res.text()).includes('This page is not here'), path);
  }
});
