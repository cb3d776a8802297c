// Ready to publish: every package's metadata, what its tarball ships (every `exports`
// condition and every source map must point at a shipped file), and `pnpm -r publish --dry-run`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'static', 'cgi', 'python-workers', 'wsgi-bridge', 'asgi-bridge', 'websocket', 'server'];

interface Manifest {
  name: string;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  keywords?: string[];
  license?: string;
  publishConfig?: { access?: string };
  exports: Record<string, string | Record<string, string>>;
}

/** Every file path an `exports` map names (conditions flattened). */
function exportTargets(exports: Manifest['exports']): string[] {
  return Object.values(exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)));
}

async function tarballListing(name: string, destination: string): Promise<Set<string>> {
  const dir = join(root, 'packages', name);
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], { cwd: dir, timeout: 60_000 });
  const tarball = stdout.trim().split('\n').filter((line) => line.endsWith('.tgz')).pop()!;
  const listing = await run('tar', ['-tzf', tarball]);
  return new Set(listing.stdout.trim().split('\n').map((path) => path.replace(/^package\//, '')));
}

async function sourceMaps(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js.map')).map((e) => join(e.parentPath, e.name));
}

for (const name of PACKAGES) {
  test(`@sluice/${name}: package.json has what a registry page and npm need`, async (t) => {
    const manifest = JSON.parse(await readFile(join(root, 'packages', name, 'package.json'), 'utf8')) as Manifest;
    t.is(manifest.license, 'MIT');
    t.is(manifest.repository?.type, 'git');
    t.regex(manifest.repository?.url ?? '', /^git\+https:\/\/.+\.git$/);
    t.is(manifest.repository?.directory, `packages/${name}`);
    t.regex(manifest.homepage ?? '', /^https:\/\//);
    t.regex(manifest.bugs?.url ?? '', /^https:\/\//);
    t.true((manifest.keywords ?? []).length > 0);
    t.is(manifest.publishConfig?.access, 'public');
  });

  test(`@sluice/${name}: the tarball ships LICENSE, README, CHANGELOG and every file exports and source maps point at`, async (t) => {
    // dist/ is what `pnpm test` built (`pnpm -r build` before ava): not rebuilt here, so that
    // no other test packs a half-written file.
    const dir = join(root, 'packages', name);
    const work = await mkdtemp(join(tmpdir(), 'sluice-publish-'));
    try {
      const shipped = await tarballListing(name, work);
      for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) t.true(shipped.has(file), `${file} missing`);
      t.false([...shipped].some((path) => path.startsWith('test/')), 'tests leaked into the tarball');
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
      for (const target of exportTargets(manifest.exports)) t.true(shipped.has(posix.normalize(target)), `exports target ${target} is not shipped`);
      const maps = await sourceMaps(join(dir, 'dist'));
      t.true(maps.length > 0);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFile(map, 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const path = posix.normalize(posix.join(dirname(map.slice(dir.length + 1)).split('\\').join('/'), source));
          t.true(shipped.has(path), `${map} points at ${path}, which is not shipped`);
          t.true(existsSync(join(dir, path)));
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

test('@sluice/test-support is private: the tests\' shared helpers are never published', async (t) => {
  const manifest = JSON.parse(await readFile(join(root, 'packages', 'test-support', 'package.json'), 'utf8')) as Manifest & { private?: boolean };
  t.is(manifest.name, '@sluice/test-support');
  t.true(manifest.private);
  t.false(PACKAGES.includes('test-support'));
});

// --no-git-checks: pnpm otherwise refuses to publish from a branch other than main or with
// uncommitted files, and CI runs on a clone of whatever commit is tested.
test('pnpm -r publish --dry-run passes for every package', async (t) => {
  const { stdout, stderr } = await run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], { cwd: root, timeout: 120_000 });
  for (const name of PACKAGES) t.regex(stdout + stderr, new RegExp(`@sluice/${name}@\\d+\\.\\d+\\.\\d+`));
  t.notRegex(stdout + stderr, /ERR_PNPM|npm error/);
  t.notRegex(stdout + stderr, /@sluice\/test-support@/);
});
