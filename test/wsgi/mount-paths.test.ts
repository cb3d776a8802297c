/**
 * A WSGI mount cannot be passed by with another spelling of its path: `//app/...`,
 * `/x/../app/...`, `%2e` segments all reach the Python app, never a static file under
 * the same URL, whether the application normalises paths (the default) or the bridge
 * has to match the normal form alone (`normalizePath: false`). Real Python workers,
 * real static files, raw socket requests.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';
import { wsgi } from '@sluice/wsgi-bridge';
import { PYTHON, raw } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../server/fixtures/', import.meta.url));

for (const normalizePath of [true, false]) {
  test(`every spelling of a path under /app reaches the app, never the static file beside it (normalizePath: ${normalizePath})`, async (t) => {
    const root = mkdtempSync(path.join(tmpdir(), 'sluice-wsgi-mount-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'app'));
    writeFileSync(path.join(root, 'app', 'secret.txt'), 'STATIC-MARKER');
    const app = new Application({ normalizePath, logger: { info() {}, warn() {}, error() {} } });
    const bridge = wsgi({ app: 'pid_app:application', mount: '/app', pythonPath: [FIXTURES], python: PYTHON, workers: 1 });
    app.use(bridge);
    app.use(serveStatic({ root }));
    await bridge.ready();
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.teardown(async () => {
      await app.close(500);
      await bridge.close(0);
    });
    const port = (server.address() as AddressInfo).port;
    for (const target of ['/app/secret.txt', '//app/secret.txt', '/x/../app/secret.txt', '/app/./secret.txt', '/%2e/app//secret.txt']) {
      const reply = await raw(port, `GET ${target} HTTP/1.0\r\nHost: x\r\n\r\n`);
      t.regex(reply.text, /^HTTP\/1\.[01] 200 /, target);
      t.regex(reply.text, / script=\/app path=\/secret\.txt /, target);
      t.false(reply.text.includes('STATIC-MARKER'), target);
    }
  });
}
