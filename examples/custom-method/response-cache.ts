/**
 * A small in-memory response cache for the custom-method example: caches 200
 * answers to GET by URL, serves them to later GETs and HEADs, and forgets an
 * entry when asked (`PURGE`). Never caches streams, errors or requests with
 * credentials.
 */

import type { Context, Middleware } from '@sluice/core';

interface Entry {
  type: string;
  body: string | Buffer;
  storedAt: number;
}

/** The cache and the two middleware that use it. */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();

  /** Entries held right now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Serves GET/HEAD from the cache (`X-Cache: HIT`), else runs the chain and stores a 200 string/Buffer answer (`X-Cache: MISS`). */
  readonly serve: Middleware = async (ctx: Context, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const hit = this.#entries.get(ctx.url);
    if (hit !== undefined && !ctx.get('Authorization')) {
      ctx.set('X-Cache', 'HIT');
      ctx.set('Age', String(Math.floor((Date.now() - hit.storedAt) / 1000)));
      ctx.type = hit.type;
      ctx.body = hit.body;
      return;
    }
    await next();
    ctx.set('X-Cache', 'MISS');
    const body = ctx.body;
    if (ctx.method === 'GET' && ctx.status === 200 && !ctx.get('Authorization') && (typeof body === 'string' || Buffer.isBuffer(body))) {
      this.#entries.set(ctx.url, { type: String(ctx.response.get('Content-Type')), body, storedAt: Date.now() });
    }
  };

  /** The PURGE handler: forgets the entry for the URL (200 with a short JSON note), 404 if there was none. */
  readonly purge: Middleware = (ctx: Context) => {
    if (!this.#entries.delete(ctx.url)) ctx.throw(404, `${ctx.url} is not cached`);
    ctx.body = { purged: ctx.url };
  };
}
