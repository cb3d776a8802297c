// The API reference: `pnpm run docs` checks that every export has a doc comment
// (scripts/check-api-docs.mjs), then TypeDoc builds docs/api with warnings as errors, so a
// broken {@link} or an undocumented export fails the suite.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

test('pnpm run docs builds the API reference of every package without a warning', async (t) => {
  const { stdout } = await run('pnpm', ['run', 'docs'], { cwd: root, timeout: 240_000 });
  t.regex(stdout, /every export of 8 packages is documented/);
  t.regex(stdout, /html generated at \.\/docs\/api/);
  const page = await readFile(join(root, 'docs/api/classes/_sluice_core.Application.html'), 'utf8').catch(() => '');
  t.regex(page, /callback/);
});
