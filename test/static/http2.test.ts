// @sluice/static over HTTP/2 (h2c and h2): whole files, byte ranges, conditional requests and HEAD
// answer as over HTTP/1.1, the file streamed through HTTP/2 flow control.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { serveStatic } from '@sluice/static';
import { connect, request, startH2 } from '../../packages/core/test/http2-helpers.js';

test('files, ranges, conditional GET and HEAD over h2c and h2', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'sluice-static-h2-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const content = randomBytes(300 * 1024);
  writeFileSync(path.join(root, 'data.bin'), content);
  writeFileSync(path.join(root, 'index.html'), '<h1>home</h1>\n');
  const server = await startH2(serveStatic({ root }));
  for (const url of [server.h2cUrl, server.h2Url]) {
    const session = await connect(url);
    const whole = await request(session, { ':path': '/data.bin' });
    t.is(whole.status, 200);
    t.true(whole.body.equals(content));
    t.is(whole.headers['content-length'], String(content.length));
    t.is(whole.headers['accept-ranges'], 'bytes');
    const etag = whole.headers.etag as string;
    const lastModified = whole.headers['last-modified'] as string;
    t.truthy(etag);

    const range = await request(session, { ':path': '/data.bin', range: 'bytes=1000-1999' });
    t.is(range.status, 206);
    t.is(range.headers['content-range'], `bytes 1000-1999/${content.length}`);
    t.true(range.body.equals(content.subarray(1000, 2000)));

    const suffix = await request(session, { ':path': '/data.bin', range: 'bytes=-10' });
    t.is(suffix.status, 206);
    t.true(suffix.body.equals(content.subarray(content.length - 10)));

    const unsatisfiable = await request(session, { ':path': '/data.bin', range: `bytes=${content.length + 5}-` });
    t.is(unsatisfiable.status, 416);
    t.is(unsatisfiable.headers['content-range'], `bytes */${content.length}`);

    const notModified = await request(session, { ':path': '/data.bin', 'if-none-match': etag });
    t.is(notModified.status, 304);
    t.is(notModified.body.length, 0);
    t.is((await request(session, { ':path': '/data.bin', 'if-modified-since': lastModified })).status, 304);

    const stale = await request(session, { ':path': '/data.bin', range: 'bytes=0-9', 'if-range': '"other"' });
    t.is(stale.status, 200);
    t.is(stale.body.length, content.length);

    const head = await request(session, { ':method': 'HEAD', ':path': '/data.bin' });
    t.is(head.status, 200);
    t.is(head.headers['content-length'], String(content.length));
    t.is(head.body.length, 0);

    const index = await request(session, { ':path': '/' });
    t.is(index.text, '<h1>home</h1>\n');
    t.is((await request(session, { ':path': '/missing' })).status, 404);
    session.close();
  }
  await server.close();
});
