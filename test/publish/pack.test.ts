// Publishability: scripts/pack-check.sh builds a package, `pnpm pack`s it, checks the tarball's
// contents, installs it with npm in an empty folder and serves a request there. For @sluice/cgi it
// installs twice: with a C compiler (native spawn helper) and without one (the Python helper, said once).
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

// Serial: each builds packages/core in place.
test.serial('pnpm pack of @sluice/core installs and imports in an empty folder', async (t) => {
  const { stdout } = await run('bash', ['scripts/pack-check.sh', 'core'], { cwd: root, timeout: 110_000 });
  t.regex(stdout, /pack-check core ok\n$/);
});

test.serial('npm install of @sluice/cgi builds the native helper with a C compiler, and without one uses the Python helper and says so once', async (t) => {
  t.timeout(240_000); // two npm installs and two builds, on a loaded machine
  const { stdout } = await run('bash', ['scripts/pack-check.sh', 'cgi'], { cwd: root, timeout: 230_000 });
  t.regex(stdout, /pack-check cgi ok\n$/);
});

test.serial('pnpm pack of @sluice/websocket installs with core and answers a WebSocket in an empty folder', async (t) => {
  const { stdout } = await run('bash', ['scripts/pack-check.sh', 'websocket'], { cwd: root, timeout: 110_000 });
  t.regex(stdout, /pack-check websocket ok\n$/);
});
