// The documented subpath @sluice/cgi/spawners (what bench/servers/cgi-spawn-cost.mjs uses):
// each spawner starts a real program through it and reports its output and exit status.
import test from 'ava';
import { DirectSpawner, HelperSpawner, helperCommand, type Spawner } from '@sluice/cgi/spawners';

async function runThrough(spawner: Spawner): Promise<{ output: string; code: number | null }> {
  const program = await spawner.spawn({ file: '/bin/sh', argv: ['/bin/sh', '-c', 'printf "out:$X"; exit 3'], cwd: '/', env: ['X=subpath'], stdin: false });
  const chunks: Buffer[] = [];
  program.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  program.stderr.resume();
  const [status] = await Promise.all([program.exited, new Promise((resolve) => program.stdout.once('end', resolve))]);
  program.release();
  return { output: Buffer.concat(chunks).toString(), code: status.code };
}

const quiet = { info() {}, warn() {}, error() {} };

test('@sluice/cgi/spawners: the Python helper runs a program', async (t) => {
  const spawner = new HelperSpawner(helperCommand('python', 'python3'), quiet);
  t.teardown(() => spawner.close());
  t.is(spawner.kind, 'python');
  t.deepEqual(await runThrough(spawner), { output: 'out:subpath', code: 3 });
});

test('@sluice/cgi/spawners: the native helper (built into dist/spawn-helper/) runs a program', async (t) => {
  const command = helperCommand('auto', 'python3');
  t.is(command.kind, 'native', 'the native helper was not built: pnpm -r build needs a C compiler');
  t.regex(command.file, /\/dist\/spawn-helper\/spawn-helper$/);
  const spawner = new HelperSpawner(command, quiet);
  t.teardown(() => spawner.close());
  t.deepEqual(await runThrough(spawner), { output: 'out:subpath', code: 3 });
});

test('@sluice/cgi/spawners: the direct spawner runs a program', async (t) => {
  const spawner = new DirectSpawner();
  t.teardown(() => spawner.close());
  t.deepEqual(await runThrough(spawner), { output: 'out:subpath', code: 3 });
});
