/**
 * Which path reaches which program: dot segments removed before the lookup (RFC 3986
 * §5.2.4), with or without the application's normalisation, never out of the mount
 * or the document root (checked exhaustively on the resolver, then through a raw
 * socket), and the dotfiles policy (`/cgi-bin/.git/hooks/post-update` never runs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { CgiError } from '../src/errors.js';
import { resolveOptions } from '../src/options.js';
import { ScriptResolver } from '../src/script-resolver.js';
import { raw, startCgi, tempDir, writeScript } from './helpers.js';

const SHOW = `#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'SCRIPT_NAME=%s\\nPATH_INFO=%s\\n' "$SCRIPT_NAME" "$PATH_INFO"
`;
const RAN = `#!/bin/sh
printf 'Content-Type: text/plain\\n\\nHOOK RAN\\n'
`;

function setup(t: { teardown(fn: () => void): void }) {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  const bin = join(tmp.dir, 'cgi-bin');
  writeScript(join(bin, 'show.cgi'), SHOW);
  writeScript(join(bin, 'sub', 'deep.cgi'), SHOW);
  writeScript(join(bin, '.git', 'hooks', 'post-update'), RAN);
  writeScript(join(bin, '.env.cgi'), RAN);
  writeScript(join(tmp.dir, 'secret.cgi'), RAN);
  const root = join(tmp.dir, 'public');
  mkdirSync(join(root, 'app'), { recursive: true });
  writeFileSync(join(root, 'app', 'page.sh'), SHOW.replace('#!/bin/sh\n', ''));
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, '.hidden', 'page.sh'), RAN.replace('#!/bin/sh\n', ''));
  writeFileSync(join(tmp.dir, 'outside.sh'), RAN.replace('#!/bin/sh\n', ''));
  return { ...tmp, bin, root };
}

// HTTP/1.0: the body comes unchunked, to the close.
const get = (port: number, path: string) => raw(port, `GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

test('every combination of dot, empty and name segments resolves inside the mount or the root, or to nothing', async (t) => {
  const { bin, root } = setup(t);
  const resolver = new ScriptResolver(resolveOptions({ mounts: { '/cgi-bin': bin }, root, interpreters: { '.sh': '/bin/sh' } }));
  const alphabet = ['', '.', '..', '%2e', '%2E%2e', 'cgi-bin', 'sub', 'app', 'show.cgi', 'deep.cgi', 'page.sh', 'secret.cgi', 'outside.sh', '.git'];
  let found = 0;
  let checked = 0;
  for (const a of alphabet) for (const b of alphabet) for (const c of alphabet) for (const d of alphabet) {
    const path = `/${a}/${b}/${c}/${d}`;
    checked++;
    let script;
    try {
      script = await resolver.resolve(path);
    } catch (error) {
      t.true(error instanceof CgiError, path);
      continue;
    }
    if (script === undefined) continue;
    found++;
    t.true(script.file.startsWith(bin + '/') || script.file.startsWith(root + '/'), `${path} → ${script.file}`);
    t.false(script.file.includes('/.'), `${path} → ${script.file} (a dot path)`);
    t.false(script.scriptName.split('/').some((s) => s === '.' || s === '..' || s.startsWith('.')), `${path} → SCRIPT_NAME ${script.scriptName}`);
  }
  t.is(checked, alphabet.length ** 4);
  t.true(found > 100, `some paths do reach scripts (${found})`);
});

for (const normalizePath of [true, false]) {
  const mode = normalizePath ? 'app normalises' : 'cgi alone (normalizePath: false)';

  test(`dot segments are removed before the script lookup; SCRIPT_NAME is the clean path (${mode})`, async (t) => {
    const { bin } = setup(t);
    const s = await startCgi({ mounts: { '/cgi-bin': bin } }, { app: { normalizePath } });
    t.teardown(s.close);
    for (const path of ['/cgi-bin/./show.cgi/x', '/cgi-bin/sub/../show.cgi/x', '/cgi-bin/sub/%2e%2E/show.cgi/x', '//cgi-bin//show.cgi/x', '/other/../cgi-bin/show.cgi/x']) {
      const res = await get(s.port, path);
      t.regex(res.text, /^HTTP\/1\.[01] 200 /, path);
      t.is(bodyOf(res.text), 'SCRIPT_NAME=/cgi-bin/show.cgi\nPATH_INFO=/x\n', path);
    }
  });

  test(`a path that climbs out of the mount never runs what lies beside it (${mode})`, async (t) => {
    const { bin } = setup(t);
    const s = await startCgi({ mounts: { '/cgi-bin': bin } }, { app: { normalizePath } });
    t.teardown(s.close);
    for (const path of ['/cgi-bin/../secret.cgi', '/cgi-bin/%2e%2e/secret.cgi', '/cgi-bin/sub/../../secret.cgi', '/cgi-bin/../../secret.cgi', '/cgi-bin/../../../../tmp/secret.cgi']) {
      const res = await get(s.port, path);
      t.regex(res.text, /^HTTP\/1\.[01] (400|404) /, path);
      t.false(res.text.includes('HOOK RAN'), path);
    }
  });
}

test('a dot path in a mount is not run by default: /cgi-bin/.git/hooks/post-update is 404', async (t) => {
  const { bin } = setup(t);
  const s = await startCgi({ mounts: { '/cgi-bin': bin } });
  t.teardown(s.close);
  for (const path of ['/cgi-bin/.git/hooks/post-update', '/cgi-bin/.env.cgi', '/cgi-bin/%2egit/hooks/post-update', '/cgi-bin/sub/../.git/hooks/post-update']) {
    const res = await get(s.port, path);
    t.regex(res.text, /^HTTP\/1\.[01] 404 /, path);
    t.false(res.text.includes('HOOK RAN'), path);
  }
  t.regex((await get(s.port, '/cgi-bin/show.cgi/.x')).text, /PATH_INFO=\/\.x/, 'a dot segment in PATH_INFO is the program\'s business');
});

test('dotfiles: "deny" answers 403 and "allow" runs the program', async (t) => {
  const { bin } = setup(t);
  const deny = await startCgi({ mounts: { '/cgi-bin': bin }, dotfiles: 'deny' });
  t.teardown(deny.close);
  const allow = await startCgi({ mounts: { '/cgi-bin': bin }, dotfiles: 'allow' });
  t.teardown(allow.close);
  const denied = await get(deny.port, '/cgi-bin/.git/hooks/post-update');
  t.regex(denied.text, /^HTTP\/1\.[01] 403 /);
  t.false(denied.text.includes('HOOK RAN'));
  t.regex((await get(allow.port, '/cgi-bin/.git/hooks/post-update')).text, /HOOK RAN/);
});

test('under the document root a dot path goes to the next middleware, never to the interpreter', async (t) => {
  const { root } = setup(t);
  const s = await startCgi({ root, interpreters: { '.sh': '/bin/sh' } }, { after: [(ctx) => { ctx.body = `next: ${ctx.path}`; }] });
  t.teardown(s.close);
  t.is(bodyOf((await get(s.port, '/.hidden/page.sh')).text), 'next: /.hidden/page.sh');
  t.regex((await get(s.port, '/app/./page.sh')).text, /SCRIPT_NAME=\/app\/page\.sh/);
});

test('a dotfiles value that is not a policy is refused naming the key', (t) => {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  t.throws(() => resolveOptions({ mounts: { '/x': tmp.dir }, dotfiles: 'hide' as 'ignore' }), { message: /dotfiles/ });
});
