/**
 * Turns the percent-encoded URL path of a request into a path relative to the
 * root, segment by segment, so that nothing decoded can climb out of it: dot segments
 * are removed first (core's `normalizePath`, RFC 3986 §5.2.4) and a path climbing
 * above the root is refused; then a decoded segment holding `/`, `\`, NUL, or
 * malformed/overlong percent-encoding rejects the whole path. Must never touch the
 * file system.
 */

import { normalizePath } from '@sluice/core';

/** A URL path mapped under the root. */
export interface MappedPath {
  /** Decoded path relative to the root: segments joined by `/`, no leading slash; `''` is the root. */
  readonly relative: string;
  /** The URL path ended with `/` (a directory was asked for). */
  readonly trailingSlash: boolean;
  /** Some segment starts with `.` (subject to the dotfiles policy). */
  readonly dotSegment: boolean;
}

/** Why a path was refused. */
export type PathRejection = 'malformed-encoding' | 'forbidden-character' | 'above-root';

// Characters that, once decoded, would change how the path splits or reads on some OS.
function hasForbiddenCharacter(segment: string): boolean {
  return segment.includes('/') || segment.includes('\\') || segment.includes('\0');
}

/**
 * Maps `urlPath` (starting with `/`, still percent-encoded) to a relative path, or names
 * why it is refused. Empty segments (`//`) are dropped, `.` and `..` segments (also
 * `%2e`) removed; one that climbs above the root is refused. The application normalises
 * paths already (its `normalizePath` option); this holds when an app turns that off.
 *
 * @example mapUrlPath('/docs/a%20b.txt') // { relative: 'docs/a b.txt', trailingSlash: false, dotSegment: false }
 * @example mapUrlPath('/sub/../hello.txt') // { relative: 'hello.txt', trailingSlash: false, dotSegment: false }
 */
export function mapUrlPath(requestPath: string): MappedPath | PathRejection {
  const urlPath = normalizePath(requestPath);
  if (urlPath === null) return 'above-root';
  const trailingSlash = urlPath.charCodeAt(urlPath.length - 1) === 0x2f;
  // Fast path, the common case: nothing encoded, no dot segment, no doubled or back slash.
  if (!urlPath.includes('%') && !urlPath.includes('/.') && !urlPath.includes('//') && !urlPath.includes('\\') && !urlPath.includes('\0')) {
    return { relative: urlPath.slice(1, trailingSlash ? -1 : undefined), trailingSlash, dotSegment: false };
  }
  const segments: string[] = [];
  let dotSegment = false;
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let segment = raw;
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return 'malformed-encoding';
      }
    }
    if (hasForbiddenCharacter(segment)) return 'forbidden-character';
    // Not reachable after normalizePath; kept so that no later change can let one through.
    if (segment === '.' || segment === '..') return 'above-root';
    if (segment.charCodeAt(0) === 0x2e) dotSegment = true;
    segments.push(segment);
  }
  return { relative: segments.join('/'), trailingSlash, dotSegment };
}
