/** mapUrlPath on exact strings: decoding, rejection of everything that could climb out of the root. */
import test from 'ava';
import { mapUrlPath } from '../src/request-path.js';

test('plain paths map directly', (t) => {
  t.deepEqual(mapUrlPath('/a/b.txt'), { relative: 'a/b.txt', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('/'), { relative: '', trailingSlash: true, dotSegment: false });
  t.deepEqual(mapUrlPath('/dir/'), { relative: 'dir', trailingSlash: true, dotSegment: false });
});

test('percent-encoding is decoded per segment, doubled slashes are dropped', (t) => {
  t.deepEqual(mapUrlPath('/a%20b/%C3%A9.txt'), { relative: 'a b/é.txt', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('//a//b/'), { relative: 'a/b', trailingSlash: true, dotSegment: false });
  t.deepEqual(mapUrlPath('/%252e%252e'), { relative: '%2e%2e', trailingSlash: false, dotSegment: false });
});

test('dot files are flagged', (t) => {
  t.deepEqual(mapUrlPath('/.env'), { relative: '.env', trailingSlash: false, dotSegment: true });
  t.deepEqual(mapUrlPath('/a/.git/config'), { relative: 'a/.git/config', trailingSlash: false, dotSegment: true });
  t.deepEqual(mapUrlPath('/a/./.git/../.env'), { relative: 'a/.env', trailingSlash: false, dotSegment: true });
});

test('dot segments are removed as RFC 3986 §5.2.4 says, also percent-encoded', (t) => {
  t.deepEqual(mapUrlPath('/sub/./page.txt'), { relative: 'sub/page.txt', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('/sub/../hello.txt'), { relative: 'hello.txt', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('/sub/%2e%2E/hello.txt'), { relative: 'hello.txt', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('/./a'), { relative: 'a', trailingSlash: false, dotSegment: false });
  t.deepEqual(mapUrlPath('/a/%2E'), { relative: 'a', trailingSlash: true, dotSegment: false });
  t.deepEqual(mapUrlPath('/a/b/..'), { relative: 'a', trailingSlash: true, dotSegment: false });
  t.deepEqual(mapUrlPath('/a/..'), { relative: '', trailingSlash: true, dotSegment: false });
});

test('a path climbing above the root is refused, however it is spelled', (t) => {
  for (const path of ['/..', '/../a', '/a/../../b', '/%2e%2e/a', '/a/.%2E/%2e./x', '//..//a', `/${'../'.repeat(50)}etc/passwd`]) {
    t.is(mapUrlPath(path), 'above-root', path);
  }
});

test('the mapped path never leaves the root, for every dot and slash combination', (t) => {
  const alphabet = ['', '.', '..', '%2e', '%2E%2e', 'a', 'b', '.x'];
  let checked = 0;
  for (const a of alphabet) for (const b of alphabet) for (const c of alphabet) for (const d of alphabet) {
    const mapped = mapUrlPath(`/${a}/${b}/${c}/${d}`);
    checked++;
    if (typeof mapped === 'string') continue;
    t.false(mapped.relative.split('/').some((s) => s === '..' || s === '.'), `/${a}/${b}/${c}/${d}`);
    t.false(mapped.relative.startsWith('/'));
  }
  t.is(checked, alphabet.length ** 4);
});

test('decoded separators and NUL are refused', (t) => {
  t.is(mapUrlPath('/a%2fb'), 'forbidden-character');
  t.is(mapUrlPath('/a%5cb'), 'forbidden-character');
  t.is(mapUrlPath('/a\\b'), 'forbidden-character');
  t.is(mapUrlPath('/a%00b'), 'forbidden-character');
});

test('malformed and overlong UTF-8 percent-encoding is refused', (t) => {
  for (const path of ['/%zz', '/%', '/a%2', '/%c0%ae', '/%e0%80%ae', '/%ff', '/%uff0e']) t.is(mapUrlPath(path), 'malformed-encoding', path);
});
