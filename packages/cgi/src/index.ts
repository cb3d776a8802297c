/**
 * `@sluice/cgi` — public API: the `cgi()` middleware (CGI/1.1, RFC 3875), its options
 * and defaults, and its errors. Everything else in this package is internal.
 *
 * @packageDocumentation
 * @module @sluice/cgi
 */

export { cgi, type CgiMiddleware } from './cgi.js';
export { cgiDefaults, type CgiOptions, type RequestBuffering, type SpawnerKind } from './options.js';
export { CgiError, cgiErrors, cgiErrorRegistry, type CgiErrorName } from './errors.js';
