// Level 1 (pure units on bytes): the head scanner, the head parser and the chunked decoder
// fed exact byte strings, every rule of RFC 9112 the engine enforces, split at every offset.
import test from 'ava';
import { engineDefaults, protocolErrors, type ProtocolError } from '@sluice/core';
import { ChunkedDecoder } from '../src/engine/chunked-decoder.js';
import { HeadScanner, parseHead } from '../src/engine/parser.js';
import { parseStream, splitAt } from './parser-stream.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Parses one complete head, returning the head or the error code. */
function head(text: string, limits: Partial<typeof engineDefaults> = {}) {
  const buf = b(text);
  const scanner = new HeadScanner({ ...engineDefaults, ...limits });
  const end = scanner.scan(buf, 0);
  if (end === -1) throw new Error('head incomplete');
  return parseHead(buf, scanner.headOffset, end);
}

function errorOf(fn: () => unknown): { code: string; status: number } | null {
  try {
    fn();
    return null;
  } catch (error) {
    const e = error as ProtocolError;
    return { code: e.code, status: e.status };
  }
}

const codeOf = (name: keyof typeof protocolErrors) => ({ code: protocolErrors[name][1], status: protocolErrors[name][0] });

// ---- request line --------------------------------------------------------------------

test('any token method is accepted, case-sensitively', (t) => {
  for (const method of ['GET', 'PURGE', 'M-SEARCH', 'FOO_BAR', 'x!#$%&\'*+-.^_`|~9', 'get']) {
    const h = head(`${method} / HTTP/1.1\r\nHost: a\r\n\r\n`);
    t.is(h.method, method);
  }
});

test('a method with a non-token character is 400', (t) => {
  t.deepEqual(errorOf(() => head('GE(T / HTTP/1.1\r\nHost: a\r\n\r\n')), codeOf('BAD_METHOD'));
  t.deepEqual(errorOf(() => head('GET@ / HTTP/1.1\r\nHost: a\r\n\r\n')), codeOf('BAD_METHOD'));
});

test('the four request-target forms are accepted where RFC 9112 §3.2 allows them', (t) => {
  t.is(head('GET /a/b?c=d HTTP/1.1\r\nHost: a\r\n\r\n').target, '/a/b?c=d');
  t.is(head('GET http://example.com/x?y HTTP/1.1\r\nHost: a\r\n\r\n').target, 'http://example.com/x?y');
  t.is(head('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n').target, '*');
  t.is(head('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n').target, 'example.com:443');
});

test('request targets in the wrong form are 400', (t) => {
  const bad = [
    'GET * HTTP/1.1', // asterisk-form is OPTIONS only
    'GET example.com:80 HTTP/1.1', // authority-form is CONNECT only
    'CONNECT /path HTTP/1.1',
    'CONNECT example.com HTTP/1.1',
    'GET /a#frag HTTP/1.1',
    'GET noslash HTTP/1.1',
    'GET  / HTTP/1.1', // two spaces
    'GET /\x7f HTTP/1.1',
    'GET /\xe9 HTTP/1.1',
  ];
  for (const line of bad) t.deepEqual(errorOf(() => head(`${line}\r\nHost: a\r\n\r\n`)), codeOf('BAD_TARGET'), line);
});

test('HTTP/1.0 and 1.1 are parsed; a higher 1.x minor is answered as 1.1', (t) => {
  t.is(head('GET / HTTP/1.0\r\n\r\n').versionMinor, 0);
  t.is(head('GET / HTTP/1.1\r\nHost: a\r\n\r\n').versionMinor, 1);
  t.is(head('GET / HTTP/1.9\r\nHost: a\r\n\r\n').versionMinor, 1);
});

test('other major versions are 505 and the HTTP/2 preface is recognised', (t) => {
  t.deepEqual(errorOf(() => head('GET / HTTP/2.0\r\nHost: a\r\n\r\n')), codeOf('VERSION_NOT_SUPPORTED'));
  t.deepEqual(errorOf(() => head('GET / HTTP/3.0\r\nHost: a\r\n\r\n')), codeOf('VERSION_NOT_SUPPORTED'));
  t.deepEqual(errorOf(() => head('GET / HTTP/0.9\r\n\r\n')), codeOf('VERSION_NOT_SUPPORTED'));
  t.deepEqual(errorOf(() => head('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), codeOf('HTTP2_PREFACE'));
  t.is(codeOf('HTTP2_PREFACE').status, 505);
});

test('malformed versions are 400', (t) => {
  for (const v of ['HTTP/1.1 ', 'HTTP/11', 'http/1.1', 'HTTP/1.x', 'HTTP/1.10', 'HTTP/1', 'HTTPS/1.1', '']) {
    t.deepEqual(errorOf(() => head(`GET / ${v}\r\nHost: a\r\n\r\n`)), codeOf('BAD_VERSION'), v);
  }
});

test('a request line without an HTTP-version (HTTP/0.9 form) is 400 as soon as the line ends, at every split', (t) => {
  for (const line of ['GET /', 'GET /index.html', 'GET / ', 'GET  /', 'GET / HTTP/', 'GET / HTTP/1.', 'GET /HTTP/1.1', 'GET']) {
    const text = b(`${line}\r\n`);
    // No header section and no final empty line: the scanner decides on the request line alone.
    for (let cut = 0; cut < text.length; cut++) {
      const scanner = new HeadScanner(engineDefaults);
      const [first, rest] = [text.subarray(0, cut), text];
      if (cut > 0) t.is(scanner.scan(first, 0), -1, `${line} cut at ${cut}`);
      t.deepEqual(errorOf(() => scanner.scan(rest, 0)), codeOf('BAD_VERSION'), `${JSON.stringify(line)} cut at ${cut}`);
    }
  }
  // A complete request line is still waited on for its header section.
  t.is(new HeadScanner(engineDefaults).scan(b('GET / HTTP/1.1\r\n'), 0), -1);
  t.is(new HeadScanner(engineDefaults).scan(b('\r\nGET / HTTP/1.0\r\nX: y\r\n'), 0), -1);
});

test('one leading empty line is ignored (RFC 9112 §2.2), a flood of them is 400', (t) => {
  t.is(head('\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n').method, 'GET');
  t.deepEqual(errorOf(() => head('\r\n'.repeat(9) + 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')), codeOf('BAD_REQUEST_LINE'));
});

test('a TLS handshake or binary garbage is refused on its first byte', (t) => {
  const scanner = new HeadScanner(engineDefaults);
  t.deepEqual(errorOf(() => scanner.scan(Buffer.from([0x16, 0x03, 0x01]), 0)), codeOf('BAD_REQUEST_LINE'));
  const s2 = new HeadScanner(engineDefaults);
  t.deepEqual(errorOf(() => s2.scan(Buffer.from([0x00]), 0)), codeOf('BAD_REQUEST_LINE'));
  const s3 = new HeadScanner(engineDefaults);
  t.deepEqual(errorOf(() => s3.scan(b('\r\n\x80'), 0)), codeOf('BAD_REQUEST_LINE'));
});

// ---- header fields --------------------------------------------------------------------

test('header names and values are kept in order, values trimmed of OWS', (t) => {
  const h = head('GET / HTTP/1.1\r\nHost: a\r\nX-One:  1 \t\r\nx-one: 2\r\nEmpty:\r\n\r\n');
  t.deepEqual(h.rawNames, ['Host', 'X-One', 'x-one', 'Empty']);
  t.deepEqual(h.names, ['host', 'x-one', 'x-one', 'empty']);
  t.deepEqual(h.values, ['a', '1', '2', '']);
});

test('obs-text (bytes 0x80-0xFF) is allowed in field values', (t) => {
  t.is(head('GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n').values[1], 'caf\xe9');
});

const headerRejections: Array<[string, string, keyof typeof protocolErrors]> = [
  ['whitespace before the colon', 'Host : a\r\n', 'BAD_HEADER_NAME'],
  ['tab before the colon', 'Host\t: a\r\n', 'BAD_HEADER_NAME'],
  ['no colon', 'Host a\r\n', 'BAD_HEADER_NAME'],
  ['empty name', ': a\r\n', 'BAD_HEADER_NAME'],
  ['non-token name', 'X(y): a\r\n', 'BAD_HEADER_NAME'],
  ['obs-fold (continuation line)', 'X: a\r\n b\r\n', 'OBS_FOLD'],
  ['obs-fold with a tab', 'X: a\r\n\tb\r\n', 'OBS_FOLD'],
  ['bare CR in a value', 'X: a\rb\r\n', 'BARE_CR'],
  ['NUL in a value', 'X: a\x00b\r\n', 'BAD_HEADER_VALUE'],
  ['control character in a value', 'X: a\x01b\r\n', 'BAD_HEADER_VALUE'],
  ['DEL in a value', 'X: a\x7fb\r\n', 'BAD_HEADER_VALUE'],
  ['bare LF ending a line', 'X: a\nY: b\r\n', 'BARE_LF'],
];
for (const [what, field, name] of headerRejections) {
  test(`a header with ${what} is ${protocolErrors[name][0]}`, (t) => {
    t.deepEqual(errorOf(() => head(`GET / HTTP/1.1\r\nHost: a\r\n${field}\r\n`)), codeOf(name));
  });
}

test('Host: required once in HTTP/1.1, optional in 1.0, never twice, never malformed', (t) => {
  t.deepEqual(errorOf(() => head('GET / HTTP/1.1\r\n\r\n')), codeOf('MISSING_HOST'));
  t.deepEqual(errorOf(() => head('GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n')), codeOf('DUPLICATE_HOST'));
  t.deepEqual(errorOf(() => head('GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n')), codeOf('DUPLICATE_HOST'));
  t.is(head('GET / HTTP/1.0\r\n\r\n').host, undefined);
  t.is(head('GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n').host, '[::1]:8080');
  for (const bad of ['a b', 'a/b', 'a@b', 'a\\b', 'a?b', 'a#b']) {
    t.deepEqual(errorOf(() => head(`GET / HTTP/1.1\r\nHost: ${bad}\r\n\r\n`)), codeOf('BAD_HOST'), bad);
  }
});

test('Content-Length: digits, or a list of identical values; anything else is 400', (t) => {
  t.is(head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n').contentLength, 5);
  t.is(head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n').contentLength, 5);
  t.is(head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n').contentLength, 5);
  t.is(head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n').contentLength, 7);
  for (const bad of ['5, 6', '-1', '+5', '0x10', '1 2', '', '5,', ',5', '1e3', '9999999999999999']) {
    t.deepEqual(errorOf(() => head(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${bad}\r\n\r\n`)), codeOf('BAD_CONTENT_LENGTH'), bad);
  }
  t.deepEqual(
    errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n')),
    codeOf('BAD_CONTENT_LENGTH'),
  );
});

test('Transfer-Encoding: only a single final chunked is accepted', (t) => {
  const te = (v: string, version = '1.1') => head(`POST / HTTP/${version}\r\nHost: a\r\nTransfer-Encoding: ${v}\r\n\r\n`);
  t.true(te('chunked').chunked);
  t.true(te('Chunked').chunked);
  t.deepEqual(errorOf(() => te('gzip, chunked')), codeOf('UNKNOWN_CODING'));
  t.is(codeOf('UNKNOWN_CODING').status, 501);
  t.deepEqual(errorOf(() => te('chunked, gzip')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(errorOf(() => te('gzip')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(errorOf(() => te('chunked, chunked')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(errorOf(() => te('chunked,')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(errorOf(() => te('')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(errorOf(() => te('chunked', '1.0')), codeOf('TE_IN_HTTP10'));
  t.deepEqual(errorOf(() => te('xchunked')), codeOf('BAD_TRANSFER_ENCODING'));
  t.deepEqual(
    errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n')),
    codeOf('BAD_TRANSFER_ENCODING'),
  );
  t.deepEqual(errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n')), codeOf('OBS_FOLD'));
  // Split over two field lines, the codings are one list.
  t.deepEqual(
    errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n')),
    codeOf('UNKNOWN_CODING'),
  );
});

test('Content-Length together with Transfer-Encoding is 400 (request smuggling)', (t) => {
  t.deepEqual(
    errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n')),
    codeOf('CL_AND_TE'),
  );
  t.deepEqual(
    errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n')),
    codeOf('CL_AND_TE'),
  );
});

test('Expect: 100-continue is recognised in 1.1, ignored in 1.0; any other expectation is 417', (t) => {
  t.true(head('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n').expectContinue);
  t.false(head('POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n').expectContinue);
  t.deepEqual(errorOf(() => head('POST / HTTP/1.1\r\nHost: a\r\nExpect: fly\r\n\r\n')), codeOf('EXPECTATION_FAILED'));
  t.is(codeOf('EXPECTATION_FAILED').status, 417);
});

test('persistence: 1.1 keeps alive unless close; 1.0 closes unless keep-alive', (t) => {
  t.true(head('GET / HTTP/1.1\r\nHost: a\r\n\r\n').keepAlive);
  t.false(head('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').keepAlive);
  t.false(head('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n').keepAlive);
  t.false(head('GET / HTTP/1.0\r\n\r\n').keepAlive);
  t.true(head('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive);
  t.false(head('GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n').keepAlive);
});

// ---- scanner limits -------------------------------------------------------------------

test('a request line over maxRequestLineBytes is 414 before its end arrives', (t) => {
  const scanner = new HeadScanner({ ...engineDefaults, maxRequestLineBytes: 100 });
  t.is(scanner.scan(b('GET /' + 'a'.repeat(90)), 0), -1);
  t.deepEqual(errorOf(() => scanner.scan(b('GET /' + 'a'.repeat(100)), 0)), codeOf('URI_TOO_LONG'));
  t.is(codeOf('URI_TOO_LONG').status, 414);
});

test('a header section over maxHeaderBytes is 431 before its end arrives', (t) => {
  const scanner = new HeadScanner({ ...engineDefaults, maxHeaderBytes: 200 });
  const start = 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'v'.repeat(150);
  t.is(scanner.scan(b(start), 0), -1);
  t.deepEqual(errorOf(() => scanner.scan(b(start + 'v'.repeat(60)), 0)), codeOf('HEADERS_TOO_LARGE'));
  t.is(codeOf('HEADERS_TOO_LARGE').status, 431);
});

test('more than maxHeaders fields is 431', (t) => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
  t.is(head(`GET / HTTP/1.1\r\nHost: a\r\n${fields(9)}\r\n`, { maxHeaders: 10 }).names.length, 10);
  t.deepEqual(errorOf(() => head(`GET / HTTP/1.1\r\nHost: a\r\n${fields(10)}\r\n`, { maxHeaders: 10 })), codeOf('TOO_MANY_HEADERS'));
});

test('by default 100 fields of the application plus the usual ones pass; the 1001st field is 431', (t) => {
  const usual =
    'Host: a\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nAccept-Language: en\r\nAccept-Encoding: gzip, br\r\n' +
    'Cookie: a=1\r\nReferer: http://a/\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nVia: 1.1 proxy\r\n' +
    'X-Request-Id: 42\r\nTraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nCache-Control: no-cache\r\n';
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-App-${i}: v\r\n`).join('');
  t.is(head(`GET / HTTP/1.1\r\n${usual}${fields(100)}\r\n`).names.length, 113);
  // Cookies sent one field each (as HTTP/2-to-1.1 gateways may), within the byte limit.
  t.is(head(`GET / HTTP/1.1\r\nHost: a\r\n${'Cookie: c=1\r\n'.repeat(300)}\r\n`).names.length, 301);
  t.is(head(`GET / HTTP/1.1\r\nHost: a\r\n${fields(999)}\r\n`).names.length, 1000);
  t.deepEqual(errorOf(() => head(`GET / HTTP/1.1\r\nHost: a\r\n${fields(1000)}\r\n`)), codeOf('TOO_MANY_HEADERS'));
});

test('the scanner resumes across splits at every offset and finds the same head', (t) => {
  const text = b('POST /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Y: z\r\n\r\nabc');
  const whole = parseStream([text]);
  t.is(whole.error, null);
  for (let cut = 1; cut < text.length; cut++) {
    t.deepEqual(parseStream(splitAt(text, [cut])), whole, `cut at ${cut}`);
  }
  // and fed one byte at a time
  t.deepEqual(parseStream(splitAt(text, Array.from({ length: text.length }, (_, i) => i))), whole);
});

// ---- chunked bodies -----------------------------------------------------------------

function decodeAll(chunks: Buffer[], limits: Partial<typeof engineDefaults> = {}) {
  const d = new ChunkedDecoder({ ...engineDefaults, ...limits });
  const parts: Buffer[] = [];
  let end = -1;
  let consumed = 0;
  for (const c of chunks) {
    end = d.decode(c, 0, (x) => parts.push(Buffer.from(x)));
    if (end !== -1) {
      consumed += end;
      break;
    }
    consumed += c.length;
  }
  return { body: Buffer.concat(parts).toString('latin1'), done: d.done, trailers: d.trailers, consumed };
}

test('chunked: sizes in hex, extensions ignored, trailers parsed, the end found exactly', (t) => {
  const text = b('5;name=value;x="q"\r\nhello\r\nA \t;ext\r\n0123456789\r\n0\r\nX-Sum: 42\r\nX-Other:  y \r\n\r\nNEXT');
  const r = decodeAll([text]);
  t.is(r.body, 'hello0123456789');
  t.true(r.done);
  t.deepEqual(r.trailers, [['x-sum', '42'], ['x-other', 'y']]);
  t.is(text.subarray(r.consumed).toString(), 'NEXT');
});

test('chunked: split at every offset decodes the same', (t) => {
  const text = b('3\r\nabc\r\n10;e=1\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n');
  const whole = decodeAll([text]);
  for (let cut = 1; cut < text.length; cut++) t.deepEqual(decodeAll(splitAt(text, [cut])), whole, `cut at ${cut}`);
  t.deepEqual(decodeAll(splitAt(text, Array.from({ length: text.length }, (_, i) => i))), whole);
});

const chunkRejections: Array<[string, string, keyof typeof protocolErrors, Partial<typeof engineDefaults>?]> = [
  ['a size overflowing 2^53', 'fffffffffffffffff\r\n', 'CHUNK_TOO_LARGE'],
  ['a non-hex size', 'xyz\r\n', 'BAD_CHUNK'],
  ['an empty size', '\r\n', 'BAD_CHUNK'],
  ['a negative size', '-1\r\n', 'BAD_CHUNK'],
  ['a size line ending in bare LF', '5\nhello\r\n0\r\n\r\n', 'BAD_CHUNK'],
  ['whitespace after a size without an extension', '5 \r\nhello\r\n0\r\n\r\n', 'BAD_CHUNK'],
  ['a bare LF inside an extension', '2;\nxx\r\n0\r\n\r\n', 'BAD_CHUNK_EXTENSION'],
  ['data not followed by CRLF', '5\r\nhelloX\r\n0\r\n\r\n', 'BAD_CHUNK'],
  ['a control character in an extension', '5;a\x01b\r\nhello\r\n', 'BAD_CHUNK_EXTENSION'],
  ['an over-long extension', '5;' + 'e'.repeat(200) + '\r\n', 'BAD_CHUNK', { maxChunkLineBytes: 100 }],
  ['endless leading zeros', '0'.repeat(200), 'BAD_CHUNK', { maxChunkLineBytes: 100 }],
  ['chunks adding up past maxBodyBytes', '8\r\n12345678\r\n8\r\n12345678\r\n', 'BODY_TOO_LARGE', { maxBodyBytes: 10 }],
  ['a trailer section past maxHeaderBytes', '0\r\nX: ' + 'v'.repeat(300) + '\r\n\r\n', 'TRAILERS_TOO_LARGE', { maxHeaderBytes: 200 }],
  ['too many trailer fields', '0\r\n' + 'X: v\r\n'.repeat(5) + '\r\n', 'TRAILERS_TOO_LARGE', { maxHeaders: 3 }],
  ['a trailer with obs-fold', '0\r\nX: a\r\n b\r\n\r\n', 'OBS_FOLD'],
  ['a trailer with a bad name', '0\r\nX y: a\r\n\r\n', 'BAD_HEADER_NAME'],
  ['a trailer with a bare LF', '0\r\nX: a\n\r\n', 'BARE_LF'],
  ['a trailer with NUL', '0\r\nX: a\x00\r\n\r\n', 'BAD_HEADER_VALUE'],
];
for (const [what, body, name, limits] of chunkRejections) {
  test(`chunked: ${what} is ${protocolErrors[name][0]} ${name}`, (t) => {
    t.deepEqual(errorOf(() => decodeAll([b(body)], limits)), codeOf(name));
  });
}

// ---- chunk extensions (RFC 9112 §7.1.1) ----------------------------------------------

// Each is a whole chunked body whose first chunk line carries the extension; all decode to "hello".
const validExtensions = [
  ';a',
  ';a=b',
  ';a=b;c;d=e',
  ' ;a',
  '\t ;a = b',
  '; a=b',
  ';a= b',
  ';a =b',
  ';a ; b',
  ";n!#$%&'*+-.^_`|~=v!#$%&'*+-.^_`|~",
  ';a=""',
  ';a="abc"',
  ';a="a;b=c\\r\\n"',
  ';a="\\""',
  ';a="\\\\"',
  ';a="tab\there sp"',
  ';a="\x80\xff"',
  ';a="\\\x80\\\t"',
  ';a="x" ;b="y"',
  ';a="x";b=y',
];
test('chunk extensions of the RFC 9112 grammar are accepted, at every split', (t) => {
  for (const ext of validExtensions) {
    const text = b(`5${ext}\r\nhello\r\n0\r\n\r\nNEXT`);
    const whole = decodeAll([text]);
    t.is(whole.body, 'hello', JSON.stringify(ext));
    t.true(whole.done);
    t.is(text.subarray(whole.consumed).toString(), 'NEXT');
    for (let cut = 1; cut < text.length; cut++) t.deepEqual(decodeAll(splitAt(text, [cut])), whole, `${JSON.stringify(ext)} cut at ${cut}`);
  }
});

const invalidExtensions: Array<[string, string]> = [
  ['an unterminated quoted-string', ';a="abc'],
  ['a quoted-string running into the next line', ';a="abc\r\nhello\r\n0\r\n\r\n"'],
  ['a CR inside a quoted-string', ';a="a\rb"'],
  ['an LF inside a quoted-string', ';a="a\nb"'],
  ['a NUL inside a quoted-string', ';a="a\x00b"'],
  ['a DEL inside a quoted-string', ';a="a\x7fb"'],
  ['an escaped CR', ';a="a\\\r"'],
  ['an escaped NUL', ';a="\\\x00"'],
  ['a name that is not a token', ';a@b=c'],
  ['an empty name', ';=b'],
  ['a name starting with a quote', ';"a"=b'],
  ['a missing value after "="', ';a='],
  ['a value that is neither token nor quoted-string', ';a=b@c'],
  ['a value with a quote inside a token', ';a=b"c"'],
  ['text after a quoted-string', ';a="b"c'],
  ['two ";" in a row', ';;a'],
  ['a trailing ";"', ';a;'],
  ['whitespace before the CRLF', ';a=b '],
  ['whitespace after a name before the CRLF', ';a '],
  ['a NUL in a name', ';a\x00'],
  ['obs-text in a token', ';a=\x80'],
];
for (const [what, ext] of invalidExtensions) {
  test(`chunked: ${what} in an extension is 400 BAD_CHUNK_EXTENSION, at every split`, (t) => {
    const text = b(`5${ext}\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n`);
    const expected = codeOf('BAD_CHUNK_EXTENSION');
    t.deepEqual(errorOf(() => decodeAll([text])), expected);
    for (let cut = 1; cut < text.length; cut++) t.deepEqual(errorOf(() => decodeAll(splitAt(text, [cut]))), expected, `cut at ${cut}`);
  });
}

test('chunked: a request after a bad chunk extension is never parsed', (t) => {
  const text = b(
    'POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="abc\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  for (let cut = 0; cut < text.length; cut++) {
    const r = parseStream(splitAt(text, [cut]));
    t.is(r.error, 'SLUICE_ERR_BAD_CHUNK_EXTENSION');
    t.deepEqual(r.requests, []);
  }
});

test('chunked: extensions count towards maxChunkLineBytes, quoted or not', (t) => {
  const limits = { maxChunkLineBytes: 64 };
  t.is(decodeAll([b(`5;a="${'x'.repeat(50)}"\r\nhello\r\n0\r\n\r\n`)], limits).body, 'hello');
  for (const ext of [`;a="${'x'.repeat(80)}"`, `;${'n'.repeat(80)}`, `;a=${'v'.repeat(80)}`, `;a${' '.repeat(80)}=b`, `;a="${'\\x'.repeat(40)}"`]) {
    const text = b(`5${ext}\r\nhello\r\n0\r\n\r\n`);
    t.deepEqual(errorOf(() => decodeAll([text], limits)), codeOf('BAD_CHUNK'), ext);
    for (let cut = 1; cut < text.length; cut += 7) t.deepEqual(errorOf(() => decodeAll(splitAt(text, [cut]), limits)), codeOf('BAD_CHUNK'));
  }
});

test('pipelined requests with bodies parse in order, bodies framed exactly', (t) => {
  const text = b(
    'POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\nHost: a\r\n\r\n' +
      'PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n' +
      'GET /4 HTTP/1.0\r\n\r\n',
  );
  const r = parseStream([text]);
  t.is(r.error, null);
  t.deepEqual(r.requests.map((q) => [q.method, q.target, q.body]), [
    ['POST', '/1', 'hello'],
    ['GET', '/2', ''],
    ['PUT', '/3', 'hi'],
    ['GET', '/4', ''],
  ]);
});
