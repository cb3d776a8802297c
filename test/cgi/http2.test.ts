// @sluice/cgi over HTTP/2: a CGI program sees SERVER_PROTOCOL=HTTP/2, the authority as HTTP_HOST
// and SERVER_NAME, and the request body on stdin; its response head is mapped onto HEADERS; a
// non-parsed-header program (nph-) cannot answer over HTTP/2 and gets 501.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { cgi } from '@sluice/cgi';
import { connect, request, startH2 } from '../../packages/core/test/http2-helpers.js';

test('CGI environment and body over h2c and h2; nph- refused with 501', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-cgi-h2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string): void => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}`);
    chmodSync(path.join(dir, name), 0o755);
  };
  script('env.sh', 'printf "Content-Type: text/plain\\r\\nX-From: cgi\\r\\nConnection: close\\r\\n\\r\\n"\n' +
    'echo "protocol=$SERVER_PROTOCOL method=$REQUEST_METHOD host=$HTTP_HOST name=$SERVER_NAME https=${HTTPS:-off} length=${CONTENT_LENGTH:-none}"\ncat\n');
  script('nph-raw.sh', 'printf "HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nraw\\n"\n');
  const middleware = cgi({ mounts: { '/cgi-bin': dir } });
  const server = await startH2(middleware, { logger: { info() {}, warn() {}, error() {} } });
  for (const [url, https] of [[server.h2cUrl, 'off'], [server.h2Url, 'on']] as const) {
    const session = await connect(url);
    const host = new URL(url).host;
    const got = await request(session, { ':method': 'POST', ':path': '/cgi-bin/env.sh', 'content-length': '5' }, 'hello');
    t.is(got.status, 200);
    t.is(got.headers['x-from'], 'cgi');
    t.is(got.headers.connection, undefined);
    t.is(got.text, `protocol=HTTP/2 method=POST host=${host} name=${new URL(url).hostname} https=${https} length=5\nhello`);
    t.is((await request(session, { ':path': '/cgi-bin/nph-raw.sh' })).status, 501);
    session.close();
  }
  await server.close();
  await middleware.close();
});
