// Publishability of @sluice/core: scripts/pack-check.sh builds it, `pnpm pack`s it, checks
// the tarball's contents, installs it with npm in an empty folder and serves a request there.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

test('pnpm pack of @sluice/core installs and imports in an empty folder', async (t) => {
  const { stdout } = await run('bash', ['scripts/pack-check.sh'], { cwd: root, timeout: 110_000 });
  t.regex(stdout, /pack-check ok\n$/);
});
