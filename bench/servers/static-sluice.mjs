// Benchmark server: @sluice/static serving STATIC_ROOT on PORT (127.0.0.1) with default options;
// STATIC_MEMORY_MAX_BYTES=0 turns the in-memory copy of small files off (every body streamed from disk).
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';

const app = new Application();
const memory = process.env.STATIC_MEMORY_MAX_BYTES;
app.use(serveStatic({ root: process.env.STATIC_ROOT ?? '.', ...(memory === undefined ? {} : { memoryCacheMaxFileBytes: Number(memory) }) }));
app.listen(Number(process.env.PORT), '127.0.0.1');
