/**
 * `@sluice/static` — public API: the `serveStatic` middleware, its options, and its
 * errors. Everything another package may rely on is exported here; nothing else is public.
 *
 * @packageDocumentation
 * @module @sluice/static
 */

export { serveStatic } from './serve-static.js';
export { defaults, type StaticOptions, type CacheControlFile, type Precompressed } from './options.js';
export { StaticError, staticErrors, staticErrorRegistry, type StaticErrorName } from './errors.js';
export type { ListingEntry } from './directory-listing.js';
