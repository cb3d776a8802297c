// @sluice/asgi-bridge over HTTP/2: the scope says http_version "2", the scheme follows the
// connection, pseudo-headers are not headers (the authority arrives as `host`, as the ASGI spec
// asks), the body streams through receive(), and a connection-specific field the app sets is dropped.
import test from 'ava';
import { asgi } from '@sluice/asgi-bridge';
import { connect, request, startH2 } from '../../packages/core/test/http2-helpers.js';
import { APPS_DIR, PYTHON } from './helpers.js';

test('ASGI scope and body over h2c and h2', async (t) => {
  const bridge = asgi({ app: 'h2scope:app', python: PYTHON, cwd: APPS_DIR, workers: 1, env: { PYTHONDONTWRITEBYTECODE: '1' } });
  await bridge.ready();
  const server = await startH2(bridge);
  t.teardown(async () => {
    await server.close();
    await bridge.close(1000);
  });
  for (const [url, scheme] of [[server.h2cUrl, 'http'], [server.h2Url, 'https']] as const) {
    const session = await connect(url);
    const got = await request(session, { ':method': 'PUT', ':path': '/p/q?x=1', 'content-length': '4', 'x-test': 'yes' }, 'data');
    t.is(got.status, 200);
    t.is(got.headers.connection, undefined);
    const scope = JSON.parse(got.text) as { headers: Array<[string, string]> } & Record<string, unknown>;
    t.like(scope, { http_version: '2', method: 'PUT', scheme, path: '/p/q', query_string: 'x=1', body: 'data' });
    t.false(scope.headers.some(([name]) => name.startsWith(':')), JSON.stringify(scope.headers));
    t.deepEqual(scope.headers.filter(([name]) => name === 'host'), [['host', new URL(url).host]]);
    t.deepEqual(scope.headers.filter(([name]) => name === 'x-test'), [['x-test', 'yes']]);
    session.close();
  }
});
