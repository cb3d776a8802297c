/**
 * Dot segments through a real app and a raw socket (fetch would remove them itself):
 * removed as RFC 3986 §5.2.4 says before the lookup, whether the application
 * normalises paths or serveStatic has to do it alone, and never out of the root.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start } from './helpers.js';

const FILES = { 'hello.txt': 'hello\n', 'sub/page.txt': 'page\n', 'sub/deeper/x.txt': 'x\n' };

for (const normalizePath of [true, false]) {
  const mode = normalizePath ? 'app normalises' : 'serveStatic alone (normalizePath: false)';

  test(`dot segments are removed before the lookup (${mode})`, async (t) => {
    const site = makeSite(FILES);
    const s = await start(serveStatic({ root: site.root, fallthrough: false }), { normalizePath });
    try {
      const cases: Array<[string, string]> = [
        ['/sub/./page.txt', 'page\n'],
        ['/sub/../hello.txt', 'hello\n'],
        ['/sub/%2e/page.txt', 'page\n'],
        ['/sub/%2E%2e/hello.txt', 'hello\n'],
        ['/sub/deeper/.%2e/../hello.txt', 'hello\n'],
        ['//sub//page.txt', 'page\n'],
      ];
      for (const [path, body] of cases) {
        const res = await rawRequest(s.port, path);
        t.is(res.status, 200, path);
        t.is(res.body.toString(), body, path);
      }
    } finally {
      await s.close();
      site.remove();
    }
  });

  test(`a dot segment that climbs above the root is 400 and reads nothing outside it (${mode})`, async (t) => {
    const site = makeSite(FILES);
    writeFileSync(join(site.base, 'secret.txt'), 'TOPSECRET');
    const s = await start(serveStatic({ root: site.root, fallthrough: false }), { normalizePath });
    try {
      for (const path of ['/../secret.txt', '/sub/../../secret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/./../secret.txt', '//../secret.txt']) {
        const res = await rawRequest(s.port, path);
        t.is(res.status, 400, path);
        t.false(res.body.toString().includes('TOPSECRET'), path);
      }
      t.is((await rawRequest(s.port, '/hello.txt')).status, 200, 'the server stays healthy');
    } finally {
      await s.close();
      site.remove();
    }
  });
}

test('a directory named through a trailing dot segment gets its index', async (t) => {
  const site = makeSite({ 'sub/index.html': 'sub index\n', 'sub/a/x.txt': 'x' });
  const s = await start(serveStatic({ root: site.root }));
  try {
    for (const path of ['/sub/.', '/sub/a/..', '/sub/a/%2e%2e/']) {
      const res = await rawRequest(s.port, path);
      t.is(res.status, 200, path);
      t.is(res.body.toString(), 'sub index\n', path);
    }
  } finally {
    await s.close();
    site.remove();
  }
});
