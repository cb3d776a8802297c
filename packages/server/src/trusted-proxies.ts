/**
 * Proxy trust per request: with `proxy: true` the app believes X-Forwarded-*, so this
 * middleware, placed first, removes those headers from any request whose peer is not
 * a trusted proxy, and cuts X-Forwarded-For down to the addresses trusted proxies vouch
 * for. Must never let a client that connects directly choose its own address or scheme.
 */

import net from 'node:net';
import type { Middleware } from '@sluice/core';

const forwardedHeaders = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/**
 * Returns a predicate telling whether an address belongs to `entries` (addresses or
 * CIDR ranges; IPv4-mapped IPv6 addresses count as IPv4).
 *
 * @example
 * const trusted = addressMatcher(['127.0.0.1', '10.0.0.0/8']);
 * trusted('::ffff:10.1.2.3') // true
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = unmapped(address.trim());
    const family = net.isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The trust check for `proxy: true`. For a peer outside `trustedProxies`, X-Forwarded-For,
 * -Proto, -Host and Forwarded are removed, so `ctx.ip`, `ctx.protocol` and `ctx.host` come
 * from the connection. For a trusted peer, X-Forwarded-For keeps the addresses from the
 * right-most untrusted one (the real client) onwards: entries a client wrote itself, to
 * the left of it, are dropped.
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
      const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => s.trim()).filter(Boolean);
      let client = chain.length - 1;
      while (client > 0 && trusted(chain[client])) client--;
      ctx.request.headers = { ...headers, 'x-forwarded-for': chain.slice(client).join(', ') };
    }
    return next();
  };
}
