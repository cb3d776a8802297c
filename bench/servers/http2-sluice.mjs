// sluice over HTTP/2 for the http2 suite. PORT; SCENARIO = hello | static (ROOT: the files);
// TLS=1 for h2 over TLS (KEY, CERT files), else h2c with prior knowledge.
import { readFileSync } from 'node:fs';
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';

const port = Number(process.env.PORT);
const app = new Application();
if (process.env.SCENARIO === 'static') app.use(serveStatic({ root: process.env.ROOT }));
else app.use((ctx) => {
  ctx.body = 'Hello, World!';
});
const tls = process.env.TLS === '1' ? { key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT) } : undefined;
app.listen(tls ? { port, host: '127.0.0.1', tls, http2: true } : { port, host: '127.0.0.1', h2c: true });
