// Types that work in a fresh project: @sluice/core, @sluice/static and @sluice/websocket are packed, installed
// with npm in an empty folder next to typescript, @types/node and Koa middleware from the
// registry, and a typical app compiles with `tsc --strict` (no skipLibCheck). A second file of
// deliberate misuses must fail with exactly the errors it marks, so the types are not `any`.
// One folder is installed once and shared by the checks (the install is the slow part).
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

const REGISTRY_PACKAGES = [
  `typescript@${JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).devDependencies.typescript}`,
  '@types/node@^22',
  '@types/koa@^3',
  '@koa/router@^15',
  '@koa/cors@^5',
  '@types/koa__cors@^5',
  'koa-bodyparser@^4',
  '@types/koa-bodyparser@^4',
  'koa-compress@^5',
  '@types/koa-compress@^4',
  'koa-conditional-get@^3',
  '@types/koa-conditional-get@^2',
  'koa-etag@^4',
  '@types/koa-etag@^3',
];

const compilerOptions = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  noEmit: true,
  types: ['node'],
};

// dist/ is what `pnpm test` built (`pnpm -r build` before ava).
async function pack(name: string, destination: string): Promise<string> {
  const dir = join(root, 'packages', name);
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], { cwd: dir, timeout: 60_000 });
  const tarball = stdout.trim().split('\n').filter((line) => line.endsWith('.tgz')).pop();
  if (tarball === undefined) throw new Error(`pnpm pack of ${name} printed no tarball: ${stdout}`);
  return tarball;
}

/** The project folder, installed once for every test of this file. */
const project = (async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-types-'));
  const tarballs = [await pack('core', dir), await pack('static', dir), await pack('websocket', dir)];
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'typed-app', version: '1.0.0', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...REGISTRY_PACKAGES], { cwd: dir, timeout: 240_000 });
  for (const file of ['typed-app.ts', 'misuse.ts']) await copyFile(join(fixtures, file), join(dir, file));
  return dir;
})();

test.after.always(async () => {
  await rm(await project, { recursive: true, force: true }).catch(() => {});
});

/** Runs tsc on one file; resolves with its exit code and diagnostics. */
async function compile(dir: string, file: string): Promise<{ code: number; output: string }> {
  const config = join(dir, `tsconfig.${file}.json`);
  await writeFile(config, JSON.stringify({ compilerOptions, files: [file] }));
  try {
    const { stdout } = await run(join(dir, 'node_modules/.bin/tsc'), ['-p', config, '--pretty', 'false'], { cwd: dir, timeout: 120_000 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failure = error as { code: number; stdout: string };
    return { code: failure.code, output: failure.stdout };
  }
}

test('a typical app type-checks with tsc --strict and no skipLibCheck in an empty folder', async (t) => {
  const dir = await project;
  const { code, output } = await compile(dir, 'typed-app.ts');
  t.is(output, '');
  t.is(code, 0);
});

test('deliberate misuses fail to compile, each with the error it marks', async (t) => {
  const dir = await project;
  const { code, output } = await compile(dir, 'misuse.ts');
  t.not(code, 0);
  const source = (await readFile(join(dir, 'misuse.ts'), 'utf8')).split('\n');
  const expected = source.flatMap((line, i) => {
    const mark = /\/\/ expect (TS\d+)/.exec(line);
    return mark === null ? [] : [`${i + 1}:${mark[1]}`];
  });
  const actual = [...output.matchAll(/^misuse\.ts\((\d+),\d+\): error (TS\d+):/gm)].map((m) => `${m[1]}:${m[2]}`);
  t.deepEqual(actual, expected, output);
  t.regex(output, /Property 'nope' does not exist on type 'Cookies'/);
  t.regex(output, /'bodyLimitt' does not exist in type 'ApplicationOptions'/);
});
