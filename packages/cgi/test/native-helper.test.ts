// The native spawn helper is built: one test that, when it is missing, says so and why (the
// compiler's own message), instead of every native-helper behaviour test failing with ENOENT.
// helpers.ts leaves the native variants of those tests out while this one fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { NATIVE_HELPER_FILE, nativeHelperBuilt } from './helpers.js';

/** Why src/spawn-helper/spawn-helper.c does not compile here: the compiler's message, or that there is no compiler. */
function whyNotBuilt(): string {
  const source = fileURLToPath(new URL('../src/spawn-helper/spawn-helper.c', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'sluice-helper-build-'));
  try {
    const compiler = process.env.CC || 'cc';
    const result = spawnSync(compiler, ['-O2', '-Wall', '-o', join(dir, 'spawn-helper'), source], { encoding: 'utf8' });
    if (result.error !== undefined) return `no C compiler: ${compiler}: ${result.error.message}`;
    if (result.status !== 0) return `${compiler} fails on src/spawn-helper/spawn-helper.c:\n${result.stderr.trim()}`;
    return 'it compiles now: run pnpm -r build again';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the native spawn helper was built by pnpm build (needs a C toolchain: gcc and libc6-dev)', (t) => {
  t.true(
    nativeHelperBuilt,
    `${NATIVE_HELPER_FILE} is missing, so the native-helper variants of the CGI tests are left out. ` +
      `Why: ${whyNotBuilt()}\nInstall a C toolchain (scripts/ensure-system-deps.sh does as root on Debian) and run pnpm -r build.`,
  );
});
