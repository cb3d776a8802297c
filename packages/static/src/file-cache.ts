/**
 * What the file system says about paths under the root, cached briefly: one entry
 * per relative path (file, directory, missing, or a symlink leading outside), with
 * the response headers of a file precomputed and, for small files, their bytes.
 * An entry is trusted for `statCacheTtlMs`, then checked again with one `stat`
 * (inode, size, mtime). Bounded in entries and in bytes held. Must never read or
 * open a file that a response does not need (HEAD and 304 only `stat`).
 */

import type { Stats } from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import etag from 'etag';
import mime from 'mime-types';
import type { StaticConfig } from './options.js';

/** A regular file, with the headers every response for it carries. */
export interface FileEntry {
  readonly kind: 'file';
  /** Path relative to the root (`/`-separated). */
  readonly relative: string;
  /** Absolute path on disk. */
  readonly path: string;
  readonly size: number;
  readonly mtime: Date;
  readonly mtimeMs: number;
  readonly ino: number;
  /** ETag value (`"size-mtime"`, `W/` prefixed when weak), or undefined when disabled. */
  readonly etag: string | undefined;
  /** Last-Modified value (IMF-fixdate), or undefined when disabled. */
  readonly lastModified: string | undefined;
  /** Last-Modified in ms, whole seconds (what a client can send back). */
  readonly lastModifiedMs: number;
  readonly contentType: string;
  readonly cacheControl: string;
  /** The file's bytes once a GET loaded them (small files only), else null. */
  contents: Buffer | null;
  /** When the entry was last confirmed against the file system (ms since epoch). */
  checkedAt: number;
}

/** A path that is not a regular file that may be sent. */
export interface OtherEntry {
  /**
   * `outside`: a symlink leading out of the root (refused unless `followSymlinks`);
   * `hidden`: a script (`scriptExtensions`) or anything in `excludePaths`, never sent.
   */
  readonly kind: 'directory' | 'missing' | 'outside' | 'hidden';
  readonly relative: string;
  readonly path: string;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  checkedAt: number;
}

/** What a path is. */
export type Entry = FileEntry | OtherEntry;

/** A file opened for reading, with the entry describing what was actually opened. */
export interface OpenedFile {
  readonly handle: FileHandle;
  readonly entry: FileEntry;
}

// Errors that mean "there is nothing to serve here".
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);

function isAbsent(error: unknown): boolean {
  return ABSENT.has((error as NodeJS.ErrnoException).code ?? '');
}

/** The Content-Type for a file name: the user's map first, then mime-types (charset on text types). */
export function contentTypeOf(relative: string, config: StaticConfig): string {
  const ext = extname(relative).toLowerCase();
  const own = config.mime.get(ext);
  if (own !== undefined) return mime.contentType(own) || own;
  return mime.contentType(ext) || 'application/octet-stream';
}

function cacheControlOf(relative: string, stats: Stats, config: StaticConfig): string {
  const own = config.cacheControl?.({ relativePath: relative, size: stats.size, mtime: stats.mtime });
  if (own !== undefined) return own;
  return `public, max-age=${config.maxAgeSeconds}${config.immutable ? ', immutable' : ''}`;
}

/** Stat results (and small files' bytes) for paths under one root. */
export class FileCache {
  readonly #config: StaticConfig;
  readonly #rootSlash: string;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  #contentBytes = 0;

  constructor(config: StaticConfig) {
    this.#config = config;
    this.#rootSlash = config.root === '/' ? '/' : config.root + '/';
  }

  /** Bytes of file contents held in memory now. */
  get contentBytes(): number {
    return this.#contentBytes;
  }

  /**
   * The entry for `relative`: synchronously when the cached one is still trusted,
   * otherwise a promise (one `stat`, plus `realpath` when the entry is new or changed).
   */
  get(relative: string): Entry | Promise<Entry> {
    const entry = this.#entries.get(relative);
    if (entry !== undefined && Date.now() - entry.checkedAt < this.#config.statCacheTtlMs) return entry;
    let loading = this.#loading.get(relative);
    if (loading === undefined) {
      loading = this.#refresh(relative, entry).finally(() => this.#loading.delete(relative));
      this.#loading.set(relative, loading);
    }
    return loading;
  }

  /** Forgets `relative` (the file vanished or changed under a request). */
  invalidate(relative: string): void {
    const entry = this.#entries.get(relative);
    if (entry === undefined) return;
    if (entry.kind === 'file' && entry.contents !== null) this.#contentBytes -= entry.contents.byteLength;
    this.#entries.delete(relative);
  }

  /**
   * Opens `entry`'s file. Returns the entry of what was opened (a fresh one if the file
   * changed since it was cached), or null if it is gone or no longer a regular file.
   */
  async open(entry: FileEntry): Promise<OpenedFile | null> {
    let handle: FileHandle;
    try {
      handle = await fsp.open(entry.path, 'r');
    } catch (error) {
      if (!isAbsent(error)) throw error;
      this.invalidate(entry.relative);
      return null;
    }
    try {
      const stats = await handle.stat();
      if (sameFile(entry, stats)) return { handle, entry };
      this.invalidate(entry.relative);
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      const fresh = this.#fileEntry(entry.relative, entry.path, stats);
      this.#store(fresh);
      return { handle, entry: fresh };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * The whole contents of a small file, kept for later requests within the memory budget.
   * Returns null if the file changed or vanished meanwhile (the caller looks it up again).
   */
  async contents(entry: FileEntry): Promise<Buffer | null> {
    if (entry.contents !== null) return entry.contents;
    const opened = await this.open(entry);
    if (opened === null) return null;
    const { handle } = opened;
    try {
      if (opened.entry !== entry) return null;
      const buffer = Buffer.allocUnsafe(entry.size);
      let filled = 0;
      while (filled < entry.size) {
        const { bytesRead } = await handle.read(buffer, filled, entry.size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled !== entry.size) {
        this.invalidate(entry.relative);
        return null;
      }
      this.#keepContents(entry, buffer);
      return buffer;
    } finally {
      await handle.close();
    }
  }

  #keepContents(entry: FileEntry, buffer: Buffer): void {
    const budget = this.#config.memoryCacheMaxBytes;
    if (this.#config.statCacheTtlMs === 0 || buffer.byteLength > budget || this.#entries.get(entry.relative) !== entry) return;
    // Make room by dropping the contents of the entries confirmed longest ago.
    for (const other of this.#entries.values()) {
      if (this.#contentBytes + buffer.byteLength <= budget) break;
      if (other.kind === 'file' && other.contents !== null) {
        this.#contentBytes -= other.contents.byteLength;
        other.contents = null;
      }
    }
    entry.contents = buffer;
    this.#contentBytes += buffer.byteLength;
  }

  async #refresh(relative: string, previous: Entry | undefined): Promise<Entry> {
    const path = relative === '' ? this.#config.root : this.#rootSlash + relative;
    let stats: Stats;
    try {
      stats = await fsp.stat(path);
    } catch (error) {
      if (!isAbsent(error)) throw error;
      return this.#store({ kind: 'missing', relative, path, ino: 0, size: 0, mtimeMs: 0, checkedAt: Date.now() });
    }
    if (previous !== undefined && previous.kind !== 'missing' && sameFile(previous, stats)) {
      // Unchanged: trust it again; re-inserting keeps the map ordered by confirmation time.
      previous.checkedAt = Date.now();
      this.#entries.delete(relative);
      this.#entries.set(relative, previous);
      return previous;
    }
    // One realpath for both policies, and none when neither applies.
    const config = this.#config;
    const checks = !config.followSymlinks || config.scriptExtensions.size > 0 || config.excludePaths.length > 0;
    const real = checks ? await realPathOf(path) : path;
    if (real === undefined) return this.#store({ kind: 'missing', relative, path, ino: 0, size: 0, mtimeMs: 0, checkedAt: Date.now() });
    if (!config.followSymlinks && !this.#underRoot(real)) {
      return this.#store({ kind: 'outside', relative, path, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, checkedAt: Date.now() });
    }
    if (this.#hidden(relative, real, stats)) {
      return this.#store({ kind: 'hidden', relative, path, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, checkedAt: Date.now() });
    }
    if (stats.isFile()) return this.#store(this.#fileEntry(relative, path, stats));
    const kind = stats.isDirectory() ? 'directory' : 'missing';
    return this.#store({ kind, relative, path, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, checkedAt: Date.now() });
  }

  /** Whether a file name has a `scriptExtensions` extension, also under a precompressed suffix (`index.PHP.gz`). */
  isScript(name: string): boolean {
    const scripts = this.#config.scriptExtensions;
    if (scripts.size === 0) return false;
    let lower = name.toLowerCase();
    if (lower.endsWith('.gz') || lower.endsWith('.br')) lower = lower.slice(0, -3);
    return scripts.has(extname(lower));
  }

  /** A script by its name or its real name, or an excluded path or what is inside one: never sent. */
  #hidden(relative: string, real: string, stats: Stats): boolean {
    if (stats.isFile() && (this.isScript(basename(relative)) || this.isScript(basename(real)))) return true;
    return this.#config.excludePaths.some((excluded) => real === excluded || real.startsWith(excluded === '/' ? excluded : excluded + '/'));
  }

  #underRoot(real: string): boolean {
    return real === this.#config.root || real.startsWith(this.#rootSlash);
  }

  /** Whether `path` may be served under the symlink policy: true with `followSymlinks`, else its real path must be under the root. */
  async insideRoot(path: string): Promise<boolean> {
    if (this.#config.followSymlinks) return true;
    let real: string;
    try {
      real = await fsp.realpath(path);
    } catch (error) {
      if (isAbsent(error)) return true; // vanished: the next stat says "missing"
      throw error;
    }
    return this.#underRoot(real);
  }

  #fileEntry(relative: string, path: string, stats: Stats): FileEntry {
    const config = this.#config;
    const lastModifiedMs = Math.floor(stats.mtimeMs / 1000) * 1000;
    return {
      kind: 'file',
      relative,
      path,
      size: stats.size,
      mtime: stats.mtime,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      etag: config.etag === false ? undefined : etag(stats, { weak: config.etag === 'weak' }),
      lastModified: config.lastModified ? new Date(lastModifiedMs).toUTCString() : undefined,
      lastModifiedMs,
      contentType: contentTypeOf(relative, config),
      cacheControl: cacheControlOf(relative, stats, config),
      contents: null,
      checkedAt: Date.now(),
    };
  }

  #store<E extends Entry>(entry: E): E {
    this.invalidate(entry.relative);
    if (this.#config.statCacheTtlMs === 0) return entry;
    if (this.#entries.size >= this.#config.statCacheMaxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.invalidate(oldest);
    }
    this.#entries.set(entry.relative, entry);
    return entry;
  }
}

/** The real path, or undefined when the path vanished meanwhile. */
async function realPathOf(path: string): Promise<string | undefined> {
  try {
    return await fsp.realpath(path);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

function sameFile(entry: Entry, stats: Stats): boolean {
  return entry.ino === stats.ino && entry.size === stats.size && entry.mtimeMs === stats.mtimeMs &&
    (entry.kind === 'file') === stats.isFile() && (entry.kind === 'directory') === stats.isDirectory();
}
