/**
 * Turns the percent-encoded URL path of a request into a path relative to the
 * root, segment by segment, so that nothing decoded can climb out of it: a decoded
 * segment holding `/`, `\`, NUL, or being `.`/`..`, or malformed/overlong
 * percent-encoding, rejects the whole path. Must never touch the file system.
 */

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
export type PathRejection = 'malformed-encoding' | 'forbidden-character' | 'dot-segment';

// Characters that, once decoded, would change how the path splits or reads on some OS.
function hasForbiddenCharacter(segment: string): boolean {
  return segment.includes('/') || segment.includes('\\') || segment.includes('\0');
}

/**
 * Maps `urlPath` (starting with `/`, still percent-encoded) to a relative path, or names
 * why it is refused. Empty segments (`//`) are dropped.
 *
 * @example mapUrlPath('/docs/a%20b.txt') // { relative: 'docs/a b.txt', trailingSlash: false, dotSegment: false }
 */
export function mapUrlPath(urlPath: string): MappedPath | PathRejection {
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
    if (segment === '.' || segment === '..') return 'dot-segment';
    if (segment.charCodeAt(0) === 0x2e) dotSegment = true;
    segments.push(segment);
  }
  return { relative: segments.join('/'), trailingSlash, dotSegment };
}
