/**
 * Proxy trust per request, for the handlers: with `proxy: true`, core decides whom to believe
 * (the app's `trustedProxies`: `ctx.request.fromTrustedProxy`, `ctx.ips`); this middleware,
 * placed first, makes the headers the sites' handlers (CGI, WSGI) see agree with that decision.
 * Must never decide anything itself, and never let a client that connects directly choose its
 * own address or scheme.
 */

import type { Middleware } from '@sluice/core';

export { addressMatcher } from '@sluice/core';

const forwardedHeaders = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/**
 * The header clean-up for `proxy: true` (the app gets `trustedProxies`). For a peer core does not
 * trust, X-Forwarded-For, -Proto, -Host and Forwarded are removed, so handlers see the connection's
 * address and scheme. For a trusted peer, X-Forwarded-For becomes `ctx.ips`: from the right-most
 * untrusted address (the real client) onwards, without entries a client wrote to the left of it
 * or entries that are not IP addresses.
 *
 * @example
 * const app = new Application({ proxy: true, trustedProxies: ['10.0.0.0/8'] });
 * app.use(trustProxies());
 */
export function trustProxies(): Middleware {
  return function trustedProxiesMiddleware(ctx, next) {
    const headers = ctx.request.headers;
    if (!ctx.request.fromTrustedProxy) {
      if (forwardedHeaders.some((name) => headers[name] !== undefined)) {
        const kept = { ...headers };
        for (const name of forwardedHeaders) delete kept[name];
        ctx.request.headers = kept;
      }
      return next();
    }
    if (headers['x-forwarded-for'] !== undefined) {
      const chain = ctx.request.ips;
      const kept = { ...headers };
      if (chain.length > 0) kept['x-forwarded-for'] = chain.join(', ');
      else delete kept['x-forwarded-for'];
      ctx.request.headers = kept;
    }
    return next();
  };
}
