/**
 * No program source through the real `sluice` command (issue 12 items 1-3 and 10, issue
 * 15's dot segments): every path spelling reaches the same handler, CGI directories and
 * scripts are run or refused but never sent, an index.php runs through php-cgi, and an
 * app's project directory is not a document root unless asked. Requests go over a raw
 * socket: fetch and node:http would clean the paths before sending them.
 */
import net from 'node:net';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { repoRoot, startSluice, tempSite, until } from './helpers.js';

const fixtures = path.join(repoRoot, 'test/server/fixtures');

interface RawReply {
  status: number;
  head: string;
  body: Buffer;
}

/** One HTTP/1.0 request for `target` exactly as written; the reply read to the close. */
async function get(port: number, target: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`GET ${target} HTTP/1.0\r\nHost: 127.0.0.1\r\n${extra}\r\n`);
  await once(socket, 'close');
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  const head = all.subarray(0, end).toString('latin1');
  return { status: Number(head.slice(9, 12)), head, body: all.subarray(end + 4) };
}

const ENV_SH = '#!/bin/sh\n# SOURCE-MARKER\nprintf "Content-Type: text/plain\\n\\nran %s\\n" "$SCRIPT_NAME"\n';

function cgiSite(t: Parameters<typeof tempSite>[0]): string {
  const dir = tempSite(t, {
    'site/cgi-bin/env.sh': ENV_SH,
    'site/cgi-bin/notes.txt': 'SOURCE-MARKER notes',
    'site/cgi-bin/.git/hooks/post-update': '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nHOOK RAN\\n"\n',
    'site/hello.txt': 'hello\n',
    'site/sub/page.txt': 'page\n',
  });
  chmodSync(path.join(dir, 'site/cgi-bin/env.sh'), 0o755);
  chmodSync(path.join(dir, 'site/cgi-bin/.git/hooks/post-update'), 0o755);
  return path.join(dir, 'site');
}

test.serial('//cgi-bin/env.sh and every other spelling runs the script; none returns its source', async (t) => {
  const root = cgiSite(t);
  const sluice = await startSluice(t, ['--port', '0', '--root', root, '--cgi', `/cgi-bin=${root}/cgi-bin`]);
  for (const target of ['/cgi-bin/env.sh', '//cgi-bin/env.sh', '/cgi-bin//env.sh', '/x/../cgi-bin/env.sh', '/cgi-bin/./env.sh', '/%63gi-bin/env.sh', '/./cgi-bin/%2e/env.sh']) {
    const reply = await get(sluice.port, target);
    t.is(reply.status, 200, target);
    t.is(reply.body.toString(), 'ran /cgi-bin/env.sh\n', target);
  }
  for (const target of ['/cgi-bin/notes.txt', '//cgi-bin/notes.txt', '/cgi-bin/.git/hooks/post-update', '//cgi-bin/.git/hooks/post-update']) {
    const reply = await get(sluice.port, target);
    t.true(reply.status === 403 || reply.status === 404, `${target} → ${reply.status}`);
    t.false(reply.body.toString().includes('SOURCE-MARKER'), target);
    t.false(reply.body.toString().includes('HOOK RAN'), target);
  }
});

test.serial('a CGI directory reached by another URL (an alias or a symlink) is never served as static files', async (t) => {
  const root = cgiSite(t);
  symlinkSync(path.join(root, 'cgi-bin'), path.join(root, 'alias'));
  const sluice = await startSluice(t, ['--port', '0', '--root', root, '--cgi', `/scripts=${root}/cgi-bin`]);
  t.is((await get(sluice.port, '/scripts/env.sh')).body.toString(), 'ran /scripts/env.sh\n');
  for (const target of ['/cgi-bin/env.sh', '/cgi-bin/notes.txt', '/alias/env.sh', '//alias//notes.txt']) {
    const reply = await get(sluice.port, target);
    t.is(reply.status, 404, target);
    t.false(reply.body.toString().includes('SOURCE-MARKER'), target);
  }
  t.is((await get(sluice.port, '/hello.txt')).body.toString(), 'hello\n');
});

test.serial('dot segments in static paths are removed, and climbing above the root is 400', async (t) => {
  const root = cgiSite(t);
  const sluice = await startSluice(t, ['--port', '0', '--root', root]);
  t.is((await get(sluice.port, '/sub/./page.txt')).body.toString(), 'page\n');
  t.is((await get(sluice.port, '/sub/../hello.txt')).body.toString(), 'hello\n');
  t.is((await get(sluice.port, '/sub/%2e%2e/hello.txt')).body.toString(), 'hello\n');
  for (const target of ['/../hello.txt', '/sub/../../site/hello.txt', '/%2e%2e/%2e%2e/etc/passwd']) {
    const reply = await get(sluice.port, target);
    t.is(reply.status, 400, target);
    t.false(reply.body.toString().includes('root:x:'), target);
  }
});

test.serial('--index index.php runs the index through php-cgi (SCRIPT_NAME=/dir/index.php); the source is never sent', async (t) => {
  const source = '<?php /* SOURCE-MARKER */ header("Content-Type: text/plain"); echo "php ran ", $_SERVER["SCRIPT_NAME"], "\\n";';
  const dir = tempSite(t, { 'dir/index.php': source, 'dir/Other.PHP': source, 'top.php': source, 'readme.txt': 'readme\n' });
  writeFileSync(path.join(dir, 'dir/index.php.gz'), gzipSync(source));
  mkdirSync(path.join(dir, 'links'));
  symlinkSync(path.join(dir, 'top.php'), path.join(dir, 'links/top.txt'));
  const sluice = await startSluice(t, ['--port', '0', '--root', '.', '--cgi-handler', '.php=php-cgi', '--index', 'index.php'], { cwd: dir });
  const index = await get(sluice.port, '/dir/');
  t.is(index.status, 200);
  t.is(index.body.toString(), 'php ran /dir/index.php\n');
  t.notRegex(index.head, /x-httpd-php/i);
  t.is((await get(sluice.port, '/dir/Other.PHP')).body.toString(), 'php ran /dir/Other.PHP\n', 'any letter case runs');
  const attempts: Array<[string, Record<string, string>]> = [
    ['/dir/index.php.gz', {}],
    ['/dir/', { 'Accept-Encoding': 'gzip' }],
    ['/dir/index.php', { Range: 'bytes=0-10' }],
    ['/links/top.txt', {}],
    ['//dir/', {}],
  ];
  for (const [target, headers] of attempts) {
    const reply = await get(sluice.port, target, headers);
    t.false(reply.body.toString('latin1').includes('SOURCE-MARKER'), `${target} ${JSON.stringify(headers)}`);
    t.false(reply.body.equals(gzipSync(source)), target);
    t.notRegex(reply.head, /x-httpd-php/i, target);
  }
  t.is((await get(sluice.port, '/readme.txt')).body.toString(), 'readme\n');
});

test.serial('--wsgi /=app:application without --root serves no static files and says so; the app answers /settings.py', async (t) => {
  const dir = tempSite(t, { 'settings.py': 'SECRET_KEY = "SOURCE-MARKER"\n', 'pid_app.py': readFileSync(path.join(fixtures, 'pid_app.py')) });
  const sluice = await startSluice(t, ['--port', '0', '--wsgi', '/=pid_app:application', '--wsgi-workers', '1'], { cwd: dir });
  const reply = await get(sluice.port, '/settings.py');
  t.is(reply.status, 200);
  t.regex(reply.body.toString(), /^pid=\d+ .* path=\/settings\.py /);
  t.false(reply.body.toString().includes('SOURCE-MARKER'));
  const notice = /no static files are served: a WSGI app is mounted and no root was given/;
  await until(() => notice.test(sluice.stderr()), 10_000);
  t.regex(sluice.stderr(), notice);
});

test.serial('a static root holding an app\'s module directory gets a startup warning naming it, and the app\'s package is never sent', async (t) => {
  const dir = tempSite(t, {
    'mysite/__init__.py': '',
    'mysite/wsgi.py': readFileSync(path.join(fixtures, 'pid_app.py')),
    'mysite/settings.py': 'SECRET_KEY = "SOURCE-MARKER"\n',
    'public.txt': 'public\n',
    'app/secret.txt': 'SOURCE-MARKER under the mount',
  });
  const sluice = await startSluice(t, ['--port', '0', '--root', '.', '--wsgi', '/app=mysite.wsgi:application', '--wsgi-workers', '1'], { cwd: dir });
  const warning = new RegExp(`warning: the static root .* contains the directory of wsgi\\["/app"\\]'s module, ${dir.replaceAll('/', '\\/')}\\/mysite`);
  await until(() => warning.test(sluice.stderr()), 10_000);
  t.regex(sluice.stderr(), warning);
  for (const target of ['/mysite/settings.py', '//mysite/settings.py', '/app/../mysite/settings.py', '/mysite/']) {
    const reply = await get(sluice.port, target);
    t.is(reply.status, 404, target);
    t.false(reply.body.toString().includes('SOURCE-MARKER'), target);
  }
  t.regex((await get(sluice.port, '//app//x')).body.toString(), /script=\/app path=\/x /, '//app/... reaches the app');
  const underMount = await get(sluice.port, '//app/secret.txt');
  t.regex(underMount.body.toString(), /script=\/app path=\/secret\.txt /, 'a file under the mount path is the app\'s business, not a static file');
  t.is((await get(sluice.port, '/public.txt')).body.toString(), 'public\n');
});
