import test from 'ava';
import { headEnd, parseHead } from '../src/response-head.js';

const blocks: Array<[string, number]> = [
  ['Content-Type: text/plain\n\nbody', 26],
  ['Content-Type: text/plain\r\n\r\nbody', 28],
  ['Content-Type: text/plain\n\r\nbody', 27],
  ['Content-Type: text/plain\r\n\nbody', 27],
  ['\nbody', 1],
  ['\r\nbody', 2],
];

test('headEnd finds the blank line with LF, CRLF and mixed line ends, fed at every split', (t) => {
  for (const [text, end] of blocks) {
    const bytes = Buffer.from(text, 'latin1');
    t.is(headEnd(bytes), end, text);
    for (let split = 0; split <= bytes.length; split++) {
      // Scanning resumes where the previous chunk ended, as the reader does.
      const first = headEnd(bytes.subarray(0, split));
      const found = first !== -1 ? first : headEnd(bytes, split);
      t.is(found, end, `${JSON.stringify(text)} split at ${split}`);
    }
  }
});

test('headEnd returns -1 while the block is incomplete', (t) => {
  t.is(headEnd(Buffer.from('Content-Type: text/plain\r\n')), -1);
  t.is(headEnd(Buffer.from('Content-Type: text/plain\r\nX: \r')), -1);
  t.is(headEnd(Buffer.from('')), -1);
});

test('parseHead reads Status, Location and other fields in order', (t) => {
  const head = parseHead('Status: 404 Not Here\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n');
  t.is(head.status, 404);
  t.is(head.reason, 'Not Here');
  t.is(head.location, undefined);
  t.deepEqual(head.headers, [['Content-Type', 'text/html'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
  const redirect = parseHead('Location: http://example.com/\n\n');
  t.is(redirect.location, 'http://example.com/');
  t.is(redirect.status, undefined);
  t.is(parseHead('Status: 204\n\n').reason, undefined);
});

test('parseHead drops hop-by-hop fields and the ones Connection names', (t) => {
  const head = parseHead('Content-Type: a/b\nConnection: close, X-Private\nKeep-Alive: 5\nTransfer-Encoding: chunked\nUpgrade: h2c\nX-Private: 1\nX-Public: 2\n\n');
  t.deepEqual(head.headers, [['Content-Type', 'a/b'], ['X-Public', '2']]);
});

test('parseHead refuses malformed blocks with a 502 naming the problem', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['\n', /empty header block/],
    ['hello world\n\n', /not a header line/],
    ['Bad Name: x\n\n', /bad header name/],
    ['X: a\x01b\n\n', /bad character/],
    ['Status: abc\n\n', /bad Status/],
    ['Status: 99 Low\n\n', /bad Status/],
    ['Status: 100 Continue\n\n', /bad Status/],
    ['Status: 200\nStatus: 404\n\n', /bad Status/],
    ['Location: /a\nLocation: /b\n\n', /repeated Location/],
    ['Content-Length: -1\n\n', /bad Content-Length/],
    [': value\n\n', /not a header line/],
  ];
  for (const [block, message] of cases) {
    const error = t.throws(() => parseHead(block), { message }, JSON.stringify(block));
    t.is((error as unknown as { status: number }).status, 502);
    t.is((error as unknown as { code: string }).code, 'SLUICE_ERR_CGI_BAD_HEADER');
  }
});
