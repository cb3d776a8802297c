// Response header and status validation (issue 12, items 4 and 7): every path that writes a
// header or the status — ctx setters, the node adapters, packages writing through ctx — goes
// through one validator. Units on every character, a seeded property test feeding controls to
// each setter inside a real request, wire-level checks that an injection attempt yields exactly
// one response, and final statuses limited to 200-599.
import test from 'ava';
import fc from 'fast-check';
import { isHeaderName, isHeaderValue, responseErrors, SluiceError, type Context } from '@sluice/core';
import { parseResponses, raw, start } from './helpers.js';

const SEED = 20261204;
const CODES = new Set<string>(Object.values(responseErrors));
/** The app's expected 500s are not news: a logger that keeps quiet. */
const quiet = { logger: { info() {}, warn() {}, error() {} } };

// ---- units: the predicates, one character at a time ---------------------------------------

test('isHeaderValue accepts HTAB, SP, visible ASCII and obs-text, and refuses every other character', (t) => {
  for (let c = 0; c <= 0x2ff; c++) {
    const expected = c === 0x09 || (c >= 0x20 && c <= 0xff && c !== 0x7f);
    t.is(isHeaderValue(`a${String.fromCharCode(c)}b`), expected, `U+${c.toString(16)}`);
  }
  // U+010D U+010A would be written as the bytes CR LF by a latin-1 encoder: refused.
  t.false(isHeaderValue('x\u010d\u010aSet-Cookie: a=1'));
  t.true(isHeaderValue(''));
});

test('isHeaderName accepts exactly the RFC 9110 token characters', (t) => {
  const tchar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
  for (let c = 0; c <= 0x2ff; c++) {
    const ch = String.fromCharCode(c);
    t.is(isHeaderName(`X${ch}`), tchar.test(ch), `U+${c.toString(16)}`);
  }
  t.false(isHeaderName(''));
});

// ---- property: controls fed to each setter ------------------------------------------------

/** A control character or sequence: CR, LF, CRLF, NUL, any other C0 but HTAB, DEL, and characters above U+00FF. */
const control = fc.oneof(
  fc.constantFrom('\r', '\n', '\r\n', '\0', '\x7f', '\u010d\u010a', '\u2028', '\ud800'),
  fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 0x09).map((c) => String.fromCharCode(c)),
);
const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019/.-;= "\'\t:'.split('')), maxLength: 12 });
/** A string with at least one control somewhere in it. */
const tainted = fc.tuple(printable, control, printable).map(([a, c, b]) => a + c + b);

/**
 * Each setter with what it must do when its input holds a control: 'throw' (a coded 500
 * error), or 'safe' (it may encode the input instead: redirect's and attachment's filename
 * percent-encoding, or a date string that still parses).
 */
const setters: Array<[string, 'throw' | 'safe', (ctx: Context, v: string) => void]> = [
  ['ctx.set(name, value)', 'throw', (ctx, v) => ctx.set('X-Value', v)],
  ['ctx.set(value list)', 'throw', (ctx, v) => ctx.set('X-List', ['ok', v])],
  ['ctx.set(object)', 'throw', (ctx, v) => ctx.set({ 'X-Object': v })],
  ['ctx.set(bad name)', 'throw', (ctx, v) => ctx.set(`X-${v}`, 'ok')],
  ['ctx.append', 'throw', (ctx, v) => ctx.append('X-Appended', v)],
  ['ctx.append(bad name)', 'throw', (ctx, v) => ctx.append(v, 'ok')],
  ['ctx.type (MIME type)', 'throw', (ctx, v) => { ctx.type = `x/y${v}`; }],
  ['ctx.type (extension)', 'throw', (ctx, v) => { ctx.type = v; }],
  ['ctx.length', 'throw', (ctx, v) => { ctx.length = `5${v}` as unknown as number; }],
  ['ctx.lastModified', 'safe', (ctx, v) => { ctx.lastModified = `Thu, 01 Jan 2026 00:00:00 GMT${v}`; }],
  ['ctx.etag', 'throw', (ctx, v) => { ctx.etag = v; }],
  ['ctx.vary', 'throw', (ctx, v) => ctx.vary(`Accept${v}`)],
  ['ctx.message', 'throw', (ctx, v) => { ctx.message = v; }],
  ['ctx.redirect', 'safe', (ctx, v) => ctx.redirect(`/next${v}`)],
  ['ctx.attachment(filename)', 'safe', (ctx, v) => ctx.attachment(`report${v}.txt`)],
  ['ctx.attachment(type option)', 'throw', (ctx, v) => ctx.attachment('a.txt', { type: `inline${v}` })],
  ['ctx.res.setHeader', 'throw', (ctx, v) => ctx.res.setHeader('X-Node', v)],
  ['ctx.res.setHeader(bad name)', 'throw', (ctx, v) => ctx.res.setHeader(`X${v}`, 'ok')],
  ['ctx.res.appendHeader', 'throw', (ctx, v) => ctx.res.appendHeader('X-Node', v)],
  ['ctx.res.statusMessage', 'throw', (ctx, v) => { ctx.res.statusMessage = v; }],
  ['ctx.res.writeHead(headers)', 'throw', (ctx, v) => ctx.res.writeHead(200, { 'X-Head': v })],
  ['ctx.res.writeHead(pairs)', 'throw', (ctx, v) => ctx.res.writeHead(200, [['X-Head', v]])],
  ['ctx.res.writeHead(reason)', 'throw', (ctx, v) => ctx.res.writeHead(200, v)],
];

/** What is wrong with the recorded response (header table and reason phrase), or '' if nothing. */
function recordedProblem(ctx: Context): string {
  for (const [name, value] of Object.entries(ctx.response.headers)) {
    if (!isHeaderName(name)) return `header name ${JSON.stringify(name)}`;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (!isHeaderValue(String(v))) return `value of ${name}: ${JSON.stringify(v)}`;
    }
  }
  return isHeaderValue(ctx.message) ? '' : `message ${JSON.stringify(ctx.message)}`;
}

/** Empties the recorded response between runs (one request hosts many runs). */
function reset(ctx: Context): void {
  for (const name of Object.keys(ctx.response.headers)) ctx.remove(name);
  ctx.status = 200;
}

for (const [label, outcome, apply] of setters) {
  test(`${label} refuses CR, LF, NUL and other controls (property, seeded)`, async (t) => {
    const s = await start((ctx) => {
      const failures: string[] = [];
      const details = fc.check(
        fc.property(tainted, (value) => {
          reset(ctx);
          try {
            apply(ctx, value);
          } catch (error) {
            if (error instanceof SluiceError && error.status === 500 && !error.expose && CODES.has(error.code)) return true;
            failures.push(`${JSON.stringify(value)} threw ${String(error)}`);
            return false;
          }
          const problem = ctx.headerSent ? 'the head was sent' : outcome === 'throw' ? 'accepted' : recordedProblem(ctx);
          if (problem !== '') failures.push(`${JSON.stringify(value)}: ${problem}`);
          return problem === '';
        }),
        { seed: SEED, numRuns: 200, endOnFailure: true },
      );
      reset(ctx);
      ctx.body = { runs: details.numRuns, failures };
    });
    const res = await fetch(s.url);
    const report = await res.json() as { runs: number; failures: string[] };
    t.deepEqual(report.failures, []);
    t.is(report.runs, 200);
    await s.close();
  });
}

test('ctx.status takes exactly the integers 200-599 (property, seeded)', async (t) => {
  const s = await start((ctx) => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 1100 }), fc.double()), (code) => {
        const final = Number.isInteger(code) && code >= 200 && code <= 599;
        try {
          ctx.status = code;
        } catch (error) {
          return !final && error instanceof SluiceError && error.code === 'SLUICE_ERR_INVALID_STATUS' && error.status === 500;
        }
        return final && ctx.status === code;
      }),
      { seed: SEED, numRuns: 2000 },
    );
    ctx.status = 200;
    ctx.body = 'all runs passed';
  });
  const res = await fetch(s.url);
  t.is(await res.text(), 'all runs passed');
  await s.close();
});

// ---- wire level: exactly one response ------------------------------------------------------

const SPLIT = 'x/y\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Forged: 1\r\n\r\nforged';

test('ctx.type = user input with CRLF: the raw socket sees one 500 response, then the next pipelined request is served', async (t) => {
  const s = await start((ctx) => {
    if (ctx.path === '/next') {
      ctx.body = 'next';
      return;
    }
    ctx.type = ctx.query.t as string;
    ctx.body = 'typed';
  }, quiet);
  const target = `/?t=${encodeURIComponent(SPLIT)}`;
  const { text, closed } = await raw(s.port,
    `GET ${target} HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  const responses = parseResponses(text);
  t.deepEqual(responses.map((r) => r.status), [500, 200]);
  t.is(responses[1].body, 'next');
  t.notRegex(text, /X-Forged|forged|x\/y/);
  t.true(closed);
  await s.close();
});

test('every header setter given CRLF from the request answers one 500 on the wire, nothing injected', async (t) => {
  const routes: Record<string, (ctx: Context, v: string) => void> = {
    '/set': (ctx, v) => ctx.set('X-A', v),
    '/append': (ctx, v) => ctx.append('X-A', v),
    '/name': (ctx, v) => ctx.set(v, 'a'),
    '/type': (ctx, v) => { ctx.type = v; },
    '/length': (ctx, v) => { ctx.length = v as unknown as number; },
    '/last-modified': (ctx, v) => { ctx.lastModified = v; },
    '/etag': (ctx, v) => { ctx.etag = v; },
    '/vary': (ctx, v) => ctx.vary(v),
    '/message': (ctx, v) => { ctx.message = v; },
    '/attachment-type': (ctx, v) => ctx.attachment('a.txt', { type: v }),
    '/res-set-header': (ctx, v) => ctx.res.setHeader('X-A', v),
    '/res-write-head': (ctx, v) => { ctx.res.writeHead(200, { 'X-A': v }); ctx.res.end('written'); },
    '/res-reason': (ctx, v) => { ctx.res.writeHead(200, v); ctx.res.end('written'); },
  };
  const s = await start((ctx) => {
    routes[ctx.path](ctx, ctx.query.v as string);
    ctx.body = 'not reached';
  }, quiet);
  for (const route of Object.keys(routes)) {
    const { text, closed } = await raw(s.port, `GET ${route}?v=${encodeURIComponent(SPLIT)} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
    const responses = parseResponses(text);
    t.deepEqual(responses.map((r) => r.status), [500], route);
    t.notRegex(text, /X-Forged|forged|not reached|written/, route);
    t.true(closed, route);
  }
  await s.close();
});

test('ctx.redirect with CRLF in the target percent-encodes it in Location: one response', async (t) => {
  const s = await start((ctx) => {
    ctx.redirect(ctx.query.to as string);
  });
  const { text } = await raw(s.port, `GET /?to=${encodeURIComponent(`/a${SPLIT}`)} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  const responses = parseResponses(text);
  t.is(responses.length, 1);
  t.is(responses[0].status, 302);
  t.is(responses[0].headers.location, `/a${encodeURI(SPLIT)}`);
  t.notRegex(responses[0].head, /^X-Forged/m);
  await s.close();
});

test('a header value with characters above U+00FF is refused, not written as their low bytes', async (t) => {
  const s = await start((ctx) => {
    ctx.set('X-A', 'a\u010d\u010aX-Forged: 1');
    ctx.body = 'not reached';
  }, quiet);
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.deepEqual(parseResponses(text).map((r) => r.status), [500]);
  t.notRegex(text, /X-Forged|not reached/);
  await s.close();
});

test('an invalid header is a coded error the error middleware sees, and its response has none of the bad headers', async (t) => {
  const seen: string[] = [];
  const s = await start([
    async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        seen.push((error as SluiceError).code);
        throw error;
      }
    },
    (ctx) => {
      ctx.set('X-Before', 'kept until the error');
      ctx.type = 'text/plain\r\nX-Injected: 1';
    },
  ], quiet);
  const res = await fetch(s.url);
  t.is(res.status, 500);
  t.is(res.headers.get('x-injected'), null);
  t.is(res.headers.get('x-before'), null);
  t.deepEqual(seen, ['SLUICE_ERR_INVALID_HEADER_VALUE']);
  await s.close();
});

// ---- final statuses ------------------------------------------------------------------------

test('ctx.status = 101 is a 500 with SLUICE_ERR_INVALID_STATUS: no 101 reaches the wire, the connection keeps HTTP', async (t) => {
  const codes: string[] = [];
  const s = await start((ctx) => {
    if (ctx.path === '/next') {
      ctx.body = 'still http';
      return;
    }
    ctx.set('Upgrade', 'websocket');
    ctx.status = Number(ctx.query.status);
  });
  s.app.on('error', (error: SluiceError) => codes.push(error.code));
  for (const status of ['101', '100', '103', '199', '600', '999', '0']) {
    const { text } = await raw(s.port,
      `GET /?status=${status} HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
    const responses = parseResponses(text);
    t.deepEqual(responses.map((r) => r.status), [500, 200], status);
    t.is(responses[1].body, 'still http', status);
    t.notRegex(text, /^HTTP\/1\.1 1\d\d/m, status);
  }
  t.deepEqual(new Set(codes), new Set(['SLUICE_ERR_INVALID_STATUS']));
  await s.close();
});

test('ctx.res.writeHead(101) and ctx.res.statusCode = 103 are refused with 500 through the real client', async (t) => {
  const s = await start((ctx) => {
    if (ctx.path === '/write-head') ctx.res.writeHead(101, { Upgrade: 'websocket', Connection: 'Upgrade' });
    else ctx.res.statusCode = 103;
    ctx.res.end('switched');
  }, quiet);
  for (const path of ['/write-head', '/status-code']) {
    const res = await fetch(`${s.url}${path}`);
    t.is(res.status, 500, path);
    t.not(await res.text(), 'switched', path);
  }
  await s.close();
});

test('ctx.res.writeHead takes Node array headers: pairs and a flat list', async (t) => {
  const s = await start((ctx) => {
    const list = ctx.path === '/pairs' ? [['X-A', '1'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']] : ['X-A', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'];
    ctx.res.writeHead(201, list as string[]);
    ctx.res.end('ok');
  });
  for (const path of ['/pairs', '/flat']) {
    const res = await fetch(`${s.url}${path}`);
    t.is(res.status, 201, path);
    t.is(res.headers.get('x-a'), '1', path);
    t.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2'], path);
  }
  await s.close();
});

test('ctx.lastModified with an invalid date is a 500, not "Last-Modified: Invalid Date"', async (t) => {
  const s = await start((ctx) => {
    ctx.lastModified = 'not a date';
    ctx.body = 'x';
  }, quiet);
  const res = await fetch(s.url);
  t.is(res.status, 500);
  t.is(res.headers.get('last-modified'), null);
  await s.close();
});

test('valid values pass every setter unchanged (no false positives on obs-text, HTAB, quotes)', async (t) => {
  const s = await start((ctx) => {
    ctx.set('X-Latin1', 'caf\u00e9\tok');
    ctx.type = 'application/ld+json';
    ctx.etag = 'W/"abc"';
    ctx.lastModified = new Date(Date.UTC(2026, 0, 1));
    ctx.vary('Accept, Accept-Encoding');
    ctx.attachment('r\u00e9sum\u00e9.pdf');
    ctx.length = 2;
    ctx.message = 'Fine Thanks';
    ctx.body = Buffer.from('{}');
    ctx.length = 2;
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  const [res] = parseResponses(text);
  t.is(res.statusLine, 'HTTP/1.1 200 Fine Thanks');
  t.is(res.headers['x-latin1'], 'caf\u00e9\tok');
  t.is(res.headers['etag'], 'W/"abc"');
  t.is(res.headers['last-modified'], 'Thu, 01 Jan 2026 00:00:00 GMT');
  t.is(res.headers['vary'], 'Accept, Accept-Encoding');
  t.regex(res.headers['content-disposition'] ?? '', /^attachment; filename="r\u00e9sum\u00e9\.pdf"$/);
  t.is(res.body, '{}');
  await s.close();
});
