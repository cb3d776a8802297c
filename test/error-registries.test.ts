/**
 * Every package's error codes come from its registry: each code is in its README table and
 * that table is what `pnpm error-tables` writes, no code is registered twice, no source
 * builds an error from a literal code, and each error class is recognised across copies.
 */

import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error: a plain .mjs script without type declarations
import { loadRegistries, packagesWithErrors, rowsOf, updateReadme } from '../scripts/error-tables.mjs';

type Row = { code: string; status: number; message: string };
type Pkg = { name: string; dir: string; errors: string; readme: string };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Files allowed to build errors from status and code: the registries and the base class. */
const REGISTRY_FILES = /(?:^|\/)(?:errors|sluice-error|error-registry)\.ts$/;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('every package with errors has a registry, and every code of it is in the README table written from it', async (t) => {
  const packages: Pkg[] = await packagesWithErrors();
  t.deepEqual(packages.map((p) => p.name), ['asgi-bridge', 'cgi', 'core', 'server', 'static', 'websocket', 'wsgi-bridge']);
  for (const pkg of packages) {
    const registries = await loadRegistries(pkg.errors);
    t.true(registries.length > 0, `${pkg.name}: src/errors.ts exports no registry`);
    const readme = await readFile(pkg.readme, 'utf8');
    for (const { code, status } of rowsOf(registries) as Row[]) {
      t.true(readme.includes(`| \`${code}\` | ${status} |`), `packages/${pkg.name}/README.md lacks ${code} (${status})`);
    }
    t.is(updateReadme(readme, registries), readme, `packages/${pkg.name}/README.md is stale: run pnpm error-tables`);
  }
});

test('no error code is registered twice, across all packages', async (t) => {
  const seen = new Map<string, string>();
  for (const pkg of (await packagesWithErrors()) as Pkg[]) {
    for (const { code } of rowsOf(await loadRegistries(pkg.errors)) as Row[]) {
      t.false(seen.has(code), `${code} is registered by ${seen.get(code)} and ${pkg.name}`);
      seen.set(code, pkg.name);
    }
  }
  t.true(seen.size > 60);
});

test('no source outside the registries builds an error from a literal status or code', async (t) => {
  const offences: string[] = [];
  for (const file of await sourceFiles(join(ROOT, 'packages'))) {
    const path = relative(ROOT, file);
    if (!/^packages\/[^/]+\/src\//.test(path) || REGISTRY_FILES.test(path)) continue;
    const text = await readFile(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      // A doc comment's example is not a construction.
      if (/^\s*(?:\*|\/\/|\/\*)/.test(line)) return;
      if (/new SluiceError\s*\(/.test(line) || /new \w*Error\s*\(\s*(?:\d|['"`]SLUICE_ERR_)/.test(line)) offences.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  t.deepEqual(offences, []);
});

test('every SLUICE_ERR_ code named in a package source or README is a registered code', async (t) => {
  const registered = new Set<string>();
  for (const pkg of (await packagesWithErrors()) as Pkg[]) {
    for (const { code } of rowsOf(await loadRegistries(pkg.errors)) as Row[]) registered.add(code);
  }
  const unknown: string[] = [];
  const files = [...(await sourceFiles(join(ROOT, 'packages'))).filter((f) => /\/src\//.test(f)), ...((await packagesWithErrors()) as Pkg[]).map((p) => p.readme)];
  for (const file of files) {
    for (const [code] of (await readFile(file, 'utf8')).matchAll(/SLUICE_ERR_[A-Z0-9_]+/g)) {
      // A name ending in "_" is a prefix (`SLUICE_ERR_CGI_*`), not a code.
      if (!code.endsWith('_') && !registered.has(code)) unknown.push(`${relative(ROOT, file)}: ${code}`);
    }
  }
  t.deepEqual(unknown, []);
});

test("each package's error class recognises an instance made by a duplicate copy of the package, and no other error", async (t) => {
  const classes: Array<[string, string, string]> = [
    ['core', 'ProtocolError', 'BAD_CHUNK'],
    ['cgi', 'CgiError', 'TIMEOUT'],
    ['static', 'StaticError', 'NOT_FOUND'],
    ['wsgi-bridge', 'WsgiError', 'TIMEOUT'],
    ['asgi-bridge', 'AsgiError', 'TIMEOUT'],
  ];
  const core = await import('@sluice/core');
  for (const [pkg, name, row] of classes) {
    const file = pathToFileURL(join(ROOT, 'packages', pkg, 'src', 'errors.ts')).href;
    const one = await import(file);
    const copy = await import(`${file}?duplicate-copy`);
    t.not(one[name], copy[name], `${name}: the duplicate copy is a distinct class`);
    const fromCopy = new copy[name](row);
    t.true(fromCopy instanceof one[name], `${name} from a copy is instanceof ${name}`);
    t.true(fromCopy instanceof core.SluiceError, `${name} from a copy is instanceof SluiceError`);
    t.false(new core.SluiceError(500, 'X', 'x') instanceof one[name], `a plain SluiceError is not a ${name}`);
  }
  const cgi = await import(pathToFileURL(join(ROOT, 'packages/cgi/src/errors.ts')).href);
  const staticErrors = await import(pathToFileURL(join(ROOT, 'packages/static/src/errors.ts')).href);
  t.false(new cgi.CgiError('TIMEOUT') instanceof staticErrors.StaticError);
  const server = await import(pathToFileURL(join(ROOT, 'packages/server/src/errors.ts')).href);
  const serverCopy = await import(`${pathToFileURL(join(ROOT, 'packages/server/src/errors.ts')).href}?duplicate-copy`);
  t.true(new serverCopy.ConfigError('bad') instanceof server.ConfigError);
});
