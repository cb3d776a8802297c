// An HTTP/2 stream seen by the framework exactly as an HTTP/1 request is: method, target,
// :authority as the host, headers, the request body and its limits, every ctx.body type,
// HEAD/204/304, custom methods, refused raw responses, dropped connection-specific fields,
// malformed requests as stream errors, and the access log's protocol.
import { createReadStream } from 'node:fs';
import http2 from 'node:http2';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { accessLog } from '@sluice/core';
import { connect, fetchH2, FRAME, headersFrame, RawH2, request, startH2 } from './http2-helpers.js';

test('method, path, query, :authority as ctx.host, scheme and headers reach ctx', async (t) => {
  const server = await startH2((ctx) => {
    ctx.body = {
      method: ctx.method,
      url: ctx.url,
      path: ctx.path,
      query: ctx.query,
      host: ctx.host,
      protocol: ctx.protocol,
      secure: ctx.secure,
      agent: ctx.get('x-agent'),
      cookie: ctx.get('cookie'),
      version: ctx.req.httpVersion,
      major: ctx.req.httpVersionMajor,
    };
  });
  for (const [url, protocol] of [[server.h2cUrl, 'http'], [server.h2Url, 'https']] as const) {
    const session = await connect(url);
    const res = await request(session, { ':path': '/a/b?x=1', 'x-agent': 'test', cookie: ['a=1', 'b=2'] });
    const authority = new URL(url).host;
    t.deepEqual(JSON.parse(res.text), {
      method: 'GET', url: '/a/b?x=1', path: '/a/b', query: { x: '1' }, host: authority, protocol,
      secure: protocol === 'https', agent: 'test', cookie: 'a=1; b=2', version: '2.0', major: 2,
    });
    session.close();
  }
  await server.close();
});

test('request bodies: text(), json() and a streamed echo', async (t) => {
  const server = await startH2(async (ctx) => {
    if (ctx.path === '/json') ctx.body = { got: await ctx.request.json() };
    else if (ctx.path === '/text') ctx.body = (await ctx.request.text()).toUpperCase();
    else ctx.body = ctx.req;
  });
  const session = await connect(server.h2cUrl);
  t.is((await request(session, { ':method': 'POST', ':path': '/json', 'content-type': 'application/json' }, '{"a":1}')).text, '{"got":{"a":1}}');
  t.is((await request(session, { ':method': 'POST', ':path': '/text' }, 'hello')).text, 'HELLO');
  const big = Buffer.alloc(3 * 1024 * 1024, 'z');
  const echoed = await request(session, { ':method': 'PUT', ':path': '/echo' }, big);
  t.is(echoed.status, 200);
  t.true(echoed.body.equals(big));
  session.close();
  await server.close();
});

test('a body over maxBodyBytes gets 413: by content-length at once, or as DATA adds up; the session stays', async (t) => {
  const server = await startH2(async (ctx) => {
    ctx.body = `read ${(await ctx.request.buffer()).length}`;
  }, { limits: { maxBodyBytes: 1000 }, bodyLimit: 10_000 });
  const session = await connect(server.h2cUrl);
  const declared = await request(session, { ':method': 'POST', ':path': '/', 'content-length': '5000' }, Buffer.alloc(5000));
  t.is(declared.status, 413);
  // No content-length: counted as it arrives.
  const stream = session.request({ ':method': 'POST', ':path': '/' });
  const status = new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))));
  stream.on('error', () => {});
  stream.write(Buffer.alloc(800));
  stream.end(Buffer.alloc(800));
  t.is(await status, 413);
  // A large upload refused by its content-length is told to stop (RST_STREAM NO_ERROR after the
  // 413), not left blocked on a flow-control window.
  const upload = session.request({ ':method': 'POST', ':path': '/', 'content-length': String(8 * 1024 * 1024) });
  upload.on('error', () => {});
  const uploadStatus = new Promise<number>((resolve) => upload.on('response', (h) => resolve(Number(h[':status']))));
  upload.resume();
  upload.write(Buffer.alloc(8 * 1024 * 1024));
  t.is(await uploadStatus, 413);
  await new Promise((resolve) => upload.on('close', resolve));
  t.is(upload.rstCode, http2.constants.NGHTTP2_NO_ERROR);
  t.is((await request(session, { ':method': 'POST', ':path': '/' }, 'small')).text, 'read 5');
  session.close();
  await server.close();
});

test('every ctx.body type: string, Buffer, JSON, a stream with an unknown length, a file stream, null', async (t) => {
  const file = fileURLToPath(import.meta.url);
  const server = await startH2((ctx) => {
    switch (ctx.path) {
      case '/string': ctx.body = 'héllo'; break;
      case '/buffer': ctx.body = Buffer.from([1, 2, 3]); break;
      case '/json': ctx.body = { a: [1] }; break;
      case '/stream': ctx.body = Readable.from(['a', 'b', 'c']); break;
      case '/file': ctx.body = createReadStream(file); break;
      default: ctx.body = null;
    }
  });
  const session = await connect(server.h2cUrl);
  const string = await request(session, { ':path': '/string' });
  t.is(string.text, 'héllo');
  t.is(string.headers['content-length'], String(Buffer.byteLength('héllo')));
  t.is(string.headers['content-type'], 'text/plain; charset=utf-8');
  t.deepEqual([...(await request(session, { ':path': '/buffer' })).body], [1, 2, 3]);
  t.is((await request(session, { ':path': '/json' })).text, '{"a":[1]}');
  const stream = await request(session, { ':path': '/stream' });
  t.is(stream.text, 'abc');
  t.is(stream.headers['content-length'], undefined);
  const { readFileSync } = await import('node:fs');
  t.true((await request(session, { ':path': '/file' })).body.equals(readFileSync(file)));
  const empty = await request(session, { ':path': '/null' });
  t.is(empty.status, 204);
  t.is(empty.body.length, 0);
  session.close();
  await server.close();
});

test('HEAD gets GET\'s headers and no DATA; 204 and 304 carry no body or length', async (t) => {
  const server = await startH2((ctx) => {
    if (ctx.path === '/204') ctx.status = 204;
    else if (ctx.path === '/304') {
      ctx.status = 304;
      ctx.set('ETag', '"x"');
    } else if (ctx.path === '/stream') ctx.body = Readable.from(['abc']);
    else ctx.body = 'twelve bytes';
  });
  const session = await connect(server.h2cUrl);
  const head = await request(session, { ':method': 'HEAD', ':path': '/' });
  t.is(head.status, 200);
  t.is(head.headers['content-length'], '12');
  t.is(head.body.length, 0);
  const headStream = await request(session, { ':method': 'HEAD', ':path': '/stream' });
  t.is(headStream.status, 200);
  t.is(headStream.body.length, 0);
  const noContent = await request(session, { ':path': '/204' });
  t.is(noContent.status, 204);
  t.is(noContent.headers['content-length'], undefined);
  const notModified = await request(session, { ':path': '/304' });
  t.is(notModified.status, 304);
  t.is(notModified.headers.etag, '"x"');
  t.is(notModified.body.length, 0);
  session.close();
  await server.close();
});

test('custom methods as on HTTP/1.1: app.method(PURGE) answers, unknown 501, undeclared 405 with Allow, OPTIONS', async (t) => {
  const server = await startH2((ctx) => {
    if (ctx.path !== '/page') return;
    ctx.allow('GET', 'PURGE');
    if (ctx.method === 'GET') ctx.body = 'page';
  }, {}, (app) => {
    app.method('PURGE', (ctx) => {
      ctx.body = `purged ${ctx.path}`;
    });
  });
  const session = await connect(server.h2cUrl);
  t.is((await request(session, { ':method': 'PURGE', ':path': '/page' })).text, 'purged /page');
  t.is((await request(session, { ':method': 'BREW', ':path': '/page' })).status, 501);
  const notAllowed = await request(session, { ':method': 'DELETE', ':path': '/page' });
  t.is(notAllowed.status, 405);
  t.is(notAllowed.headers.allow, 'GET, PURGE, HEAD, OPTIONS');
  const options = await request(session, { ':method': 'OPTIONS', ':path': '/page' });
  t.is(options.status, 204);
  t.is(options.headers.allow, 'GET, PURGE, HEAD, OPTIONS');
  session.close();
  await server.close();
});

test('ctx.respondRaw is refused over HTTP/2 with SLUICE_ERR_RAW_RESPONSE_HTTP2 (501)', async (t) => {
  const errors: Array<{ code?: string }> = [];
  const server = await startH2((ctx) => {
    ctx.respondRaw(Readable.from(['HTTP/1.1 200 OK\r\n\r\nraw']));
  });
  server.app.on('error', (error: { code?: string }) => errors.push(error));
  const res = await fetchH2(server.h2cUrl, { ':path': '/' });
  t.is(res.status, 501);
  t.deepEqual(errors.map((e) => e.code), ['SLUICE_ERR_RAW_RESPONSE_HTTP2']);
  await server.close();
});

test('connection-specific fields an app sets are dropped from HTTP/2 responses, other fields kept', async (t) => {
  const server = await startH2((ctx) => {
    ctx.set('Connection', 'keep-alive');
    ctx.set('Keep-Alive', 'timeout=5');
    ctx.set('Upgrade', 'websocket');
    ctx.set('Proxy-Connection', 'close');
    ctx.set('Transfer-Encoding', 'chunked');
    ctx.set('X-Kept', 'yes');
    ctx.body = 'fine';
  });
  const res = await fetchH2(server.h2cUrl, { ':path': '/' });
  t.is(res.status, 200);
  t.is(res.text, 'fine');
  t.is(res.headers['x-kept'], 'yes');
  for (const name of ['connection', 'keep-alive', 'upgrade', 'proxy-connection', 'transfer-encoding']) t.is(res.headers[name], undefined, name);
  await server.close();
});

test('malformed requests are stream errors (uppercase name, connection-specific field, bad pseudo-headers); the connection goes on', async (t) => {
  let served = 0;
  const server = await startH2((ctx) => {
    served++;
    ctx.body = 'ok';
  });
  const good = (path: string): Array<[string, string]> => [[':method', 'GET'], [':scheme', 'http'], [':authority', 'x'], [':path', path]];
  const cases: Array<Array<[string, string]>> = [
    [...good('/1'), ['X-Upper', 'v']],
    [...good('/2'), ['connection', 'keep-alive']],
    [[':method', 'GET'], [':scheme', 'http'], [':authority', 'x']],
    [...good('/4'), [':bogus', 'x']],
    [[':method', 'GET'], ['x-a', 'b'], [':path', '/5'], [':scheme', 'http']],
  ];
  const h2 = await RawH2.open(server.plainPort);
  let id = 1;
  for (const fields of cases) {
    h2.socket.write(headersFrame(id, fields));
    const reset = await h2.waitFor((f) => f.streamId === id && (f.type === FRAME.RST_STREAM || f.type === FRAME.HEADERS || f.type === FRAME.GOAWAY));
    t.is(reset?.type, FRAME.RST_STREAM, `case ${id}`);
    t.is(reset?.payload.readUInt32BE(0), 1, `PROTOCOL_ERROR for case ${id}`);
    id += 2;
  }
  h2.socket.write(headersFrame(id, good('/fine')));
  const answered = await h2.waitFor((f) => f.streamId === id && f.type === FRAME.HEADERS);
  t.truthy(answered);
  t.false(h2.closed);
  t.is(served, 1);
  h2.close();
  await server.close();
});

test('the access log shows HTTP/2.0 in the request line', async (t) => {
  const lines: string[] = [];
  const server = await startH2([accessLog({ stream: new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }) }), (ctx) => {
    ctx.body = 'x';
  }]);
  await fetchH2(server.h2cUrl, { ':path': '/logged?q=1' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(lines.length, 1);
  t.regex(lines[0], /"GET \/logged\?q=1 HTTP\/2\.0" 200 1 /);
  await server.close();
});

test('TRACE when enabled echoes the request line as HTTP/2.0', async (t) => {
  const server = await startH2(() => {}, { trace: true });
  const res = await fetchH2(server.h2cUrl, { ':method': 'TRACE', ':path': '/t', 'x-a': 'b' });
  t.is(res.status, 200);
  t.regex(res.text, /^TRACE \/t HTTP\/2\.0\r\n/);
  t.regex(res.text, /x-a: b\r\n/);
  await server.close();
});
