// @sluice/wsgi-bridge over HTTP/2: the environ says SERVER_PROTOCOL=HTTP/2, HTTP_HOST is the
// authority, wsgi.url_scheme follows the connection, and wsgi.input carries the request body.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { wsgi } from '@sluice/wsgi-bridge';
import { connect, request, startH2 } from '../../packages/core/test/http2-helpers.js';
import { PYTHON } from './helpers.js';

const APP = `import json
def application(environ, start_response):
    body = environ['wsgi.input'].read()
    keys = ['SERVER_PROTOCOL', 'REQUEST_METHOD', 'HTTP_HOST', 'PATH_INFO', 'QUERY_STRING', 'wsgi.url_scheme', 'CONTENT_LENGTH']
    out = json.dumps(dict({k: environ.get(k) for k in keys}, body=body.decode())).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Connection', 'close')])
    return [out]
`;

test('WSGI environ and body over h2c and h2', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-wsgi-h2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'h2app.py'), APP);
  const bridge = wsgi({ app: 'h2app:application', python: PYTHON, cwd: dir, workers: 1, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  await bridge.ready();
  const server = await startH2(bridge);
  for (const [url, scheme] of [[server.h2cUrl, 'http'], [server.h2Url, 'https']] as const) {
    const session = await connect(url);
    const got = await request(session, { ':method': 'PUT', ':path': '/p/q?x=1', 'content-length': '4' }, 'data');
    t.is(got.status, 200);
    t.is(got.headers.connection, undefined);
    t.deepEqual(JSON.parse(got.text), {
      SERVER_PROTOCOL: 'HTTP/2', REQUEST_METHOD: 'PUT', HTTP_HOST: new URL(url).host, PATH_INFO: '/p/q', QUERY_STRING: 'x=1',
      'wsgi.url_scheme': scheme, CONTENT_LENGTH: '4', body: 'data',
    });
    session.close();
  }
  await server.close();
  await bridge.close();
});
