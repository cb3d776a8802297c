#!/usr/bin/env node
// The `sluice` command: runs the compiled server (src/main.ts, built by `pnpm -r build`).
// Must never hold logic beyond saying clearly that the build is missing.
let main;
try {
  ({ main } = await import('../dist/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(`sluice: the server is not built (${error.message.split('\n')[0]}); run \`pnpm -r build\` first\n`);
  process.exit(1);
}
process.exit(await main(process.argv.slice(2)));
