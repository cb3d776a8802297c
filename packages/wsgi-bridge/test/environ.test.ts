/**
 * The REQUEST frame's environ: header names to CGI keys, PATH_INFO decoding, and the
 * frame encodeRequest builds for real requests written byte for byte on a raw socket.
 */
import test, { type ExecutionContext } from 'ava';
import { encodeRequest, environKey, pathInfo } from '../src/environ.js';
import { FLAG_HAS_BODY, HEADER_BYTES, ToWorker } from '../src/framing.js';
import { rawExchange, serve } from './helpers.js';

interface DecodedRequest {
  type: number;
  id: number;
  flags: number;
  pathInfo: string;
  /** The key/value pairs in frame order. */
  fields: Array<[string, string]>;
}

/** Reads a REQUEST frame by its documented layout. */
function decode(frame: Buffer): DecodedRequest {
  const length = frame.readUInt32BE(0);
  if (length !== frame.length - HEADER_BYTES) throw new Error(`length ${length} for ${frame.length - HEADER_BYTES} payload bytes`);
  const pathLength = frame.readUInt32BE(10);
  const parts = frame.toString('latin1', 14 + pathLength).split('\0');
  const fields: Array<[string, string]> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) fields.push([parts[i], parts[i + 1]]);
  return { type: frame[4], id: frame.readUInt32BE(5), flags: frame[9], pathInfo: frame.toString('latin1', 14, 14 + pathLength), fields };
}

/** Sends the raw `request` to an app mounted at /app that answers with the REQUEST frame encodeRequest built for it. */
async function frameFor(t: ExecutionContext, request: string): Promise<{ frame: Buffer; decoded: DecodedRequest; serverPort: number }> {
  let serverPort = 0;
  const port = await serve(t, async (ctx) => {
    serverPort = ctx.socket.localPort!;
    const rawPath = ctx.url.split('?')[0].slice('/app'.length);
    ctx.body = encodeRequest(ctx, 7, '/app', rawPath);
  });
  const reply = Buffer.from(await rawExchange(port, request), 'latin1');
  const frame = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
  return { frame, decoded: decode(frame), serverPort };
}

test('environKey maps Content-Type and Content-Length to CGI keys, other headers to HTTP_*', (t) => {
  t.is(environKey('content-type'), 'CONTENT_TYPE');
  t.is(environKey('content-length'), 'CONTENT_LENGTH');
  t.is(environKey('x-forwarded-for'), 'HTTP_X_FORWARDED_FOR');
  t.is(environKey('host'), 'HTTP_HOST');
});

test('environKey refuses Proxy (httpoxy) and names with an underscore (spoofing their dash twin)', (t) => {
  t.is(environKey('proxy'), null);
  t.is(environKey('x_forwarded_for'), null);
  t.is(environKey('_'), null);
});

test('environKey gives the same answer when asked again (cached)', (t) => {
  for (const name of ['x-cached', 'x-cached', 'proxy', 'proxy']) t.is(environKey(name), name === 'proxy' ? null : 'HTTP_X_CACHED');
});

test('pathInfo leaves a path without % as it is', (t) => {
  t.is(pathInfo('/a/b c/+'), '/a/b c/+');
});

test('pathInfo decodes %XX (either case) to the byte, carried as a latin-1 character', (t) => {
  t.is(pathInfo('/a%2Fb'), '/a/b');
  t.is(pathInfo('/%e2%82%AC'), '/\xe2\x82\xac');
  t.is(pathInfo('/nul%00end'), '/nul\0end');
  t.is(pathInfo('%41%42%43'), 'ABC');
});

test('pathInfo keeps a % not followed by two hex digits', (t) => {
  t.is(pathInfo('/100%'), '/100%');
  t.is(pathInfo('/%4'), '/%4');
  t.is(pathInfo('/%zz%41'), '/%zzA');
  t.is(pathInfo('/%%41'), '/%A');
});

test('encodeRequest: frame header, flags, PATH_INFO and the CGI variables of a GET', async (t) => {
  const { frame, decoded, serverPort } = await frameFor(t, 'GET /app/x%2Fy?q=1&r HTTP/1.1\r\nHost: example.test:8080\r\nConnection: close\r\n\r\n');
  t.is(decoded.type, ToWorker.Request);
  t.is(decoded.id, 7);
  t.is(frame.readUInt32BE(0), frame.length - HEADER_BYTES);
  t.is(decoded.flags, 0);
  t.is(decoded.pathInfo, '/x/y');
  const environ = new Map(decoded.fields);
  t.is(environ.get('REQUEST_METHOD'), 'GET');
  t.is(environ.get('SCRIPT_NAME'), '/app');
  t.is(environ.get('QUERY_STRING'), 'q=1&r');
  t.is(environ.get('REQUEST_URI'), '/app/x%2Fy?q=1&r');
  t.is(environ.get('SERVER_NAME'), 'example.test');
  t.is(environ.get('SERVER_PORT'), String(serverPort));
  t.is(environ.get('SERVER_PROTOCOL'), 'HTTP/1.1');
  t.is(environ.get('REMOTE_ADDR'), '127.0.0.1');
  t.regex(environ.get('REMOTE_PORT') ?? '', /^\d+$/);
  t.is(environ.get('wsgi.url_scheme'), 'http');
  t.is(environ.get('HTTP_HOST'), 'example.test:8080');
  t.is(environ.get('HTTP_CONNECTION'), 'close');
});

test('encodeRequest: a request with a body sets the body flag and passes CONTENT_TYPE and CONTENT_LENGTH', async (t) => {
  const { decoded } = await frameFor(t, 'POST /app/ HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
  t.is(decoded.flags & FLAG_HAS_BODY, FLAG_HAS_BODY);
  const environ = new Map(decoded.fields);
  t.is(environ.get('REQUEST_METHOD'), 'POST');
  t.is(environ.get('CONTENT_TYPE'), 'text/plain');
  t.is(environ.get('CONTENT_LENGTH'), '3');
  t.false(environ.has('HTTP_CONTENT_TYPE'));
  t.false(environ.has('HTTP_CONTENT_LENGTH'));
});

test('encodeRequest: HTTP/1.0 without Host uses the local address as SERVER_NAME', async (t) => {
  const { decoded } = await frameFor(t, 'GET /app HTTP/1.0\r\n\r\n');
  const environ = new Map(decoded.fields);
  t.is(environ.get('SERVER_PROTOCOL'), 'HTTP/1.0');
  t.is(environ.get('SERVER_NAME'), '127.0.0.1');
  t.is(decoded.pathInfo, '');
});

test('encodeRequest: Proxy and underscore headers are left out; repeated headers are joined with ", "', async (t) => {
  const { decoded } = await frameFor(t, 'GET /app/ HTTP/1.1\r\nHost: h\r\nProxy: http://evil/\r\nX_Real_IP: 6.6.6.6\r\nX-Real-IP: 1.2.3.4\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n');
  const keys = decoded.fields.map(([key]) => key);
  t.false(keys.includes('HTTP_PROXY'));
  t.deepEqual(keys.filter((key) => key === 'HTTP_X_REAL_IP'), ['HTTP_X_REAL_IP']);
  const environ = new Map(decoded.fields);
  t.is(environ.get('HTTP_X_REAL_IP'), '1.2.3.4');
  t.is(environ.get('HTTP_X_MULTI'), 'a, b');
});

test('encodeRequest: each name appears once; repeated Cookie lines are joined with "; "', async (t) => {
  const { decoded } = await frameFor(t, 'GET /app/ HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX-One: 1\r\nCookie: b=2\r\nConnection: close\r\n\r\n');
  const keys = decoded.fields.map(([key]) => key);
  t.deepEqual(keys.filter((key) => key === 'HTTP_COOKIE'), ['HTTP_COOKIE']);
  t.is(new Map(decoded.fields).get('HTTP_COOKIE'), 'a=1; b=2');
});

test('encodeRequest: headers that middleware changed in ctx.request.headers are the ones passed on', async (t) => {
  let decoded: DecodedRequest | undefined;
  const port = await serve(t, async (ctx) => {
    ctx.request.headers['x-remote-user'] = 'alice';
    delete ctx.request.headers['x-drop'];
    decoded = decode(encodeRequest(ctx, 1, '', ctx.path));
    ctx.body = 'ok';
  });
  await rawExchange(port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Drop: 1\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n');
  const environ = new Map(decoded!.fields);
  t.is(environ.get('HTTP_X_REMOTE_USER'), 'alice');
  t.false(environ.has('HTTP_X_DROP'));
  t.is(environ.get('HTTP_X_MULTI'), 'a, b');
  t.is(environ.get('HTTP_HOST'), 'h');
});

test('encodeRequest: header bytes above 0x7f reach the environ as the same latin-1 bytes', async (t) => {
  const request = Buffer.concat([
    Buffer.from('GET /app/caf%C3%A9 HTTP/1.1\r\nHost: h\r\nX-Name: caf', 'latin1'),
    Buffer.from([0xc3, 0xa9]),
    Buffer.from('\r\nConnection: close\r\n\r\n', 'latin1'),
  ]);
  let serverFrame: Buffer | undefined;
  const port = await serve(t, async (ctx) => {
    serverFrame = encodeRequest(ctx, 1, '/app', ctx.url.slice('/app'.length));
    ctx.body = 'ok';
  });
  await rawExchange(port, request);
  const frame = serverFrame!;
  t.true(frame.includes(Buffer.concat([Buffer.from('HTTP_X_NAME\0caf', 'latin1'), Buffer.from([0xc3, 0xa9])])));
  t.is(decode(frame).pathInfo, '/caf\xc3\xa9');
});
