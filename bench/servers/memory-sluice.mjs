// sluice server for the memory suite. PORT. Routes: / (hello), /echo (body echoed),
// /stream (1 MiB in 16 KiB chunks, for clients that abort mid-response), /__mem (memoryUsage as JSON).
import { Readable } from 'node:stream';
import { Application } from '@sluice/core';

const port = Number(process.env.PORT);
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
const app = new Application();
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
