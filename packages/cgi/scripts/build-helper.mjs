// Builds the native spawn helper (src/spawn-helper/spawn-helper.c → dist/spawn-helper/spawn-helper) with the
// system's C compiler ($CC, else cc). Without a compiler, or if the build fails, it
// says so and leaves no binary: @sluice/cgi then uses the Python helper, which does the
// same job at a higher CPU cost per request. Must never fail the package's build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/spawn-helper/spawn-helper.c', import.meta.url));
const output = fileURLToPath(new URL('../dist/spawn-helper/spawn-helper', import.meta.url));
const compiler = process.env.CC || 'cc';

const folder = fileURLToPath(new URL('../dist/spawn-helper/', import.meta.url));
// Builds before the helper's move left the binary where its folder now goes.
if (statSync(folder, { throwIfNoEntry: false })?.isFile()) rmSync(folder);
mkdirSync(folder, { recursive: true });
// Compiled beside the binary and renamed over it: a rebuild while programs are being spawned (the test
// suite rebuilds packages while CGI tests run) never leaves a moment without a helper, or half of one.
const temporary = `${output}.${process.pid}.tmp`;
const result = spawnSync(compiler, ['-O2', '-Wall', '-o', temporary, source], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (result.error === undefined && result.status === 0) renameSync(temporary, output);
if (result.error !== undefined || result.status !== 0) {
  rmSync(temporary, { force: true });
  rmSync(output, { force: true });
  // One line: the compiler's first error (e.g. "errno.h: No such file or directory"), not its whole report.
  const errors = result.error !== undefined ? [result.error.message] : result.stderr.split('\n').filter((line) => line.trim() !== '');
  const why = errors.find((line) => /error/i.test(line)) ?? errors[0] ?? `${compiler} exited with ${result.status}`;
  console.warn(`@sluice/cgi: native spawn helper not built (${why}); the Python helper will be used`);
} else if (result.stderr.trim() !== '') {
  console.warn(result.stderr.trim());
}
