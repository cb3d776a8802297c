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

test('dot files are flagged, dot segments refused', (t) => {
  t.deepEqual(mapUrlPath('/.env'), { relative: '.env', trailingSlash: false, dotSegment: true });
  t.deepEqual(mapUrlPath('/a/.git/config'), { relative: 'a/.git/config', trailingSlash: false, dotSegment: true });
  t.is(mapUrlPath('/..'), 'dot-segment');
  t.is(mapUrlPath('/a/../b'), 'dot-segment');
  t.is(mapUrlPath('/./a'), 'dot-segment');
  t.is(mapUrlPath('/%2e%2e/a'), 'dot-segment');
  t.is(mapUrlPath('/a/%2E'), 'dot-segment');
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
