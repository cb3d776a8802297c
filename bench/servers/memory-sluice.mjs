// sluice server for the memory suite. PORT; HEADERS_TIMEOUT_MS (the suite sets it above the run's
// length, as in memory-node.mjs, so both servers hold the same idle connections all run).
// Routes: / (hello), /echo (body echoed), /stream (1 MiB in 16 KiB chunks, for clients that abort
// mid-response), /__mem (memoryUsage as JSON). Must never differ from memory-node.mjs in what it
// answers or keeps: the suite compares the two.
import { Readable } from 'node:stream';
import { Application } from '@sluice/core';

const port = Number(process.env.PORT);
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
const headersTimeoutMs = Number(process.env.HEADERS_TIMEOUT_MS ?? 10_000);
const app = new Application({ limits: { headersTimeoutMs, keepAliveTimeoutMs: 5000 } });
app.use(async (ctx) => {
  if (ctx.path === '/__mem') {
    // Started with --expose-gc: a full collection first, so what is measured is what is retained.
    globalThis.gc?.();
    ctx.body = process.memoryUsage();
  } else if (ctx.path === '/echo') {
    ctx.type = 'application/octet-stream';
    ctx.body = await ctx.request.buffer();
  } else if (ctx.path === '/stream') {
    ctx.type = 'application/octet-stream';
    ctx.body = Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield CHUNK;
    })());
  } else {
    ctx.body = 'Hello, World!';
  }
});
app.listen(port, '127.0.0.1');
// Exit normally on the suite's SIGTERM, so --heap-prof can write its profile.
process.on('SIGTERM', () => process.exit(0));
