/**
 * Name-based virtual hosts: picks the site whose host pattern matches the request's
 * host name (exact name, then the longest `*.domain`, then `*`, then the top-level
 * site) and runs its middleware. Must never match on anything but the host name
 * (ports and a trailing dot are ignored, case does not matter).
 */

import type { Context, Middleware } from '@sluice/core';

/** A site as the dispatcher sees it. */
export interface HostSite {
  middleware: Middleware;
}

/**
 * Returns a chooser `ctx → site` for `hosts` (pattern → site, patterns lowercase).
 *
 * @example
 * const pick = hostChooser([['a.test', a], ['*.b.test', b], ['*', other]], fallback);
 */
export function hostChooser<S>(hosts: ReadonlyArray<readonly [string, S]>, fallback: S): (ctx: Context) => S {
  const exact = new Map<string, S>();
  const suffixes: Array<[string, S]> = [];
  let any: S | undefined;
  for (const [pattern, site] of hosts) {
    if (pattern === '*') any = site;
    else if (pattern.startsWith('*.')) suffixes.push([pattern.slice(1), site]);
    else exact.set(pattern, site);
  }
  suffixes.sort((a, b) => b[0].length - a[0].length);
  const otherwise = any ?? fallback;
  return (ctx) => {
    const name = ctx.hostname.toLowerCase().replace(/\.$/, '');
    const site = exact.get(name);
    if (site !== undefined) return site;
    for (const [suffix, candidate] of suffixes) {
      if (name.endsWith(suffix)) return candidate;
    }
    return otherwise;
  };
}

/** The middleware running the chosen site's middleware. */
export function virtualHosts(choose: (ctx: Context) => HostSite): Middleware {
  return function virtualHostsMiddleware(ctx, next) {
    return choose(ctx).middleware(ctx, next);
  };
}
