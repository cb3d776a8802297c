#!/usr/bin/env node
// The `sluice` command: runs the compiled server (build with `pnpm -r build`).
// Must never hold logic: everything lives in src/main.ts.
import { main } from '../dist/main.js';

process.exit(await main(process.argv.slice(2)));
