/**
 * `serveStatic` options: the public interface, the one `defaults` object, and
 * validation at construction with a message naming the bad key. Must never touch
 * anything but the root directory (checked once, synchronously, at startup).
 */

import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { badOption, unknownOption } from './errors.js';

/** What a `cacheControl` function receives about the file being served. */
export interface CacheControlFile {
  /** Path relative to `root`, with `/` separators and no leading slash. */
  readonly relativePath: string;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time. */
  readonly mtime: Date;
}

/** A precompressed variant `serveStatic` can look for next to a file. */
export type Precompressed = 'br' | 'gzip';

/** Options of {@link serveStatic}. Only `root` is required. */
export interface StaticOptions {
  /** Directory to serve. Resolved (symlinks included) once at startup; must exist. */
  root: string;
  /** Mount prefix, e.g. `/assets`: only paths under it are served, with it removed. Default `''` (everything). */
  prefix?: string;
  /** File names tried for a directory request ending in `/`, in order; `false` for none. Default `['index.html']`. */
  index?: string | readonly string[] | false;
  /** Redirect a directory requested without its trailing slash (301, query kept). Default `true`. */
  redirect?: boolean;
  /** Generate a listing (HTML, or JSON by `Accept`) for directories without an index file. Default `false`. */
  listing?: boolean;
  /** Most entries a directory listing shows. Default 10000. */
  listingMaxEntries?: number;
  /** Extensions tried when a path is not found (`['html']`: `/about` → `about.html`). Default `false`. */
  extensions?: readonly string[] | false;
  /** Paths with a segment starting with `.`: `ignore` (as if absent), `allow`, or `deny` (403). Default `'ignore'`. */
  dotfiles?: 'ignore' | 'allow' | 'deny';
  /** Serve files reached through symlinks that lead outside `root`. Default `false` (403). */
  followSymlinks?: boolean;
  /** Let requests that find nothing (and non-GET/HEAD methods, malformed paths) go to the next middleware; `false` answers 404/405/400 itself. Default `true`. */
  fallthrough?: boolean;
  /** ETag kind, computed from size and mtime: `'strong'`, `'weak'` or `false` (none). Default `'strong'`. */
  etag?: 'strong' | 'weak' | false;
  /** Send `Last-Modified`. Default `true`. */
  lastModified?: boolean;
  /** `Cache-Control: public, max-age=<this>`. Default 0. */
  maxAgeSeconds?: number;
  /** Add `immutable` to Cache-Control. Default `false`. */
  immutable?: boolean;
  /** Per-file Cache-Control: return a header value, or `undefined` for the default from `maxAgeSeconds`/`immutable`. */
  cacheControl?: (file: CacheControlFile) => string | undefined;
  /** Extra or overriding types by extension, e.g. `{ '.wasm': 'application/wasm' }`. Text types get `charset=utf-8`. */
  mime?: Readonly<Record<string, string>>;
  /** Send `X-Content-Type-Options: nosniff`. Default `false`. */
  nosniff?: boolean;
  /** Honour `Range` and send `Accept-Ranges: bytes`. Default `true`. */
  acceptRanges?: boolean;
  /** Most ranges (after merging overlaps) answered as multipart; more → the whole file (200). Default 16. */
  maxRanges?: number;
  /** Serve `file.br` / `file.gz` when the client accepts them: `true` (both, br preferred) or a list in preference order. Default `false`. */
  precompressed?: boolean | readonly Precompressed[];
  /** How long a cached `stat` result is trusted before it is checked again (mtime, size, inode), in ms. Default 1000; 0 disables caching. */
  statCacheTtlMs?: number;
  /** Most paths whose `stat` result is cached. Default 10000. */
  statCacheMaxEntries?: number;
  /** Files up to this size are kept in memory after their first GET. Default 1 MiB. */
  memoryCacheMaxFileBytes?: number;
  /** Total bytes of file contents kept in memory. Default 64 MiB. */
  memoryCacheMaxBytes?: number;
  /** Read size when streaming a file, in bytes. Default 64 KiB. */
  streamChunkBytes?: number;
  /**
   * Extensions of files another middleware runs (CGI interpreters: `['.php']`). Such a file
   * is never sent, whatever the path: not by name in any letter case, not through a symlink,
   * not through `extensions`, not as a precompressed variant (`index.php.gz`), not in a
   * range. Found as a directory's index, it is reached by an internal redirect: `ctx.path`
   * becomes `/dir/index.php` and the app's chain runs again (`ctx.app.dispatch`), so its
   * handler runs it, as nginx's `index` does. Default `[]`.
   */
  scriptExtensions?: readonly string[];
  /**
   * Directories (everything inside them) and files never sent, whatever the path reaching
   * them, symlinks included (compared on real paths): CGI directories, an application's
   * package or module. Such paths answer as missing. Default `[]`.
   */
  excludePaths?: readonly string[];
}

/** The defaults, in one place. */
export const defaults = {
  prefix: '',
  index: ['index.html'] as readonly string[],
  redirect: true,
  listing: false,
  listingMaxEntries: 10000,
  extensions: [] as readonly string[],
  dotfiles: 'ignore' as const,
  followSymlinks: false,
  fallthrough: true,
  etag: 'strong' as const,
  lastModified: true,
  maxAgeSeconds: 0,
  immutable: false,
  nosniff: false,
  acceptRanges: true,
  maxRanges: 16,
  precompressed: [] as readonly Precompressed[],
  statCacheTtlMs: 1000,
  statCacheMaxEntries: 10000,
  memoryCacheMaxFileBytes: 1024 * 1024,
  memoryCacheMaxBytes: 64 * 1024 * 1024,
  streamChunkBytes: 64 * 1024,
  scriptExtensions: [] as readonly string[],
  excludePaths: [] as readonly string[],
};

/** Options after defaults and validation. */
export interface StaticConfig {
  /** Real path of the root, no trailing slash (unless it is `/`). */
  readonly root: string;
  readonly prefix: string;
  readonly index: readonly string[];
  readonly redirect: boolean;
  readonly listing: boolean;
  readonly listingMaxEntries: number;
  readonly extensions: readonly string[];
  readonly dotfiles: 'ignore' | 'allow' | 'deny';
  readonly followSymlinks: boolean;
  readonly fallthrough: boolean;
  readonly etag: 'strong' | 'weak' | false;
  readonly lastModified: boolean;
  readonly maxAgeSeconds: number;
  readonly immutable: boolean;
  readonly cacheControl: ((file: CacheControlFile) => string | undefined) | undefined;
  /** Lowercased extensions with their dot → type. */
  readonly mime: ReadonlyMap<string, string>;
  readonly nosniff: boolean;
  readonly acceptRanges: boolean;
  readonly maxRanges: number;
  readonly precompressed: readonly Precompressed[];
  readonly statCacheTtlMs: number;
  readonly statCacheMaxEntries: number;
  readonly memoryCacheMaxFileBytes: number;
  readonly memoryCacheMaxBytes: number;
  readonly streamChunkBytes: number;
  /** Lowercased extensions with their dot. */
  readonly scriptExtensions: ReadonlySet<string>;
  /** Real absolute paths, no trailing slash. */
  readonly excludePaths: readonly string[];
}

const KNOWN = new Set<string>(['root', 'cacheControl', 'mime', ...Object.keys(defaults)]);

function boolean(options: StaticOptions, key: keyof StaticOptions & keyof typeof defaults): boolean {
  const value = options[key] ?? defaults[key];
  if (typeof value !== 'boolean') throw badOption(key, 'a boolean');
  return value;
}

function count(options: StaticOptions, key: keyof StaticOptions & keyof typeof defaults, min: number): number {
  const value = options[key] ?? defaults[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw badOption(key, `an integer ≥ ${min}`);
  return value;
}

function names(key: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '' && !v.includes('/') && !v.includes('\0'))) {
    throw badOption(key, 'false or a list of file names');
  }
  return value as string[];
}

function rootOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badOption('root', 'a directory path');
  let real: string;
  try {
    real = realpathSync(isAbsolute(value) ? value : resolve(value));
    if (!statSync(real).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw badOption('root', `an existing directory (${String(value)}: ${(cause as Error).message})`);
  }
  return real.length > 1 && real.endsWith('/') ? real.slice(0, -1) : real;
}

function prefixOf(value: unknown): string {
  if (typeof value !== 'string' || (value !== '' && !value.startsWith('/')) || value.startsWith('//') || /[?#%\\\0]/.test(value)) {
    throw badOption('prefix', "'' or a path starting with '/'");
  }
  return value.replace(/\/+$/, '');
}

function mimeOf(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null) throw badOption('mime', 'an object of extension → type');
  for (const [ext, type] of Object.entries(value)) {
    if (typeof type !== 'string' || !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(type) || /[\r\n]/.test(type)) {
      throw badOption(`mime['${ext}']`, 'a media type such as "application/wasm"');
    }
    out.set((ext.startsWith('.') ? ext : '.' + ext).toLowerCase(), type);
  }
  return out;
}

function scriptExtensionsOf(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && /^\.?[^./\0]+$/.test(v))) {
    throw badOption('scriptExtensions', 'a list of extensions such as ".php"');
  }
  return new Set(value.map((ext: string) => (ext.startsWith('.') ? ext : '.' + ext).toLowerCase()));
}

function excludePathsOf(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '' && !v.includes('\0'))) {
    throw badOption('excludePaths', 'a list of directory or file paths');
  }
  return value.map((dir: string) => {
    const absolute = resolve(dir);
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      real = absolute; // not there yet: excluded by the path it will have
    }
    return real.length > 1 && real.endsWith('/') ? real.slice(0, -1) : real;
  });
}

function precompressedOf(value: unknown): readonly Precompressed[] {
  if (value === undefined || value === false) return defaults.precompressed;
  if (value === true) return ['br', 'gzip'];
  if (Array.isArray(value) && value.every((v) => v === 'br' || v === 'gzip') && new Set(value).size === value.length) return value;
  throw badOption('precompressed', "a boolean or a list of 'br' and 'gzip'");
}

/** Merges `options` over the defaults and validates every key; throws naming the first bad one. */
export function resolveOptions(options: StaticOptions): StaticConfig {
  if (typeof options !== 'object' || options === null) throw badOption('options', 'an object with at least `root`');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw unknownOption(key);
  }
  const index = options.index ?? defaults.index;
  const extensions = options.extensions ?? defaults.extensions;
  const dotfiles = options.dotfiles ?? defaults.dotfiles;
  if (dotfiles !== 'ignore' && dotfiles !== 'allow' && dotfiles !== 'deny') throw badOption('dotfiles', "'ignore', 'allow' or 'deny'");
  const etag = options.etag ?? defaults.etag;
  if (etag !== 'strong' && etag !== 'weak' && etag !== false) throw badOption('etag', "'strong', 'weak' or false");
  if (options.cacheControl !== undefined && typeof options.cacheControl !== 'function') throw badOption('cacheControl', 'a function');
  return {
    root: rootOf(options.root),
    prefix: prefixOf(options.prefix ?? defaults.prefix),
    index: index === false ? [] : names('index', typeof index === 'string' ? [index] : index),
    redirect: boolean(options, 'redirect'),
    listing: boolean(options, 'listing'),
    listingMaxEntries: count(options, 'listingMaxEntries', 1),
    extensions: extensions === false ? [] : names('extensions', extensions).map((e) => (e.startsWith('.') ? e.slice(1) : e)),
    dotfiles,
    followSymlinks: boolean(options, 'followSymlinks'),
    fallthrough: boolean(options, 'fallthrough'),
    etag,
    lastModified: boolean(options, 'lastModified'),
    maxAgeSeconds: count(options, 'maxAgeSeconds', 0),
    immutable: boolean(options, 'immutable'),
    cacheControl: options.cacheControl,
    mime: mimeOf(options.mime),
    nosniff: boolean(options, 'nosniff'),
    acceptRanges: boolean(options, 'acceptRanges'),
    maxRanges: count(options, 'maxRanges', 1),
    precompressed: precompressedOf(options.precompressed),
    statCacheTtlMs: count(options, 'statCacheTtlMs', 0),
    statCacheMaxEntries: count(options, 'statCacheMaxEntries', 1),
    memoryCacheMaxFileBytes: count(options, 'memoryCacheMaxFileBytes', 0),
    memoryCacheMaxBytes: count(options, 'memoryCacheMaxBytes', 0),
    streamChunkBytes: count(options, 'streamChunkBytes', 1024),
    scriptExtensions: scriptExtensionsOf(options.scriptExtensions),
    excludePaths: excludePathsOf(options.excludePaths),
  };
}
