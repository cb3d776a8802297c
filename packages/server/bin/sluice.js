#!/usr/bin/env node
// The `sluice` command (work in progress: see issue 7).
console.error('sluice: not implemented yet');
process.exit(1);
