// The reason phrase of a WSGI status ("299 Partly Fine") reaches the status line as given.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWsgi } from './helpers.js';

test("the application's reason phrase is sent on the status line", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-reason-'));
  writeFileSync(path.join(dir, 'reason.py'),
    "def application(environ, start_response):\n    start_response('299 Partly Fine', [('Content-Type', 'text/plain')])\n    return [b'ok']\n");
  const s = await startWsgi({ app: 'reason:application', cwd: dir });
  t.teardown(s.close);
  const res = await fetch(s.url);
  t.is(res.status, 299);
  t.is(res.statusText, 'Partly Fine');
  t.is(await res.text(), 'ok');
});
