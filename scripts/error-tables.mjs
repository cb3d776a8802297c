/**
 * Writes the table of every error code into each package's README, between the
 * `error-codes` markers, from the registries its `src/errors.ts` exports (core's
 * `defineErrors`). `--check` only reports stale READMEs (exit 1). Must never invent a
 * row: the code, status and message columns come from the registries alone; the "when"
 * column is prose kept per code from the README itself.
 *
 * Run as `pnpm error-tables` (or `pnpm error-tables --check`): it loads the TypeScript
 * sources, so it needs the ts-node loader that script sets up.
 */

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGISTRY_BRAND = Symbol.for('sluice.errorRegistry');

export const BEGIN = '<!-- error-codes:begin (written by `pnpm error-tables` from src/errors.ts; edit only the "when" column) -->';
export const END = '<!-- error-codes:end -->';

/** The packages with an error registry: `{ name, dir, readme }`, in folder order. */
export async function packagesWithErrors() {
  const names = (await readdir(join(ROOT, 'packages'))).sort();
  return names
    .map((name) => ({ name, dir: join(ROOT, 'packages', name) }))
    .filter(({ dir }) => existsSync(join(dir, 'src', 'errors.ts')))
    .map((pkg) => ({ ...pkg, errors: join(pkg.dir, 'src', 'errors.ts'), readme: join(pkg.dir, 'README.md') }));
}

/** The registries a package's `src/errors.ts` exports, in export-name order. */
export async function loadRegistries(errorsFile) {
  const module = await import(pathToFileURL(errorsFile).href);
  return Object.keys(module)
    .sort()
    .map((key) => module[key])
    .filter((value) => typeof value === 'object' && value !== null && value[REGISTRY_BRAND] === true);
}

/** Every row of `registries` as `{ code, status, message }`. */
export function rowsOf(registries) {
  return registries.flatMap((registry) => Object.values(registry.table).map(([status, code, message]) => ({ code, status, message })));
}

const cell = (text) => String(text).replace(/\|/g, '\\|');

/** The "when" cells of the table now between the markers, by code. */
function whenByCode(section) {
  const out = new Map();
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \|(?:[^|]|\\\|)*\|(?:[^|]|\\\|)*\|(.*)\|$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

/** The markdown table of `registries`, keeping the "when" prose of `previous` by code. */
export function renderTable(registries, previous = '') {
  const when = whenByCode(previous);
  const lines = ['| code | status | default message | when |', '|---|---|---|---|'];
  for (const { code, status, message } of rowsOf(registries)) {
    lines.push(`| \`${code}\` | ${status} | ${cell(message)} | ${when.get(code) ?? ''} |`);
  }
  return lines.join('\n');
}

/** `readme` with its table rewritten; throws when the markers are missing. */
export function updateReadme(readme, registries, where = 'README') {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${where}: no error-codes markers (add the two lines:\n${BEGIN}\n${END})`);
  const before = readme.slice(0, begin + BEGIN.length);
  const section = readme.slice(begin + BEGIN.length, end);
  return `${before}\n${renderTable(registries, section)}\n${readme.slice(end)}`;
}

async function main(check) {
  const stale = [];
  for (const pkg of await packagesWithErrors()) {
    const readme = await readFile(pkg.readme, 'utf8');
    const next = updateReadme(readme, await loadRegistries(pkg.errors), `packages/${pkg.name}/README.md`);
    if (next === readme) continue;
    stale.push(`packages/${pkg.name}/README.md`);
    if (!check) await writeFile(pkg.readme, next);
  }
  if (check && stale.length > 0) {
    console.error(`stale error tables (run pnpm error-tables): ${stale.join(', ')}`);
    process.exitCode = 1;
  } else if (!check) {
    console.log(stale.length === 0 ? 'error tables up to date' : `rewrote ${stale.join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.includes('--check'));
