import { PassThrough, Readable } from 'node:stream';
import test from 'ava';
import { raw, start } from './helpers.js';

const GET = (path = '/', extra = '') => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}Connection: close\r\n\r\n`;

test('a string starting with "<" is sent as HTML', async (t) => {
  const s = await start((ctx) => {
    ctx.body = '  <p>hi</p>';
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(await res.text(), '  <p>hi</p>');
  await s.close();
});

test('a Buffer body is sent as application/octet-stream with its length', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Buffer.from([1, 2, 3]);
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('content-type'), 'application/octet-stream');
  t.is(res.headers.get('content-length'), '3');
  t.deepEqual([...new Uint8Array(await res.arrayBuffer())], [1, 2, 3]);
  await s.close();
});

test('an object body is sent as JSON', async (t) => {
  const s = await start((ctx) => {
    ctx.body = { a: 1, b: [true, null] };
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(await res.text(), '{"a":1,"b":[true,null]}');
  await s.close();
});

test('a JSON body keeps a json type the app chose', async (t) => {
  const s = await start((ctx) => {
    ctx.type = 'application/ld+json';
    ctx.body = { '@id': 'x' };
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('content-type'), 'application/ld+json');
  await s.close();
});

test('a stream body is sent chunked to an HTTP/1.1 client', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Readable.from(['ab', 'cd']);
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /Transfer-Encoding: chunked\r\n/);
  t.true(text.endsWith('\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n'));
  await s.close();
});

test('a stream body with ctx.length set is sent with Content-Length', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Readable.from([Buffer.from('abcd')]);
    ctx.length = 4;
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /Content-Length: 4\r\n/);
  t.notRegex(text, /chunked/);
  t.true(text.endsWith('\r\n\r\nabcd'));
  await s.close();
});

test('a stream body to an HTTP/1.0 client is delimited by closing the connection', async (t) => {
  const s = await start((ctx) => {
    ctx.body = Readable.from(['x', 'y']);
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.0\r\n\r\n');
  t.notRegex(text, /chunked|Content-Length/);
  t.true(text.endsWith('\r\n\r\nxy'));
  t.true(closed);
  await s.close();
});

test('an async iterable body is streamed', async (t) => {
  const s = await start((ctx) => {
    ctx.body = (async function* () {
      yield 'one,';
      yield 'two';
    })();
  });
  const res = await fetch(s.url);
  t.is(await res.text(), 'one,two');
  await s.close();
});

test('body set to null gives 204 without Content-Type', async (t) => {
  const s = await start((ctx) => {
    ctx.type = 'text';
    ctx.body = null;
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 204 No Content\r\n/);
  t.notRegex(text, /Content-Type|Content-Length/);
  await s.close();
});

test('body null then an explicit 200 sends an empty body with Content-Length 0', async (t) => {
  const s = await start((ctx) => {
    ctx.body = null;
    ctx.status = 200;
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.regex(text, /Content-Length: 0\r\n/);
  await s.close();
});

test('a status without a body sends the status message as text', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 202;
  });
  const res = await fetch(s.url);
  t.is(res.status, 202);
  t.is(await res.text(), 'Accepted');
  await s.close();
});

test('a custom message replaces the reason phrase in the body', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 418;
    ctx.message = 'Short and stout';
  });
  const res = await fetch(s.url);
  t.is(res.status, 418);
  t.is(await res.text(), 'Short and stout');
  await s.close();
});

test('setting an empty status (304) drops the body', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'will go';
    ctx.status = 304;
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 304 /);
  t.true(text.endsWith('\r\n\r\n'));
  t.notRegex(text, /will go|Content-Length/);
  await s.close();
});

test('an invalid status is a 500', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 99;
  });
  t.is((await fetch(s.url)).status, 500);
  await s.close();
});

test('HEAD gets the GET headers with Content-Length and no body', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'twelve bytes';
  });
  const { text } = await raw(s.port, 'HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.regex(text, /Content-Length: 12\r\n/);
  t.regex(text, /Content-Type: text\/plain; charset=utf-8\r\n/);
  t.true(text.endsWith('\r\n\r\n'));
  await s.close();
});

test('type accepts extensions and shorthands', async (t) => {
  const s = await start((ctx) => {
    ctx.type = ctx.query.t as string;
    ctx.body = ctx.type;
  });
  const typeOf = async (q: string) => (await fetch(`${s.url}/?t=${encodeURIComponent(q)}`)).headers.get('content-type');
  t.is(await typeOf('json'), 'application/json; charset=utf-8');
  t.is(await typeOf('.html'), 'text/html; charset=utf-8');
  t.is(await typeOf('image/png'), 'image/png');
  await s.close();
});

test('length reflects a string body in bytes', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'héllo';
    ctx.set('X-Length', String(ctx.length));
  });
  t.is((await fetch(s.url)).headers.get('x-length'), '6');
  await s.close();
});

test('lastModified and etag are set as HTTP headers', async (t) => {
  const s = await start((ctx) => {
    ctx.lastModified = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
    ctx.etag = 'abc';
    ctx.body = String(ctx.lastModified?.getTime());
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('last-modified'), 'Thu, 02 Jan 2020 03:04:05 GMT');
  t.is(res.headers.get('etag'), '"abc"');
  t.is(await res.text(), String(Date.UTC(2020, 0, 2, 3, 4, 5)));
  await s.close();
});

test('a weak etag is kept as given', async (t) => {
  const s = await start((ctx) => {
    ctx.etag = 'W/"x"';
    ctx.body = 'b';
  });
  t.is((await fetch(s.url)).headers.get('etag'), 'W/"x"');
  await s.close();
});

test('set, append, remove and has manage response headers', async (t) => {
  const s = await start((ctx) => {
    ctx.set({ 'X-A': '1', 'X-Gone': 'x' });
    ctx.append('X-A', '2');
    ctx.append('Set-Cookie', ['a=1', 'b=2']);
    ctx.remove('X-Gone');
    ctx.body = String([ctx.has('x-a'), ctx.has('X-Gone'), ctx.response.get('X-A')]);
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /X-A: 1\r\nX-A: 2\r\n/);
  t.regex(text, /Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n/);
  t.notRegex(text, /X-Gone/);
  t.true(text.endsWith('true,false,1,2'));
  await s.close();
});

test('a header value with CR/LF is refused with 500 and never reaches the wire', async (t) => {
  const s = await start((ctx) => {
    ctx.set('X-Evil', 'a\r\nSet-Cookie: pwned=1');
    ctx.body = 'no';
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 500 /);
  t.notRegex(text, /pwned/);
  await s.close();
});

test('vary adds each field once', async (t) => {
  const s = await start((ctx) => {
    ctx.vary('Accept');
    ctx.vary('Accept-Encoding');
    ctx.vary('accept');
    ctx.body = 'v';
  });
  t.is((await fetch(s.url)).headers.get('vary'), 'Accept, Accept-Encoding');
  await s.close();
});

test('redirect sends 302 with Location and an HTML body for HTML clients', async (t) => {
  const s = await start((ctx) => {
    ctx.redirect('/new place?a=<b>');
  });
  const res = await fetch(s.url, { redirect: 'manual', headers: { Accept: 'text/html' } });
  t.is(res.status, 302);
  t.is(res.headers.get('location'), '/new%20place?a=%3Cb%3E');
  t.is(await res.text(), 'Redirecting to /new place?a=&#60;b&#62;.');
  await s.close();
});

test('redirect keeps a 3xx status set before it', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 301;
    ctx.redirect('https://example.com/x');
  });
  const res = await fetch(s.url, { redirect: 'manual', headers: { Accept: 'text/plain' } });
  t.is(res.status, 301);
  t.is(res.headers.get('location'), 'https://example.com/x');
  t.is(await res.text(), 'Redirecting to https://example.com/x.');
  await s.close();
});

test('back() follows a same-host Referer', async (t) => {
  const s = await start((ctx) => {
    ctx.back('/fallback');
  });
  const res = await fetch(s.url, { redirect: 'manual', headers: { Referer: `${s.url}/from?x=1` } });
  t.is(res.headers.get('location'), `${s.url}/from?x=1`);
  await s.close();
});

test('back() refuses a Referer from another site and uses the fallback', async (t) => {
  const s = await start((ctx) => {
    ctx.redirect('back', '/fallback');
  });
  const res = await fetch(s.url, { redirect: 'manual', headers: { Referer: 'https://evil.example/phish' } });
  t.is(res.headers.get('location'), '/fallback');
  await s.close();
});

test('attachment sets Content-Disposition and the type from the file name', async (t) => {
  const s = await start((ctx) => {
    ctx.attachment('€uro.pdf');
    ctx.body = Buffer.from('%PDF');
  });
  const res = await fetch(s.url);
  t.is(res.headers.get('content-type'), 'application/pdf');
  t.is(res.headers.get('content-disposition'), 'attachment; filename="?uro.pdf"; filename*=UTF-8\'\'%E2%82%ACuro.pdf');
  await s.close();
});

test('headerSent becomes true once ctx.res has written the head', async (t) => {
  const seen: boolean[] = [];
  const s = await start((ctx) => {
    seen.push(ctx.headerSent);
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
    seen.push(ctx.headerSent);
    ctx.res.end('done');
  });
  t.is(await (await fetch(s.url)).text(), 'done');
  t.deepEqual(seen, [false, true]);
  await s.close();
});

test('flushHeaders sends the head before the body is written', async (t) => {
  const s = await start(async (ctx) => {
    ctx.status = 200;
    ctx.set('X-Early', 'yes');
    ctx.flushHeaders();
    await new Promise((r) => setTimeout(r, 20));
    ctx.res.end('late body');
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /X-Early: yes\r\n/);
  t.true(text.endsWith('9\r\nlate body\r\n0\r\n\r\n'));
  await s.close();
});

test('app.context extensions appear on every ctx of that app only', async (t) => {
  const s = await start((ctx) => {
    ctx.body = String((ctx as unknown as { greet(): string }).greet());
  });
  (s.app.context as unknown as { greet(): string }).greet = function greet() {
    return 'hi from context';
  };
  const other = await start((ctx) => {
    ctx.body = String('greet' in ctx);
  });
  t.is(await (await fetch(s.url)).text(), 'hi from context');
  t.is(await (await fetch(other.url)).text(), 'false');
  await s.close();
  await other.close();
});

test('state is shared along the chain and fresh per request', async (t) => {
  let n = 0;
  const s = await start([
    async (ctx, next) => {
      ctx.state.n = ++n;
      await next();
    },
    (ctx) => {
      ctx.body = `${ctx.state.n}:${Object.keys(ctx.state).length}`;
    },
  ]);
  t.is(await (await fetch(s.url)).text(), '1:1');
  t.is(await (await fetch(s.url)).text(), '2:1');
  await s.close();
});

test('throw() sends the status, exposes 4xx messages and applies error headers', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(401, 'log in first', { headers: { 'WWW-Authenticate': 'Basic realm="x"' } });
  });
  const res = await fetch(s.url);
  t.is(res.status, 401);
  t.is(res.headers.get('www-authenticate'), 'Basic realm="x"');
  t.is(await res.text(), 'log in first\n');
  await s.close();
});

test('throw() with a 5xx hides the message', async (t) => {
  const s = await start((ctx) => {
    ctx.throw(503, 'database password is hunter2');
  });
  const res = await fetch(s.url);
  t.is(res.status, 503);
  t.is(await res.text(), 'Service Unavailable\n');
  await s.close();
});

test('assert() throws only for a falsy value', async (t) => {
  const s = await start((ctx) => {
    ctx.assert(ctx.query.ok, 422, 'ok is required');
    ctx.body = 'fine';
  });
  const bad = await fetch(s.url);
  t.is(bad.status, 422);
  t.is(await bad.text(), 'ok is required\n');
  t.is(await (await fetch(`${s.url}/?ok=1`)).text(), 'fine');
  await s.close();
});

test('a Blob body is sent with its type and size', async (t) => {
  const s = await start((ctx) => {
    ctx.body = new Blob(['<svg/>'], { type: 'image/svg+xml' });
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /Content-Type: image\/svg\+xml\r\n/);
  t.regex(text, /Content-Length: 6\r\n/);
  t.true(text.endsWith('\r\n\r\n<svg/>'));
  await s.close();
});

test('a web ReadableStream body is streamed', async (t) => {
  const s = await start((ctx) => {
    ctx.body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('web '));
        controller.enqueue(new TextEncoder().encode('stream'));
        controller.close();
      },
    });
  });
  t.is(await (await fetch(s.url)).text(), 'web stream');
  await s.close();
});

test('a fetch Response body passes on its status, headers and body', async (t) => {
  const upstream = await start((ctx) => {
    ctx.status = 203;
    ctx.set('X-Upstream', 'yes');
    ctx.body = 'from upstream '.repeat(100);
  });
  const s = await start(async (ctx) => {
    ctx.body = await fetch(upstream.url, { headers: { 'Accept-Encoding': 'gzip' } });
  });
  const res = await fetch(s.url);
  t.is(res.status, 203);
  t.is(res.headers.get('x-upstream'), 'yes');
  t.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.is(await res.text(), 'from upstream '.repeat(100));
  await s.close();
  await upstream.close();
});

test('assert.equal, strictEqual and deepEqual throw with the given status', async (t) => {
  const s = await start((ctx) => {
    const which = ctx.query.check;
    if (which === 'equal') ctx.assert.equal(ctx.query.n, 1, 409, 'n must be 1');
    if (which === 'strict') ctx.assert.strictEqual(ctx.query.n, 1, 409, 'n must be the number 1');
    if (which === 'deep') ctx.assert.deepEqual(ctx.query.list, ['a', 'b'], 422, 'list must be a,b');
    ctx.body = 'passed';
  });
  t.is(await (await fetch(`${s.url}/?check=equal&n=1`)).text(), 'passed');
  const strict = await fetch(`${s.url}/?check=strict&n=1`);
  t.is(strict.status, 409);
  t.is(await strict.text(), 'n must be the number 1\n');
  t.is(await (await fetch(`${s.url}/?check=deep&list=a&list=b`)).text(), 'passed');
  t.is((await fetch(`${s.url}/?check=deep&list=a`)).status, 422);
  await s.close();
});

test('205 Reset Content is sent with Content-Length 0 and no body', async (t) => {
  const s = await start((ctx) => {
    ctx.body = 'dropped';
    ctx.status = 205;
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 205 Reset Content\r\n/);
  t.true(text.endsWith('\r\n\r\n'));
  t.notRegex(text, /dropped/);
  await s.close();
});

test('a stream body replaced by a string is destroyed', async (t) => {
  let destroyed = false;
  const s = await start((ctx) => {
    const stream = new Readable({ read() {} });
    stream.on('close', () => (destroyed = true));
    ctx.body = stream;
    ctx.body = 'replacement';
  });
  t.is(await (await fetch(s.url)).text(), 'replacement');
  t.true(destroyed);
  await s.close();
});

test('a JSON response whose body is set to null sends the JSON literal null', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = null;
  });
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.is(await res.text(), 'null');
  await s.close();
});

test('app.request and app.response extensions appear on ctx.request and ctx.response of that app only', async (t) => {
  const s = await start((ctx) => {
    const request = ctx.request as unknown as { shout(): string };
    const response = ctx.response as unknown as { stamp(): void };
    response.stamp();
    ctx.body = request.shout();
  });
  Object.assign(s.app.request, {
    shout(this: { path: string }) {
      return this.path.toUpperCase();
    },
  });
  Object.assign(s.app.response, {
    stamp(this: { set(name: string, value: string): void }) {
      this.set('X-Stamp', 'stamped');
    },
  });
  const other = await start((ctx) => {
    ctx.body = String('shout' in ctx.request);
  });
  const res = await fetch(`${s.url}/quiet`);
  t.is(res.headers.get('x-stamp'), 'stamped');
  t.is(await res.text(), '/QUIET');
  t.is(await (await fetch(other.url)).text(), 'false');
  await s.close();
  await other.close();
});

test('flushHeaders then a stream body: server-sent events arrive as they are written', async (t) => {
  let firstSeen!: () => void;
  const clientHasFirst = new Promise<void>((resolve) => (firstSeen = resolve));
  const s = await start(async (ctx) => {
    ctx.type = 'text/event-stream';
    const events = new PassThrough();
    ctx.body = events;
    ctx.flushHeaders();
    events.write('data: one\n\n');
    // The second event is written only once the client has read the first: it cannot be buffered.
    void clientHasFirst.then(() => events.end('data: two\n\n'));
  });
  const res = await fetch(s.url);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  while (!received.includes('data: one\n\n')) received += decoder.decode((await reader.read()).value);
  t.is(received, 'data: one\n\n');
  firstSeen();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += decoder.decode(chunk.value);
  t.is(received, 'data: one\n\ndata: two\n\n');
  await s.close();
});

test('flushHeaders then a string body sends the body after the early head', async (t) => {
  const s = await start(async (ctx) => {
    ctx.status = 201;
    ctx.flushHeaders();
    ctx.body = 'after the head';
  });
  const { text } = await raw(s.port, GET());
  t.regex(text, /^HTTP\/1\.1 201 /);
  t.true(text.endsWith('\r\n\r\ne\r\nafter the head\r\n0\r\n\r\n'));
  await s.close();
});
