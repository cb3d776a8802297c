/**
 * Proxy trust per request, for the handlers: with `proxy: true`, core decides whom to believe
 * (`trustedProxies`, `forwardedAddresses`); this middleware, placed first, makes the headers the
 * sites' handlers (CGI, WSGI) see agree with that decision. Must never let a client that connects
 * directly choose its own address or scheme, nor pass on a forwarded entry that is not an IP.
 */

import { addressMatcher, forwardedAddresses, type Middleware } from '@sluice/core';

export { addressMatcher };

const forwardedHeaders = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/**
 * The trust check for `proxy: true`. For a peer outside `trustedProxies`, X-Forwarded-For,
 * -Proto, -Host and Forwarded are removed, so `ctx.ip`, `ctx.protocol` and `ctx.host` come
 * from the connection. For a trusted peer, X-Forwarded-For keeps the addresses from the
 * right-most untrusted one (the real client) onwards: entries a client wrote itself, to
 * the left of it, and any entry that is not an IP address, are dropped.
 */
export function trustProxies(trustedProxies: readonly string[]): Middleware {
  const trusted = addressMatcher(trustedProxies);
  return function trustedProxiesMiddleware(ctx, next) {
    const headers = ctx.request.headers;
    if (!trusted(ctx.socket.remoteAddress)) {
      if (forwardedHeaders.some((name) => headers[name] !== undefined)) {
        const kept = { ...headers };
        for (const name of forwardedHeaders) delete kept[name];
        ctx.request.headers = kept;
      }
      return next();
    }
    const forwardedFor = headers['x-forwarded-for'];
    if (forwardedFor !== undefined) {
      const chain = forwardedAddresses(Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor, trusted);
      const kept = { ...headers };
      if (chain.length > 0) kept['x-forwarded-for'] = chain.join(', ');
      else delete kept['x-forwarded-for'];
      ctx.request.headers = kept;
    }
    return next();
  };
}
