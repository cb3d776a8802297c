// Runs the benchmark suites: `pnpm bench` (all) or `pnpm bench core static` (some).
// Each suite in bench/suites/<name>.mjs exports `run(lib)` and prints markdown tables.
import { readdirSync } from 'node:fs';
import * as lib from './lib.mjs';

const dir = new URL('./suites/', import.meta.url);
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).sort();
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
if (!lib.have('wrk')) {
  console.error('bench needs wrk (apt-get install wrk)');
  process.exit(1);
}
console.log(`# sluice benchmarks — ${new Date().toISOString()}, node ${process.version}, server on CPU ${lib.SERVER_CPU}, load on CPU ${lib.CLIENT_CPU}`);
for (const name of wanted) {
  if (!all.includes(name)) {
    console.error(`unknown suite "${name}" (have: ${all.join(', ')})`);
    process.exit(1);
  }
  const suite = await import(new URL(`${name}.mjs`, dir));
  console.log(`\n# suite: ${name}`);
  await suite.run(lib);
}
