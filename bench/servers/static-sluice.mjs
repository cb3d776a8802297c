// Benchmark server: @sluice/static serving STATIC_ROOT on PORT (127.0.0.1), default options.
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';

const app = new Application();
app.use(serveStatic({ root: process.env.STATIC_ROOT ?? '.' }));
app.listen(Number(process.env.PORT), '127.0.0.1');
