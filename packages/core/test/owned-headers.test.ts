// The one table of engine-owned and hop-by-hop response headers (owned-headers.ts), as pure
// units: what the engine writes itself, and how a received head is split for forwarding.
import test from 'ava';
import { forwardedFields, hasCloseToken, isEngineWritten, ownedHeaders } from '../src/owned-headers.js';

test('the engine writes exactly the framing and connection rows; hop-by-hop rows and other names pass', (t) => {
  t.deepEqual(Object.keys(ownedHeaders).filter(isEngineWritten).sort(), ['connection', 'content-length', 'keep-alive', 'transfer-encoding']);
  for (const name of ['upgrade', 'te', 'trailer', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization']) {
    t.is(ownedHeaders[name], 'hop-by-hop', name);
    t.false(isEngineWritten(name), name);
  }
  // Same lengths as owned names, not owned.
  for (const name of ['connectio', 'x-connects', 'content-lengthy', 'content-languag', 'transfer-encodinx', 'date', 'content-type']) t.false(isEngineWritten(name), name);
});

test('hasCloseToken reads the close token of a Connection list, not a substring', (t) => {
  for (const value of ['close', 'Close', ' keep-alive , CLOSE ', 'x-a,close']) t.true(hasCloseToken(value), value);
  for (const value of ['', 'keep-alive', 'closed', 'x-close', 'enclose, upgrade']) t.false(hasCloseToken(value), value);
});

test('forwardedFields drops every table row and the names Connection lists, keeps the rest in order', (t) => {
  const rows = Object.keys(ownedHeaders).filter((name) => name !== 'content-length' && name !== 'connection');
  const split = forwardedFields([
    ['X-First', '1'],
    ['Connection', 'keep-alive, X-Private'],
    ...rows.map((name) => [name.toUpperCase(), 'v'] as const),
    ['x-private', 'secret'],
    ['Content-Length', ' 12 '],
    ['Set-Cookie', 'a=1'],
    ['Set-Cookie', 'b=2'],
  ]);
  t.deepEqual(split.headers, [['X-First', '1'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
  t.is(split.contentLength, '12');
  t.false(split.close);
  t.deepEqual([...split.dropped].sort(), ['connection', ...rows, 'x-private'].sort());
});

test('forwardedFields: Connection: close alone is honoured without a drop; with other tokens the field is dropped too', (t) => {
  const alone = forwardedFields([['Connection', 'close'], ['X-A', '1']]);
  t.true(alone.close);
  t.deepEqual(alone.dropped, []);
  t.deepEqual(alone.headers, [['X-A', '1']]);
  const mixed = forwardedFields([['Connection', 'Close, Upgrade'], ['Upgrade', 'h2c']]);
  t.true(mixed.close);
  t.deepEqual(mixed.dropped, ['connection', 'upgrade']);
  t.deepEqual(mixed.headers, []);
  t.is(mixed.contentLength, undefined);
});
