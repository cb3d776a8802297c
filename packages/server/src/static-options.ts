/**
 * A site's static-file options for @sluice/static: the config's keys as they are, plus its
 * per-path `cacheControl` map (URL prefix → header value) made into static's per-file function
 * (longest prefix wins). Must never add a default of its own: absent keys keep static's defaults.
 */

import type { StaticOptions } from '@sluice/static';
import type { ResolvedSite } from './config-types.js';

/** The options `serveStatic` gets for `site`. */
export function staticOptionsFor(site: ResolvedSite): StaticOptions {
  const { cacheControl, ...rest } = site.static;
  return {
    root: site.root,
    index: site.index,
    listing: site.listing,
    mime: site.mime,
    ...rest,
    ...(cacheControl === undefined ? {} : { cacheControl: cacheControlByPrefix(cacheControl) }),
  };
}

/** `{ "/assets/": "public, max-age=31536000, immutable" }` → a function of the file's URL path. */
function cacheControlByPrefix(byPrefix: Record<string, string>): NonNullable<StaticOptions['cacheControl']> {
  const prefixes = Object.keys(byPrefix).sort((a, b) => b.length - a.length);
  return (file) => {
    const urlPath = `/${file.relativePath}`;
    const prefix = prefixes.find((p) => urlPath.startsWith(p));
    return prefix === undefined ? undefined : byPrefix[prefix];
  };
}
