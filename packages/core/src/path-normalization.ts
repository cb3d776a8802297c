/**
 * Request-path normalisation, so that every handler (router, static files, CGI and
 * WSGI mounts) matches the same path: percent-encoded unreserved characters decoded
 * (RFC 3986 §6.2.2.2), empty segments merged (nginx `merge_slashes`), dot segments
 * removed (§5.2.4). Must never decode a character that changes how a path splits
 * (`%2F`, `%5C`, `%00` stay encoded) and never touch the query.
 */

import { coreError, type SluiceError } from './errors.js';

// RFC 3986 §2.3 unreserved characters: decoding them never changes what a URI means.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const PERCENT_OCTET = /%([0-9A-Fa-f]{2})/g;

function decodeUnreserved(_match: string, hex: string): string {
  const char = String.fromCharCode(parseInt(hex, 16));
  return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
}

/**
 * The normal form of a percent-encoded URL path (starting with `/`), or `null` when a
 * `..` segment climbs above `/`. A trailing slash is kept, and a path ending in a dot
 * segment (`/a/.`, `/a/b/..`) names a directory, so it ends in `/`. Anything that does
 * not start with `/` (`*`) is returned as it is.
 *
 * @example
 * normalizePath('//cgi-bin/./env.sh') // '/cgi-bin/env.sh'
 * normalizePath('/sub/%2e%2E/hello.txt') // '/hello.txt'
 * normalizePath('/a/../../etc/passwd') // null
 */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 0x2f) return path;
  // Fast path, the common case: nothing encoded, no dot segment candidate, no doubled slash.
  if (!path.includes('%') && !path.includes('/.') && !path.includes('//')) return path;
  const segments = (path.includes('%') ? path.replace(PERCENT_OCTET, decodeUnreserved) : path).split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  let directory = false;
  for (let i = 1; i <= last; i++) {
    const segment = segments[i];
    if (segment === '' || segment === '.') {
      directory = i === last;
      continue;
    }
    if (segment === '..') {
      if (out.length === 0) return null;
      out.pop();
      directory = i === last;
      continue;
    }
    out.push(segment);
  }
  if (out.length === 0) return '/';
  return `/${out.join('/')}${directory ? '/' : ''}`;
}

/** The 400 for a path whose `..` segments climb above `/`. */
export function pathAboveRootError(): SluiceError {
  return coreError('PATH_ABOVE_ROOT');
}
