import { symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { raw, startCgi, tempDir, writeScript } from './helpers.js';

const SHOW = `#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'SCRIPT_NAME=%s\\nPATH_INFO=%s\\nPATH_TRANSLATED=%s\\nQUERY_STRING=%s\\nPWD=%s\\n' "$SCRIPT_NAME" "$PATH_INFO" "$PATH_TRANSLATED" "$QUERY_STRING" "$(pwd)"
`;

function setup(t: { teardown(fn: () => void): void }) {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  const bin = join(tmp.dir, 'cgi-bin');
  writeScript(join(bin, 'show.cgi'), SHOW);
  writeScript(join(bin, 'sub', 'deep.cgi'), SHOW);
  writeScript(join(bin, 'plain.txt'), 'not a program\n', 0o644);
  writeScript(join(tmp.dir, 'secret.cgi'), SHOW);
  return { ...tmp, bin };
}

test('the first executable file on the path is the script; the rest is PATH_INFO', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/show.cgi/a/b%20c?x=1&y=%20`);
  t.is(res.status, 200);
  const text = await res.text();
  t.regex(text, /^SCRIPT_NAME=\/cgi-bin\/show\.cgi$/m);
  t.regex(text, /^PATH_INFO=\/a\/b c$/m);
  t.regex(text, new RegExp(`^PATH_TRANSLATED=${bin.replaceAll('/', '\\/')}\\/a\\/b c$`, 'm'));
  t.regex(text, /^QUERY_STRING=x=1&y=%20$/m);
  t.regex(text, new RegExp(`^PWD=${bin}$`, 'm'));
});

test('scripts in subdirectories run with their own directory as working directory', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  const text = await (await fetch(`${s.url}/cgi-bin/sub/deep.cgi/x`)).text();
  t.regex(text, /^SCRIPT_NAME=\/cgi-bin\/sub\/deep\.cgi$/m);
  t.regex(text, new RegExp(`^PWD=${bin}/sub$`, 'm'));
  t.regex(text, /^PATH_INFO=\/x$/m);
});

test('a missing script in a mount is 404, a non-executable one 403, a directory 403', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  t.is((await fetch(`${s.url}/cgi-bin/missing.cgi`)).status, 404);
  t.is((await fetch(`${s.url}/cgi-bin/missing/deeper.cgi`)).status, 404);
  t.is((await fetch(`${s.url}/cgi-bin/plain.txt`)).status, 403);
  t.is((await fetch(`${s.url}/cgi-bin/sub`)).status, 403);
  t.is((await fetch(`${s.url}/cgi-bin/sub/`)).status, 403);
  t.is((await fetch(`${s.url}/cgi-bin`)).status, 403);
});

test('encoded separators, NUL and bad encoding under a mount are 400 and run nothing', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  for (const path of ['/cgi-bin/%2E%2E%2Fsecret.cgi', '/cgi-bin/sub/..%2f..%2fsecret.cgi', '/cgi-bin/show.cgi%00', '/cgi-bin/%zz']) {
    const res = await raw(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.regex(res.text, /^HTTP\/1\.1 400 /, path);
    t.notRegex(res.text, /SCRIPT_NAME/, path);
  }
});

test('a symlink leading out of the mounted directory is refused', async (t) => {
  const { dir, bin } = setup(t);
  symlinkSync(join(dir, 'secret.cgi'), join(bin, 'link.cgi'));
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/link.cgi`);
  t.is(res.status, 403);
  t.notRegex(await res.text(), /SCRIPT_NAME/);
});

test('an encoded mount prefix still reaches the mount (never falls through to other middleware)', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } }, { after: [(ctx) => { ctx.body = 'fell through'; }] });
  t.teardown(s.close);
  const text = await (await fetch(`${s.url}/cgi%2Dbin/show.cgi`)).text();
  t.regex(text, /^SCRIPT_NAME=\/cgi-bin\/show\.cgi$/m);
});

test('under the document root only mapped extensions run; other paths go to the next middleware', async (t) => {
  const { dir } = setup(t);
  const root = join(dir, 'public');
  mkdirSync(join(root, 'app'), { recursive: true });
  writeFileSync(join(root, 'app', 'index.sh'), SHOW.replace('#!/bin/sh\n', ''));
  writeFileSync(join(root, 'app', 'style.css'), 'body{}');
  const s = await startCgi({ root, interpreters: { '.sh': '/bin/sh' } }, { after: [(ctx) => { ctx.body = `next: ${ctx.path}`; }] });
  t.teardown(s.close);
  const text = await (await fetch(`${s.url}/app/index.sh/extra/path?q=1`)).text();
  t.regex(text, /^SCRIPT_NAME=\/app\/index\.sh$/m);
  t.regex(text, /^PATH_INFO=\/extra\/path$/m);
  t.is(await (await fetch(`${s.url}/app/style.css`)).text(), 'next: /app/style.css');
  t.is(await (await fetch(`${s.url}/app/missing.sh`)).text(), 'next: /app/missing.sh');
  t.is(await (await fetch(`${s.url}/app/`)).text(), 'next: /app/');
});

test('extension interpreters also apply inside a mount, without the execute bit', async (t) => {
  const { bin } = setup(t);
  writeScript(join(bin, 'page.sh'), SHOW.replace('#!/bin/sh\n', ''), 0o644);
  const s = await startCgi({ mounts: { '/cgi-bin': bin }, interpreters: { '.sh': '/bin/sh' } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/page.sh`);
  t.is(res.status, 200);
  t.regex(await res.text(), /^SCRIPT_NAME=\/cgi-bin\/page\.sh$/m);
});

test('the longest matching mount wins', async (t) => {
  const { dir, bin } = setup(t);
  const admin = join(dir, 'admin-bin');
  writeScript(join(admin, 'show.cgi'), SHOW.replace('SCRIPT_NAME=', 'ADMIN SCRIPT_NAME='));
  const s = await startCgi({ mounts: { '/cgi-bin': bin, '/cgi-bin/admin': admin } });
  t.teardown(s.close);
  t.regex(await (await fetch(`${s.url}/cgi-bin/admin/show.cgi`)).text(), /^ADMIN SCRIPT_NAME=\/cgi-bin\/admin\/show\.cgi$/m);
  t.regex(await (await fetch(`${s.url}/cgi-bin/show.cgi`)).text(), /^SCRIPT_NAME=\/cgi-bin\/show\.cgi$/m);
});
