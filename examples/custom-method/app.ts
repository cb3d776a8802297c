/**
 * The custom-method example: a page that is slow to render sits behind an in-memory
 * response cache, and a custom HTTP method, `PURGE`, evicts a page from it.
 * `curl -X PURGE http://127.0.0.1:8080/report` forgets /report; any other unknown
 * method gets 501, a method a page does not allow gets 405 with `Allow`.
 */

import { Application } from '@sluice/core';
import { ResponseCache } from './response-cache.js';

/** Builds the example app; `renderDelayMs` is how long a page takes to render. */
export function createApp({ renderDelayMs = 50 } = {}): { app: Application; cache: ResponseCache } {
  const app = new Application();
  const cache = new ResponseCache();
  let renders = 0;

  // PURGE is part of this app: it is listed in `Allow` and never gets 501.
  app.method('PURGE', cache.purge);
  app.use(cache.serve);
  app.use(async (ctx) => {
    if (ctx.path !== '/report' && ctx.path !== '/') return;
    // The pages support GET (and so HEAD) and PURGE; anything else gets 405 with Allow.
    ctx.allow('GET', 'PURGE');
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
    await new Promise((resolve) => setTimeout(resolve, renderDelayMs));
    renders += 1;
    ctx.body = `<h1>Report</h1><p>rendered ${renders} time(s) at ${new Date().toISOString()}</p>\n`;
  });
  return { app, cache };
}
