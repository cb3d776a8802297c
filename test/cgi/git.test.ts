import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { run, startCgi, tempDir } from './helpers.js';

const BACKEND = '/usr/lib/git-core/git-http-backend';

test('git clone and a > 1 MiB (chunked) git push over smart HTTP through git http-backend', async (t) => {
  const dir = tempDir(t, 'sluice-cgi-git-');
  const projects = join(dir, 'projects');
  mkdirSync(projects);
  // An isolated git: no user or system config, never a password prompt.
  const env = { HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };
  const git = async (args: string[], cwd = dir) => {
    const result = await run('git', args, { cwd, env });
    t.is(result.code, 0, `git ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  await git(['init', '-q', '--bare', '-b', 'main', join(projects, 'repo.git')]);
  await git(['config', 'http.receivepack', 'true'], join(projects, 'repo.git'));

  const posts: Array<{ url: string; chunked: boolean }> = [];
  const s = await startCgi({ programs: { '/git': BACKEND }, env: { GIT_PROJECT_ROOT: projects, GIT_HTTP_EXPORT_ALL: '1' } }, [
    async (ctx, next) => {
      if (ctx.method === 'POST') posts.push({ url: ctx.url, chunked: /chunked/i.test(ctx.get('Transfer-Encoding')) });
      await next();
    },
  ]);
  t.teardown(s.close);
  const remote = `${s.url}/git/repo.git`;

  const work = join(dir, 'work');
  await git(['init', '-q', '-b', 'main', work]);
  const big = randomBytes(3 * 1024 * 1024);
  writeFileSync(join(work, 'big.bin'), big);
  writeFileSync(join(work, 'README'), 'pushed through sluice\n');
  await git(['add', '.'], work);
  await git(['commit', '-q', '-m', 'first'], work);
  await git(['push', '-q', remote, 'main'], work);
  t.true(posts.some((p) => p.url.endsWith('/git-receive-pack') && p.chunked), `receive-pack POST was chunked: ${JSON.stringify(posts)}`);

  const clone = join(dir, 'clone');
  await git(['clone', '-q', remote, clone]);
  t.is(createHash('sha256').update(readFileSync(join(clone, 'big.bin'))).digest('hex'), createHash('sha256').update(big).digest('hex'));
  t.is(readFileSync(join(clone, 'README'), 'utf8'), 'pushed through sluice\n');
  const log = await git(['log', '--format=%s', 'main'], clone);
  t.is(log.stdout.trim(), 'first');

  // A second push on top, then fetch it from the clone.
  writeFileSync(join(work, 'README'), 'second version\n');
  await git(['commit', '-q', '-am', 'second'], work);
  await git(['push', '-q', remote, 'main'], work);
  await git(['pull', '-q', '--ff-only', remote, 'main'], clone);
  t.is(readFileSync(join(clone, 'README'), 'utf8'), 'second version\n');
});

test('git http-backend: an unknown repository is a 404 from git itself, the server stays healthy', async (t) => {
  const dir = tempDir(t, 'sluice-cgi-git-');
  const s = await startCgi({ programs: { '/git': BACKEND }, env: { GIT_PROJECT_ROOT: dir, GIT_HTTP_EXPORT_ALL: '1' } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/git/missing.git/info/refs?service=git-upload-pack`);
  t.is(res.status, 404);
  const traversal = await fetch(`${s.url}/git/..%2f..%2fetc/info/refs`);
  t.is(traversal.status, 400);
});
