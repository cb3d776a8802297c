/**
 * Request-path normalisation: the pure function on strings (a table, and properties
 * over random paths), then what a raw socket and a real client see through an app.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import fc from 'fast-check';
import { Application, normalizePath } from '@sluice/core';
import { start, Wire } from './helpers.js';

const execFileAsync = promisify(execFile);

const table: Array<[input: string, expected: string | null]> = [
  ['/', '/'],
  ['/a/b', '/a/b'],
  ['//cgi-bin/env.sh', '/cgi-bin/env.sh'],
  ['/a//b///c', '/a/b/c'],
  ['/a//', '/a/'],
  ['//', '/'],
  ['/sub/./page.txt', '/sub/page.txt'],
  ['/sub/../hello.txt', '/hello.txt'],
  ['/sub/%2e/page.txt', '/sub/page.txt'],
  ['/sub/%2E%2e/hello.txt', '/hello.txt'],
  ['/sub/.%2e/hello.txt', '/hello.txt'],
  ['/a/.', '/a/'],
  ['/a/b/..', '/a/'],
  ['/a/b/../', '/a/'],
  ['/a/..', '/'],
  ['/..', null],
  ['/a/../..', null],
  ['/a/../../etc/passwd', null],
  ['/%2e%2e/etc/passwd', null],
  ['/%61pp/x', '/app/x'],
  ['/a%7Eb', '/a~b'],
  ['/a%2Fb/..', '/'],
  ['/a%2fb', '/a%2Fb'],
  ['/a%00b', '/a%00b'],
  ['/a%5c..', '/a%5C..'],
  ['/a%20b', '/a%20b'],
  ['/.hidden/./x', '/.hidden/x'],
  ['/...', '/...'],
  ['/a/..b', '/a/..b'],
  ['/%zz/./x', '/%zz/x'],
  ['*', '*'],
];

for (const [input, expected] of table) {
  test(`normalizePath(${JSON.stringify(input)}) is ${JSON.stringify(expected)}`, (t) => {
    t.is(normalizePath(input), expected);
  });
}

const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '.%2e', 'a', 'b', '%61', '%2F', '...', '.x'),
  fc.stringMatching(/^[a-z0-9%.]{0,4}$/),
);
const paths = fc.array(segment, { maxLength: 10 }).map((segments) => '/' + segments.join('/'));

test('a normal path has no empty or dot segment, and normalising it again changes nothing', (t) => {
  fc.assert(
    fc.property(paths, (path) => {
      const normal = normalizePath(path);
      if (normal === null) return true;
      const inner = normal.slice(1, normal.endsWith('/') && normal !== '/' ? -1 : undefined);
      const segments = normal === '/' ? [] : inner.split('/');
      return normal.startsWith('/') && segments.every((s) => s !== '' && s !== '.' && s !== '..') && normalizePath(normal) === normal;
    }),
  );
  t.pass();
});

test('a path is refused exactly when its dot segments climb above the root', (t) => {
  fc.assert(
    fc.property(paths, (path) => {
      // Count depth the slow way, on decoded dots only.
      let depth = 0;
      let climbs = false;
      for (const raw of path.split('/').slice(1)) {
        const s = raw.replace(/%2e/gi, '.');
        if (s === '..') {
          if (depth === 0) climbs = true;
          else depth--;
        } else if (s !== '' && s !== '.') depth++;
      }
      return (normalizePath(path) === null) === climbs;
    }),
  );
  t.pass();
});

test('middleware sees the normalised path, originalUrl what the client sent', async (t) => {
  const s = await start((ctx) => {
    ctx.body = { path: ctx.path, url: ctx.url, originalUrl: ctx.originalUrl, query: ctx.query };
  });
  const wire = await Wire.open(s.port);
  wire.write('GET //sub/./a/%2e%2E/page.txt?x=%2e%2e HTTP/1.1\r\nHost: h\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.status, 200);
  t.deepEqual(JSON.parse(res.body), {
    path: '/sub/page.txt',
    url: '/sub/page.txt?x=%2e%2e',
    originalUrl: '//sub/./a/%2e%2E/page.txt?x=%2e%2e',
    query: { x: '..' },
  });
  wire.destroy();
  await s.close();
});

test('a path climbing above the root is answered 400 before any middleware, and the connection stays usable', async (t) => {
  let ran = 0;
  const s = await start((ctx) => {
    ran++;
    ctx.body = ctx.path;
  });
  const wire = await Wire.open(s.port);
  wire.write('GET /a/../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n');
  const [refused, next] = await wire.responses(2);
  t.is(refused.status, 400);
  t.is(next.status, 200);
  t.is(next.body, '/ok');
  t.is(ran, 1);
  t.false(wire.closed);
  wire.destroy();
  await s.close();
});

test('normalizePath: false leaves the path as the client sent it (Koa behaviour)', async (t) => {
  const s = await start((ctx) => {
    ctx.body = ctx.path;
  }, { normalizePath: false });
  const wire = await Wire.open(s.port);
  wire.write('GET //a/../../b HTTP/1.1\r\nHost: h\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.body, '//a/../../b');
  wire.destroy();
  await s.close();
});

test('a normalisation option that is not a boolean is refused naming the key', (t) => {
  const error = t.throws(() => new Application({ normalizePath: 'yes' as unknown as boolean }));
  t.regex(error?.message ?? '', /normalizePath/);
});

test('curl --path-as-is with doubled slashes and dot segments reaches the same handler as the clean URL', async (t) => {
  const s = await start((ctx) => {
    ctx.body = ctx.path === '/cgi-bin/env.sh' ? 'matched' : `missed ${ctx.path}`;
  });
  for (const path of ['/cgi-bin/env.sh', '//cgi-bin/env.sh', '/x/../cgi-bin/./env.sh', '/x/%2e%2e/cgi-bin/env.sh', '/%63gi-bin/env.sh', '/cgi-bin//env.sh']) {
    const { stdout } = await execFileAsync('curl', ['-sS', '--path-as-is', s.url + path]);
    t.is(stdout, 'matched', path);
  }
  await s.close();
});
