/**
 * Every flag of the `sluice` command, through the real command: spawned, listening,
 * answering real requests.
 */

import { once } from 'node:events';
import { chmodSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { freePort, repoRoot, request, runSluice, spawnSluice, startSluice, tempSite, until } from './helpers.js';

const fixtures = path.join(repoRoot, 'test/server/fixtures');
const helloCgi = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "cgi method=$REQUEST_METHOD script=$SCRIPT_NAME path_info=$PATH_INFO"\n';

test.serial('--help prints the usage and exits 0', async (t) => {
  const { code, stdout, stderr } = await runSluice(t, ['--help']);
  t.is(code, 0);
  t.is(stderr, '');
  t.regex(stdout, /^Usage: sluice \[options\]/);
  for (const flag of ['--config', '--host', '--port', '--root', '--index', '--cgi', '--cgi-handler', '--wsgi', '--wsgi-path', '--wsgi-workers', '--python', '--mime', '--workers', '--tls-cert', '--tls-key', '--access-log', '--access-log-format', '--error-page', '--quiet', '--help', '--version',
    '--listing', '--extension', '--dotfiles', '--precompressed', '--max-age', '--immutable', '--cache-control', '--follow-symlinks', '--no-http2', '--h2c']) {
    t.true(stdout.includes(`${flag} `), flag);
  }
});

test.serial('--version prints the package version', async (t) => {
  const { code, stdout } = await runSluice(t, ['--version']);
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'packages/server/package.json'), 'utf8')) as { version: string };
  t.is(code, 0);
  t.is(stdout, `sluice ${version}\n`);
});

test.serial('without flags it serves the working directory on 127.0.0.1:8080', async (t) => {
  const dir = tempSite(t, { 'index.html': 'default root\n' });
  // 8080 may be taken on a shared machine: then the refusal must name 127.0.0.1:8080.
  const probe = net.createServer().listen(8080, '127.0.0.1');
  const free = await new Promise<boolean>((resolve) => {
    probe.once('listening', () => probe.close(() => resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (!free) {
    const { code, stderr } = await runSluice(t, [], { cwd: dir });
    t.is(code, 2);
    t.is(stderr, 'sluice: cannot listen on 127.0.0.1:8080: address already in use\n');
    return;
  }
  const sluice = await startSluice(t, [], { cwd: dir });
  t.is(sluice.stdout().split('\n')[0], 'listening on http://127.0.0.1:8080');
  t.is((await request('http://127.0.0.1:8080/')).body, 'default root\n');
});

test.serial('it prints exactly one "listening on" line, then access-log lines', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir]);
  t.regex(sluice.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await request(`${sluice.url}/`);
  await until(() => sluice.stdout().split('\n').length >= 3);
  const lines = sluice.stdout().trimEnd().split('\n');
  t.is(lines.length, 2);
  t.is(lines[0], `listening on ${sluice.url}`);
  t.regex(lines[1], /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 1 "-" "-" \d+\.\d{3}$/);
});

test.serial('--port listens on the given port', async (t) => {
  const port = await freePort();
  const dir = tempSite(t, { 'index.html': 'on port\n' });
  const sluice = await startSluice(t, ['--port', String(port), '--root', dir]);
  t.is(sluice.url, `http://127.0.0.1:${port}`);
  t.is((await request(`http://127.0.0.1:${port}/`)).body, 'on port\n');
});

test.serial('--host listens on the given address only', async (t) => {
  const dir = tempSite(t, { 'index.html': 'on 127.0.0.2\n' });
  const sluice = await startSluice(t, ['--host', '127.0.0.2', '--port', '0', '--root', dir]);
  t.is(sluice.url, `http://127.0.0.2:${sluice.port}`);
  t.is((await request(`http://127.0.0.2:${sluice.port}/`)).body, 'on 127.0.0.2\n');
  // Nothing of ours on 127.0.0.1. (Another test's server may happen to hold the same port
  // number there — ports are per address — so "refused" is not the only correct outcome.)
  const other = await request(`http://127.0.0.1:${sluice.port}/`).then(
    (response) => ({ body: response.body, code: undefined }),
    (error: NodeJS.ErrnoException) => ({ body: undefined, code: error.code }),
  );
  if (other.body === undefined) t.is(other.code, 'ECONNREFUSED');
  else t.not(other.body, 'on 127.0.0.2\n');
});

test.serial('--root serves that directory, relative to the working directory', async (t) => {
  const dir = tempSite(t, { 'public/index.html': 'public\n', 'public/a.txt': 'file a\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', 'public'], { cwd: dir });
  t.is((await request(`${sluice.url}/`)).body, 'public\n');
  const reply = await request(`${sluice.url}/a.txt`);
  t.is(reply.body, 'file a\n');
  t.is(reply.headers['content-type'], 'text/plain; charset=utf-8');
});

test.serial('--index names the index files, tried in order', async (t) => {
  const dir = tempSite(t, { 'both/home.htm': 'home\n', 'both/index.html': 'index\n', 'only/index.html': 'only index\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--index', 'home.htm', '--index', 'index.html']);
  t.is((await request(`${sluice.url}/both/`)).body, 'home\n');
  t.is((await request(`${sluice.url}/only/`)).body, 'only index\n');
});

test.serial('--mime sets the type of an extension', async (t) => {
  const dir = tempSite(t, { 'model.glb2': 'binary-ish' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--mime', '.glb2=model/x-test']);
  const reply = await request(`${sluice.url}/model.glb2`);
  t.is(reply.status, 200);
  t.is(reply.headers['content-type'], 'model/x-test');
});

test.serial('--error-page answers an error status with the page', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x', 'errors/404.html': '<h1>Nothing here</h1>\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--error-page', `404=${dir}/errors/404.html`]);
  const reply = await request(`${sluice.url}/missing`);
  t.is(reply.status, 404);
  t.is(reply.body, '<h1>Nothing here</h1>\n');
  t.regex(reply.headers['content-type'] ?? '', /^text\/html/);
});

test.serial('--access-log FILE appends the lines to the file and not to stdout', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x' });
  const log = path.join(dir, 'access.log');
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--access-log', log]);
  await request(`${sluice.url}/?from=test`, { headers: { 'User-Agent': 'sluice-test' } });
  await until(() => {
    try {
      return readFileSync(log, 'utf8').includes('\n');
    } catch {
      return false;
    }
  });
  t.regex(readFileSync(log, 'utf8'), /^127\.0\.0\.1 - - \[.+\] "GET \/\?from=test HTTP\/1\.1" 200 1 "-" "sluice-test" [\d.]+\n$/);
  t.is(sluice.stdout(), `listening on ${sluice.url}\n`);
});

test.serial('--access-log - writes the lines to stdout even with --quiet', async (t) => {
  const dir = tempSite(t, { 'index.html': 'x' });
  const port = await freePort();
  const sluice = spawnSluice(t, ['--port', String(port), '--root', dir, '--quiet', '--access-log', '-']);
  await connectable(port);
  await request(`http://127.0.0.1:${port}/x.txt`);
  await until(() => sluice.stdout().includes('\n'));
  t.regex(sluice.stdout(), /^127\.0\.0\.1 - - \[.+\] "GET \/x\.txt HTTP\/1\.1" 404 /);
  t.notRegex(sluice.stdout(), /listening on/);
});

test.serial('--quiet prints no listening line and no access log', async (t) => {
  const dir = tempSite(t, { 'index.html': 'quiet\n' });
  const port = await freePort();
  const sluice = spawnSluice(t, ['--port', String(port), '--root', dir, '--quiet']);
  await connectable(port);
  t.is((await request(`http://127.0.0.1:${port}/`)).body, 'quiet\n');
  await new Promise((r) => setTimeout(r, 200));
  t.is(sluice.stdout(), '');
  t.is(sluice.stderr(), '');
});

test.serial('--cgi runs the programs of a directory under a prefix', async (t) => {
  const dir = tempSite(t, { 'cgi/hello.cgi': helloCgi });
  chmodSync(`${dir}/cgi/hello.cgi`, 0o755);
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--cgi', `/cgi-bin=${dir}/cgi`]);
  const reply = await request(`${sluice.url}/cgi-bin/hello.cgi/extra/path`, { method: 'POST', body: 'x=1' });
  t.is(reply.status, 200);
  t.is(reply.body, 'cgi method=POST script=/cgi-bin/hello.cgi path_info=/extra/path\n');
});

test.serial('--cgi-handler runs files with an extension under the root through a program', async (t) => {
  const dir = tempSite(t, { 'app/page.sh': helloCgi, 'app/plain.txt': 'not a script\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--cgi-handler', '.sh=/bin/sh']);
  t.is((await request(`${sluice.url}/app/page.sh`)).body, 'cgi method=GET script=/app/page.sh path_info=\n');
  t.is((await request(`${sluice.url}/app/plain.txt`)).body, 'not a script\n');
});

test.serial('--wsgi and --wsgi-path serve a WSGI app under a prefix', async (t) => {
  const dir = tempSite(t, { 'index.html': 'static\n' });
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--wsgi', '/py=pid_app:application', '--wsgi-path', fixtures, '--wsgi-workers', '1']);
  const reply = await request(`${sluice.url}/py/some/where`);
  t.is(reply.status, 200);
  t.regex(reply.body, /script=\/py path=\/some\/where remote=127\.0\.0\.1 scheme=http\n$/);
  t.is((await request(`${sluice.url}/`)).body, 'static\n');
});

test.serial('--wsgi-workers sets the number of Python processes', async (t) => {
  const dir = tempSite(t);
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--wsgi', '/py=pid_app:application', '--wsgi-path', fixtures, '--wsgi-workers', '3']);
  const replies = await Promise.all(Array.from({ length: 6 }, () => request(`${sluice.url}/py/?sleep=0.3`)));
  const pids = new Set(replies.map((r) => /pid=(\d+)/.exec(r.body)![1]));
  t.is(pids.size, 3);
});

test.serial('--python chooses the Python executable', async (t) => {
  const dir = tempSite(t);
  const sluice = await startSluice(t, ['--port', '0', '--root', dir, '--wsgi', '/py=pid_app:application', '--wsgi-path', fixtures, '--wsgi-workers', '1', '--python', '/usr/bin/python3']);
  t.regex((await request(`${sluice.url}/py/`)).body, / python=\/usr\/bin\/python3(\.\d+)? /);
});

test.serial('a WSGI module that fails to import is a configuration error', async (t) => {
  const { code, stdout, stderr } = await runSluice(t, ['--port', '0', '--wsgi', '/py=broken_app:application', '--wsgi-path', fixtures, '--wsgi-workers', '1']);
  t.is(code, 2);
  t.is(stdout, '');
  t.regex(stderr, /^sluice: wsgi\["\/py"\]: .*ModuleNotFoundError: No module named 'module_that_does_not_exist'\n$/);
});

async function connectable(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const socket = net.connect(port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      socket.destroy();
      return;
    } catch (error) {
      socket.destroy();
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
