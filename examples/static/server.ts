/**
 * A small static site on sluice: `public/` at `/` (pretty URLs, precompressed CSS,
 * long-lived caching for /assets/), `downloads/` at `/downloads/` with a directory
 * listing and byte ranges, and the site's own 404 page through the error handler.
 * Run it as shown in README.md (PORT=0 picks a free port and prints it).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Application, defaultErrorHandler } from '@sluice/core';
import { serveStatic } from '@sluice/static';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
const downloadsDir = fileURLToPath(new URL('./downloads/', import.meta.url));
const notFoundPage = readFileSync(`${publicDir}404.html`, 'utf8');

const app = new Application({
  // 404s from serveStatic (and from nothing answering) show the site's page.
  errorHandler(error, ctx) {
    if (ctx.status !== 404) return defaultErrorHandler(error, ctx);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = notFoundPage;
  },
});

app.use(serveStatic({ root: downloadsDir, prefix: '/downloads', listing: true }));
app.use(serveStatic({
  root: publicDir,
  extensions: ['html'],
  precompressed: true,
  nosniff: true,
  cacheControl: (file) => (file.relativePath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : undefined),
}));

const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
