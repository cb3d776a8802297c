import { PassThrough, Readable, Writable } from 'node:stream';
import test from 'ava';
import { accessLog, type AccessLogOptions } from '@sluice/core';
import { sendAndReset } from '@sluice/test-support';
import { raw, start } from './helpers.js';

/** Starts an app logging to a buffer; `lines()` waits for `n` lines. */
async function logged(options: AccessLogOptions, answer: Parameters<typeof start>[0], appOptions = {}) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  const s = await start([accessLog({ ...options, stream }), ...(Array.isArray(answer) ? answer : [answer])], appOptions);
  const lines = async (n = 1) => {
    for (let i = 0; i < 100 && text.split('\n').length - 1 < n; i++) await new Promise((r) => setTimeout(r, 10));
    return text.split('\n').slice(0, -1);
  };
  return { ...s, lines };
}

const DATE = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]`;

/** Sends `input`, waits `afterMs`, then resets the connection (RST): a client that truly went away. */

test('Common Log Format: host, user, time, request line, status, bytes, response time', async (t) => {
  const s = await logged({ format: 'common' }, (ctx) => {
    ctx.body = 'hello';
  });
  await raw(s.port, 'GET /a?b=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic ' + Buffer.from('alice:pw').toString('base64') + '\r\nConnection: close\r\n\r\n');
  const [line] = await s.lines();
  t.regex(line, new RegExp(String.raw`^127\.0\.0\.1 - alice ${DATE} "GET /a\?b=1 HTTP/1\.1" 200 5 \d+\.\d{3}$`));
  await s.close();
});

test('Combined Log Format adds Referer and User-Agent', async (t) => {
  const s = await logged({}, (ctx) => {
    ctx.body = 'x';
  });
  await raw(s.port, 'GET / HTTP/1.0\r\nReferer: http://r.example/\r\nUser-Agent: probe/1.0\r\n\r\n');
  const [line] = await s.lines();
  t.regex(line, new RegExp(String.raw`^127\.0\.0\.1 - - ${DATE} "GET / HTTP/1\.0" 200 1 "http://r\.example/" "probe/1\.0" \d+\.\d{3}$`));
  await s.close();
});

test('responseTime: false leaves the time out', async (t) => {
  const s = await logged({ format: 'common', responseTime: false }, (ctx) => {
    ctx.body = 'x';
  });
  await fetch(s.url);
  const [line] = await s.lines();
  t.regex(line, /" 200 1$/);
  await s.close();
});

test('error responses are logged with the status sent', async (t) => {
  const s = await logged({ format: 'common' }, (ctx) => {
    ctx.throw(403, 'no');
  });
  await fetch(`${s.url}/secret`);
  const [line] = await s.lines();
  t.regex(line, /"GET \/secret HTTP\/1\.1" 403 3 /);
  await s.close();
});

test('an unanswered request is logged as 404', async (t) => {
  const s = await logged({ format: 'common' }, () => {});
  await fetch(`${s.url}/missing`);
  const [line] = await s.lines();
  t.regex(line, /"GET \/missing HTTP\/1\.1" 404 \d+ /);
  await s.close();
});

test('a 204 logs "-" for bytes', async (t) => {
  const s = await logged({ format: 'common' }, (ctx) => {
    ctx.status = 204;
  });
  await fetch(s.url, { method: 'DELETE' });
  const [line] = await s.lines();
  t.regex(line, /"DELETE \/ HTTP\/1\.1" 204 - /);
  await s.close();
});

test('the original request line is logged even if middleware rewrites the URL', async (t) => {
  const s = await logged({ format: 'common' }, (ctx) => {
    ctx.url = '/internal';
    ctx.body = 'x';
  });
  await fetch(`${s.url}/public`);
  const [line] = await s.lines();
  t.regex(line, /"GET \/public HTTP\/1\.1"/);
  await s.close();
});

test('quotes, backslashes and non-ASCII in client fields are escaped: one request, one line', async (t) => {
  const s = await logged({}, (ctx) => {
    ctx.body = 'x';
  });
  await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a"b\\c\xe9\r\nConnection: close\r\n\r\n');
  const lines = await s.lines();
  t.is(lines.length, 1);
  t.regex(lines[0], /"a\\x22b\\x5cc\\xc3\\xa9"/);
  await s.close();
});

test('a response cut off by a failing stream is still logged with the bytes sent', async (t) => {
  const s = await logged({ format: 'common', responseTime: false }, (ctx) => {
    let sent = false;
    ctx.body = new Readable({
      read() {
        if (!sent) {
          sent = true;
          this.push('12345');
          return;
        }
        setTimeout(() => this.destroy(new Error('broken')), 10);
      },
    });
  }, { logger: { info() {}, warn() {}, error() {} } });
  await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', { timeoutMs: 1000 });
  const [line] = await s.lines();
  t.regex(line, /"GET \/ HTTP\/1\.1" 200 5$/);
  await s.close();
});

test('a client leaving before the response is logged once', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const s = await logged({ format: 'common', responseTime: false }, async (ctx) => {
    ctx.onAbort(release);
    await gate;
    ctx.body = 'too late';
  });
  await sendAndReset(s.port, 'GET /slow HTTP/1.1\r\nHost: h\r\n\r\n');
  await gate;
  await new Promise((r) => setTimeout(r, 30));
  const lines = await s.lines();
  t.is(lines.length, 1);
  t.regex(lines[0], /"GET \/slow HTTP\/1\.1" - -$/);
  await s.close();
});

test('unknown or bad options are refused, naming the key', (t) => {
  t.throws(() => accessLog({ fromat: 'common' } as never), { message: /unknown accessLog option "fromat"/ });
  t.throws(() => accessLog({ format: 'xml' as never }), { message: /"format" must be "common", "combined" or "json", not "xml"/ });
});

test('requests answered without the chain are logged too: TRACE refused, OPTIONS *, malformed', async (t) => {
  const s = await logged({ format: 'common', responseTime: false }, (ctx) => {
    ctx.body = 'x';
  });
  await raw(s.port, 'TRACE / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  await raw(s.port, 'OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  await raw(s.port, 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
  const lines = await s.lines(3);
  t.is(lines.length, 3);
  t.regex(lines[0], /"TRACE \/ HTTP\/1\.1" 405 \d+$/);
  t.regex(lines[1], /"OPTIONS \* HTTP\/1\.1" 204 -$/);
  t.regex(lines[2], /" 400 \d+$/);
  await s.close();
});

test('a failing log stream does not take the server down', async (t) => {
  const stream = new PassThrough();
  const s = await start([accessLog({ stream }), (ctx) => {
    ctx.body = 'still serving';
  }]);
  stream.destroy(new Error('disk full'));
  t.is(await (await fetch(s.url)).text(), 'still serving');
  t.is(await (await fetch(s.url)).text(), 'still serving');
  await s.close();
});

test('a stream that does not drain gets lines dropped and counted, not buffered without bound', async (t) => {
  const stream = new Writable({ highWaterMark: 16, write(_chunk, _enc, cb) { setTimeout(cb, 1000); } });
  const s = await start([accessLog({ stream, maxBufferedBytes: 200 }), (ctx) => {
    ctx.body = 'x';
  }], {});
  for (let i = 0; i < 10; i++) await (await fetch(s.url)).text();
  t.true(stream.writableLength <= 200 + 300);
  await s.close();
});

test('a request redispatched through the chain (an internal redirect) is logged once, with the request line the client sent', async (t) => {
  const s = await logged({ format: 'common', responseTime: false }, async (ctx) => {
    if (ctx.path === '/dir/') {
      ctx.path = '/dir/index.php';
      await ctx.app.dispatch(ctx);
      return;
    }
    ctx.body = `at ${ctx.path}`;
  });
  await raw(s.port, 'GET /dir/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  await raw(s.port, 'GET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  const lines = await s.lines(2);
  t.regex(lines[0], /"GET \/dir\/ HTTP\/1\.1" 200 17$/);
  t.regex(lines[1], /"GET \/next HTTP\/1\.1" 200 8$/);
  t.is(lines.length, 2);
  await s.close();
});

test('format json: one object per line with the combined fields, quotes and controls escaped by JSON', async (t) => {
  const s = await logged({ format: 'json' }, (ctx) => {
    ctx.body = 'hello';
  });
  await raw(s.port, 'GET /a?b=1 HTTP/1.1\r\nHost: h\r\nReferer: http://r.example/\r\nUser-Agent: say "hi"\\\r\nAuthorization: Basic ' + Buffer.from('alice:pw').toString('base64') + '\r\nConnection: close\r\n\r\n');
  const [line] = await s.lines();
  const entry = JSON.parse(line) as Record<string, unknown>;
  t.deepEqual(Object.keys(entry), ['remoteAddr', 'remoteUser', 'time', 'request', 'status', 'bytes', 'referer', 'userAgent', 'responseTimeMs']);
  t.like(entry, { remoteAddr: '127.0.0.1', remoteUser: 'alice', request: 'GET /a?b=1 HTTP/1.1', status: 200, bytes: 5, referer: 'http://r.example/', userAgent: 'say "hi"\\' });
  t.regex(entry.time as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  t.is(typeof entry.responseTimeMs, 'number');
  await s.close();
});

test('format json: a malformed request has null for what it never said', async (t) => {
  const s = await logged({ format: 'json', responseTime: false }, (ctx) => {
    ctx.body = 'x';
  });
  await raw(s.port, 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
  const entry = JSON.parse((await s.lines())[0]) as Record<string, unknown>;
  t.like(entry, { remoteAddr: '127.0.0.1', remoteUser: null, request: null, status: 400, referer: null, userAgent: null });
  t.false('responseTimeMs' in entry);
  await s.close();
});

test('the client address field is escaped like every other field (a middleware may set ctx.ip)', async (t) => {
  const s = await logged({ format: 'common', responseTime: false }, (ctx) => {
    ctx.request.ip = '6.6.6.6 "forged\n';
    ctx.body = 'x';
  });
  await raw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  const lines = await s.lines();
  t.is(lines.length, 1);
  t.regex(lines[0], /^6\.6\.6\.6\\x20\\x22forged\\x0a - - \[/);
  await s.close();
});

for (const [name, request] of [['TRACE', 'TRACE / HTTP/1.1'], ['OPTIONS *', 'OPTIONS * HTTP/1.1']]) {
  test(`${name}, answered before the middleware, is logged with the address trustedProxies allow`, async (t) => {
    const untrusted = await logged({ format: 'common', responseTime: false }, () => {}, { proxy: true, trustedProxies: ['10.0.0.0/8'] });
    await raw(untrusted.port, `${request}\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6 "forged\r\nConnection: close\r\n\r\n`);
    t.regex((await untrusted.lines())[0], /^127\.0\.0\.1 - - \[/);
    await untrusted.close();
    const trusted = await logged({ format: 'common', responseTime: false }, () => {}, { proxy: true, trustedProxies: ['127.0.0.1'] });
    await raw(trusted.port, `${request}\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6 "forged, 203.0.113.9\r\nConnection: close\r\n\r\n`);
    await raw(trusted.port, `${request}\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6 "forged\r\nConnection: close\r\n\r\n`);
    const lines = await trusted.lines(2);
    t.regex(lines[0], /^203\.0\.113\.9 - - \[/);
    t.regex(lines[1], /^127\.0\.0\.1 - - \[/);
    await trusted.close();
  });
}
