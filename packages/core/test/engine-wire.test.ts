// Level 2 (wire): exact request bytes on a raw socket, exact response bytes and connection
// state (kept alive or closed). One app per test; every rejection of the engine and every
// framing and persistence rule of issue 2.
import test from 'ava';
import { Readable } from 'node:stream';
import type { Context } from '@sluice/core';
import { eventually, parseResponses, raw, start, Wire } from './helpers.js';

/** Answers with what the engine parsed: method, URL and body. */
async function echo(ctx: Context): Promise<void> {
  const body = await ctx.request.text();
  ctx.body = `${ctx.method} ${ctx.url} ${body}`;
}

// ---- every rejection: exact status, Connection: close, and the connection closed ---------

const rejections: Array<[string, string, number]> = [
  ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
  ['a method with a non-token character', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['asterisk-form outside OPTIONS', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['authority-form outside CONNECT', 'GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['HTTP/2.0 in a request line', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
  ['the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
  ['HTTP/3.0', 'GET / HTTP/3.0\r\nHost: a\r\n\r\n', 505],
  ['a malformed version', 'GET / HTTP/1.1x\r\nHost: a\r\n\r\n', 400],
  // HTTP/0.9 form: answered when the line ends, not after headersTimeoutMs (10 s, longer than raw()'s 5 s wait)
  ['a request line without a version (HTTP/0.9)', 'GET /\r\n', 400],
  ['a request line without a version, for a file', 'GET /index.html\r\n', 400],
  ['whitespace before a header colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n', 400],
  ['a bare CR in a header', 'GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n', 400],
  ['a NUL in a header', 'GET / HTTP/1.1\r\nHost: a\r\nX: 1\x002\r\n\r\n', 400],
  ['a bare LF line end', 'GET / HTTP/1.1\nHost: a\n\n', 400],
  ['a missing Host in 1.1', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['a malformed Host', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400],
  ['Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 400],
  ['differing Content-Lengths', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
  ['a malformed Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\nabc', 400],
  ['Transfer-Encoding not ending in chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
  ['an unsupported expectation', 'POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx', 417],
  ['an overflowing chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n', 400],
  ['a malformed chunk', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n', 400],
  ['a chunk extension with an unterminated quoted-string', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="abc\r\nhello\r\n0\r\n\r\n', 400],
  ['a chunk extension with a NUL in a quoted-string', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="a\x00"\r\nhello\r\n0\r\n\r\n', 400],
  ['a chunk extension with a bad escape', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="\\\x01"\r\nhello\r\n0\r\n\r\n', 400],
  ['a chunk extension name that is not a token', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a@b\r\nhello\r\n0\r\n\r\n', 400],
  ['a chunk extension value neither token nor quoted-string', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b/c\r\nhello\r\n0\r\n\r\n', 400],
];

for (const [what, bytes, status] of rejections) {
  test(`${what} is answered ${status} with Connection: close, then the connection closes`, async (t) => {
    const s = await start(echo);
    const { text, closed } = await raw(s.port, bytes);
    const [res, ...more] = parseResponses(text);
    t.is(res.statusLine.split(' ').slice(0, 2).join(' '), `HTTP/1.1 ${status}`);
    t.is(res.headers.connection, 'close');
    t.is(more.length, 0);
    t.true(closed);
    await s.close();
  });
}

test('a request smuggled behind Content-Length + Transfer-Encoding is never answered', async (t) => {
  const s = await start(echo);
  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
  const { text } = await raw(
    s.port,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  );
  t.notRegex(text, /smuggled/);
  t.is(parseResponses(text).length, 1);
  await s.close();
});

test('a request behind a chunk extension with an unterminated quoted-string is never executed', async (t) => {
  const executed: string[] = [];
  const s = await start(async (ctx) => {
    executed.push(ctx.path);
    await echo(ctx);
  });
  const { text, closed } = await raw(
    s.port,
    'POST /first HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a="abc\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  const responses = parseResponses(text);
  t.deepEqual(responses.map((r) => [r.status, r.headers.connection]), [[400, 'close']]);
  t.true(closed);
  t.notRegex(text, /smuggled/);
  t.deepEqual(executed, ['/first']);
  await s.close();
});

test('valid chunk extensions (tokens, quoted-strings with escapes, BWS) are accepted and the connection kept', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write(
    'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5 ; a = b ;c="q;\\"\\\\ \\\x80";d\r\nhello\r\n0;last="end"\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => r.body), ['POST /x hello', 'GET /next ']);
  t.true(await wire.stillOpenAfter(50));
  wire.destroy();
  await s.close();
});

// ---- persistence ------------------------------------------------------------------------

test('HTTP/1.1 keeps the connection open by default and answers the next request on it', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n');
  const [first] = await wire.responses(1);
  t.is(first.headers.connection, undefined);
  wire.write('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(2);
  t.is(responses[1].body, 'GET /2 ');
  t.true(await wire.stillOpenAfter(100));
  wire.destroy();
  await s.close();
});

test('HTTP/1.1 Connection: close is honoured: answered with close, then closed', async (t) => {
  const s = await start(echo);
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const [res] = parseResponses(text);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('HTTP/1.0 closes by default and is answered in 1.0', async (t) => {
  const s = await start(echo);
  const { text, closed } = await raw(s.port, 'GET /x HTTP/1.0\r\n\r\n');
  t.regex(text, /^HTTP\/1\.0 200 OK\r\n/);
  const [res] = parseResponses(text);
  t.is(res.headers.connection, 'close');
  t.is(res.body, 'GET /x ');
  t.true(closed);
  await s.close();
});

test('HTTP/1.0 with Connection: keep-alive is kept alive and answered in kind', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write('GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.headers.connection, 'keep-alive');
  t.is(res.headers['content-length'], '7');
  wire.write('GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  t.is((await wire.responses(2))[1].body, 'GET /2 ');
  t.true(await wire.stillOpenAfter(100));
  wire.destroy();
  await s.close();
});

test('an app setting Connection: close closes the connection after its response', async (t) => {
  const s = await start((ctx) => {
    ctx.set('Connection', 'close');
    ctx.body = 'bye';
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  t.is(parseResponses(text)[0].headers.connection, 'close');
  t.true(closed);
  await s.close();
});

// ---- response framing ---------------------------------------------------------------------

test('a known length is sent with Content-Length and a Date in IMF-fixdate, head and body in one segment', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'Hello World';
  });
  const wire = await Wire.open(s.port);
  const segments: number[] = [];
  wire.socket.on('data', (c: Buffer) => segments.push(c.length));
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.headers['content-length'], '11');
  t.regex(res.headers.date ?? '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
  t.is(segments.length, 1);
  t.is(res.body, 'Hello World');
  wire.destroy();
  await s.close();
});

test('an unknown length is chunked on HTTP/1.1 and the connection stays open', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Readable.from(['ab', 'cd']);
  });
  const wire = await Wire.open(s.port);
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [res] = await wire.responses(1);
  t.is(res.headers['transfer-encoding'], 'chunked');
  t.is(res.headers['content-length'], undefined);
  t.is(res.body, 'abcd');
  t.true(wire.text.endsWith('\r\n0\r\n\r\n'));
  t.true(await wire.stillOpenAfter(100));
  wire.destroy();
  await s.close();
});

test('an unknown length is close-delimited on HTTP/1.0, never chunked, even if keep-alive was asked', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Readable.from(['ab', 'cd']);
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const [res] = parseResponses(text);
  t.is(res.headers['transfer-encoding'], undefined);
  t.is(res.headers.connection, 'close');
  t.is(res.body, 'abcd');
  t.true(closed);
  await s.close();
});

test('a streamed body with a declared length is sent with Content-Length', async (t) => {
  const s = await start((ctx) => {
    ctx.length = 4;
    ctx.body = Readable.from([Buffer.from('ab'), Buffer.from('cd')]);
  });
  const wire = await Wire.open(s.port);
  wire.write('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => [r.headers['content-length'], r.body]), [['4', 'abcd'], ['4', 'abcd']]);
  wire.destroy();
  await s.close();
});

test('HEAD gets the GET headers and no body; the next pipelined request is framed correctly', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'twelve bytes';
  });
  const wire = await Wire.open(s.port);
  wire.write('HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const [head, get] = await wire.responses(2, [0]);
  t.is(head.headers['content-length'], '12');
  t.is(head.body, '');
  t.is(get.body, 'twelve bytes');
  t.is(wire.text.indexOf('twelve'), wire.text.lastIndexOf('twelve'));
  wire.destroy();
  await s.close();
});

test('204 and 304 carry no body and no Content-Length', async (t) => {
  const s = await start((ctx) => {
    ctx.status = ctx.path === '/204' ? 204 : 304;
    ctx.body = 'ignored';
  });
  const wire = await Wire.open(s.port);
  wire.write('GET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\n');
  await wire.until(() => (wire.text.match(/HTTP\/1\.1/g) ?? []).length === 2);
  await new Promise((r) => setTimeout(r, 50));
  const heads = wire.text.split('\r\n\r\n');
  t.deepEqual(heads.map((h) => h.split('\r\n')[0]), ['HTTP/1.1 204 No Content', 'HTTP/1.1 304 Not Modified', '']);
  t.notRegex(wire.text, /Content-Length|Transfer-Encoding|ignored/i);
  wire.destroy();
  await s.close();
});

test('a higher 1.x minor version is answered as HTTP/1.1', async (t) => {
  const s = await start(echo);
  const { text } = await raw(s.port, 'GET / HTTP/1.7\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 200 OK\r\n/);
  await s.close();
});

test('custom methods, asterisk-form and absolute-form reach the app', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write('PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\nget / HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(4);
  t.deepEqual(responses.map((r) => r.body), ['PURGE /cache ', '', 'GET /x?y=1 ', 'get / ']);
  // OPTIONS * is about the server: the framework answers it (204 with Allow), never 400.
  t.is(responses[1].status, 204);
  wire.destroy();
  await s.close();
});

// ---- pipelining ---------------------------------------------------------------------------

test('pipelined requests with bodies (length and chunked) are framed and answered in order', async (t) => {
  const s = await start(echo);
  const { text } = await raw(
    s.port,
    'POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n' +
      'GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  t.deepEqual(parseResponses(text).map((r) => r.body), ['POST /1 hello', 'POST /2 abcde', 'GET /3 ']);
  await s.close();
});

// ---- Expect: 100-continue ------------------------------------------------------------------

test('100 Continue is sent only when the app starts reading the body', async (t) => {
  let startReading: (() => void) | null = null;
  let readStarted = false;
  const s = await start(async (ctx) => {
    await new Promise<void>((r) => (startReading = r));
    readStarted = true;
    ctx.body = await ctx.request.text();
  });
  t.teardown(() => s.close());
  const wire = await Wire.open(s.port);
  t.teardown(() => wire.destroy());
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
  await eventually(() => startReading !== null, 5000, 'the app to run');
  await new Promise((r) => setTimeout(r, 100));
  t.is(wire.text, '');
  (startReading as unknown as () => void)();
  await wire.until(() => wire.text.length > 0);
  t.true(readStarted);
  t.is(wire.text, 'HTTP/1.1 100 Continue\r\n\r\n');
  wire.write('hello');
  const [cont, res] = await wire.responses(2);
  t.is(cont.status, 100);
  t.is(res.body, 'hello');
  t.true(await wire.stillOpenAfter(50));
  wire.destroy();
  await s.close();
});

test('a 4xx answered before reading an Expect: 100-continue body closes instead of reading', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 401;
    ctx.body = 'no';
  });
  const { text, closed } = await raw(s.port, 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n');
  t.notRegex(text, /100 Continue/);
  const [res] = parseResponses(text);
  t.is(res.status, 401);
  t.is(res.headers.connection, 'close');
  t.true(closed);
  await s.close();
});

test('Expect: 100-continue in HTTP/1.0 is ignored (no interim response)', async (t) => {
  const s = await start(echo);
  const { text } = await raw(s.port, 'POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi');
  t.notRegex(text, /100 Continue/);
  t.is(parseResponses(text)[0].body, 'POST / hi');
  await s.close();
});

// ---- unread bodies --------------------------------------------------------------------------

test('a small unread body is drained and never mis-framed as the next request', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `saw ${ctx.path}`;
  });
  const inner = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
  const wire = await Wire.open(s.port);
  wire.write(`POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: ${inner.length}\r\n\r\n${inner}GET /2 HTTP/1.1\r\nHost: a\r\n\r\n`);
  const responses = await wire.responses(2);
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(parseResponses(wire.text).map((r) => r.body), ['saw /1', 'saw /2']);
  t.is(responses[0].headers.connection, undefined);
  t.true(await wire.stillOpenAfter(50));
  wire.destroy();
  await s.close();
});

test('an unread body too large to drain closes the connection after the response, without a reset', async (t) => {
  const s = await start(
    (ctx) => {
      ctx.body = 'early answer';
    },
    { limits: { maxDrainBytes: 1000 } },
  );
  const wire = await Wire.open(s.port);
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(5000));
  const [res] = await wire.responses(1);
  t.is(res.headers.connection, 'close');
  t.is(res.body, 'early answer');
  // The client keeps sending: the server discards it and closes cleanly (FIN, not RST).
  wire.write('y'.repeat(100_000));
  await wire.closedByServer();
  t.true(wire.ended);
  t.false(wire.reset);
  wire.destroy();
  await s.close();
});

test('a small unread chunked body is drained: the connection stays open and the next request is answered', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `saw ${ctx.path}`;
  });
  const wire = await Wire.open(s.port);
  const inner = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
  wire.write(
    `POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\nT: 1\r\n\r\n` +
      'GET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
  );
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => [r.body, r.headers.connection]), [['saw /1', undefined], ['saw /2', undefined]]);
  t.true(await wire.stillOpenAfter(50));
  t.is(parseResponses(wire.text).length, 2);
  wire.destroy();
  await s.close();
});

test('an unread chunked body arriving after the answer is drained, and the connection kept', async (t) => {
  const s = await start((ctx) => {
    ctx.body = `saw ${ctx.path}`;
  });
  const wire = await Wire.open(s.port);
  wire.write('POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
  const [first] = await wire.responses(1);
  t.is(first.headers.connection, undefined);
  wire.write('400\r\n' + 'z'.repeat(0x400) + '\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(2);
  t.is(responses[1].body, 'saw /2');
  t.true(await wire.stillOpenAfter(50));
  wire.destroy();
  await s.close();
});

test('an unread chunked body growing past maxDrainBytes closes the connection, cleanly, without reading the next request', async (t) => {
  const s = await start(
    (ctx) => {
      ctx.body = `saw ${ctx.path}`;
    },
    { limits: { maxDrainBytes: 1000 } },
  );
  const wire = await Wire.open(s.port);
  wire.write('POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
  const [first] = await wire.responses(1);
  t.is(first.body, 'saw /1');
  wire.write(('800\r\n' + 'z'.repeat(0x800) + '\r\n').repeat(4) + '0\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
  await wire.closedByServer();
  t.false(wire.reset);
  t.deepEqual(parseResponses(wire.text).map((r) => r.body), ['saw /1']);
  wire.destroy();
  await s.close();
});

test('an app that destroys a large body while still working answers with Connection: close after maxDrainBytes', async (t) => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const s = await start(
    async (ctx) => {
      ctx.req.destroy();
      await released;
      ctx.body = 'late';
    },
    { limits: { maxDrainBytes: 1000 } },
  );
  const wire = await Wire.open(s.port);
  wire.write('POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' + ('800\r\n' + 'z'.repeat(0x800) + '\r\n').repeat(4));
  await eventually(() => s.app.connectionCount === 1);
  await new Promise((r) => setTimeout(r, 100));
  release();
  const [res] = await wire.responses(1);
  t.is(res.body, 'late');
  t.is(res.headers.connection, 'close');
  await wire.closedByServer();
  wire.destroy();
  await s.close();
});

test('a body read by the app keeps the connection alive', async (t) => {
  const s = await start(echo);
  const wire = await Wire.open(s.port);
  wire.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n' + 'z'.repeat(200_000));
  const [res] = await wire.responses(1, [], 5000);
  t.is(res.body.length, 'POST / '.length + 200_000);
  t.is(res.headers.connection, undefined);
  t.true(await wire.stillOpenAfter(50));
  wire.destroy();
  await s.close();
});

test('an app that destroys the request body and answers later still answers pipelined requests in order', async (t) => {
  const s = await start(async (ctx) => {
    if (ctx.path === '/1') {
      ctx.req.destroy();
      await new Promise((r) => setTimeout(r, 100));
    }
    ctx.body = `answer ${ctx.path}`;
  });
  const wire = await Wire.open(s.port);
  wire.write('POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n');
  await new Promise((r) => setTimeout(r, 30));
  wire.write('helloGET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
  const responses = await wire.responses(2);
  t.deepEqual(responses.map((r) => r.body), ['answer /1', 'answer /2']);
  wire.destroy();
  await s.close();
});
