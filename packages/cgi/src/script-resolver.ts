/**
 * Maps a request path to a CGI program: programs (prefix → one file), mounts
 * (prefix → directory) and extensions under the document root, walked segment by
 * segment after dot segments are removed (RFC 3986 §5.2.4, core's `normalizePath`);
 * the first file found is the script and the rest of the path is PATH_INFO. Must never
 * accept a path that leaves its directory (`..` above it, encoded slashes, symlinks out),
 * never run a directory, and never walk into a dot path unless `dotfiles` allows it.
 */

import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, extname, join, sep } from 'node:path';
import { normalizePath } from '@sluice/core';
import { CgiError } from './errors.js';
import type { DotfilesPolicy, Mount, ProgramMount, ResolvedOptions } from './options.js';

/** A CGI program found for a request. */
export interface Script {
  /** Real absolute path of the script file (SCRIPT_FILENAME). */
  readonly file: string;
  /** Directory the program runs in. */
  readonly dir: string;
  /** URL path of the script, decoded (SCRIPT_NAME). */
  readonly scriptName: string;
  /** Decoded rest of the path after the script ('' when none) (PATH_INFO). */
  readonly pathInfo: string;
  /** Program and arguments: `[file]`, or `[interpreter, ...args, file]`. */
  readonly argv: readonly string[];
  /** Non-parsed-headers script (name starts with `nph-`): its output is the whole HTTP response. */
  readonly nph: boolean;
  /** DOCUMENT_ROOT. */
  readonly documentRoot: string;
}

interface Base {
  readonly dir: string;
  /** Decoded segments of the URL prefix the base is mounted at. */
  readonly prefixLength: number;
  /** Mounted directories own their prefix (missing → 404); the document root shares its space. */
  readonly owned: boolean;
}

/** Splits an encoded URL path into decoded segments; refuses what could escape a directory. */
export function decodeSegments(path: string): string[] {
  const raw = path.split('/');
  const out: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    let segment = raw[i];
    if (segment.includes('%')) {
      try {
        segment = decodeURIComponent(segment);
      } catch {
        throw new CgiError('BAD_PATH', 'Malformed path: bad percent-encoding');
      }
    }
    // An encoded "/" or NUL would change how the path splits; "." and ".." climb.
    if (segment.includes('/') || segment.includes('\0') || segment === '.' || segment === '..') {
      throw new CgiError('BAD_PATH', 'Malformed path: path segment not allowed');
    }
    out[i] = segment;
  }
  return out;
}

/** Finds scripts for request paths, following the options' mounts and interpreters. */
export class ScriptResolver {
  readonly #mounts: readonly { mount: Mount; segments: string[] }[];
  readonly #programs: readonly { program: ProgramMount; segments: string[] }[];
  readonly #root: string | undefined;
  readonly #interpreters: ResolvedOptions['interpreters'];
  readonly #dotfiles: DotfilesPolicy;

  constructor(options: ResolvedOptions) {
    this.#dotfiles = options.dotfiles;
    this.#mounts = options.mounts.map((mount) => ({ mount, segments: mount.prefix.split('/') }));
    this.#programs = options.programs.map((program) => ({ program, segments: program.prefix.split('/') }));
    this.#root = options.root;
    this.#interpreters = options.interpreters;
  }

  /**
   * The script for `path` (still percent-encoded), or undefined when the path is not
   * the CGI middleware's business. Dot segments are removed first (the application
   * normally did already; this holds when it does not). Throws 400 for malformed or
   * climbing paths under a mount, 404 for a missing script in a mount, 403 for a
   * directory or non-executable.
   */
  async resolve(requestPath: string): Promise<Script | undefined> {
    const normal = normalizePath(requestPath);
    const path = normal ?? requestPath;
    let segments: string[];
    try {
      if (normal === null) throw new CgiError('BAD_PATH', 'Malformed path: path climbs above "/"');
      segments = decodeSegments(path);
    } catch (error) {
      const raw = path.split('/');
      if (matchPrefix(this.#programs, raw) !== undefined || matchPrefix(this.#mounts, raw) !== undefined) throw error;
      return undefined; // not ours: the next middleware answers (or refuses) it
    }
    const program = matchPrefix(this.#programs, segments);
    if (program !== undefined) {
      const { file, prefix } = program.program;
      const rest = segments.slice(program.segments.length);
      return {
        file,
        dir: file.slice(0, file.lastIndexOf(sep)) || sep,
        scriptName: prefix,
        pathInfo: rest.length === 0 ? '' : '/' + rest.join('/'),
        argv: [file],
        nph: basename(file).startsWith('nph-'),
        documentRoot: this.#root ?? (file.slice(0, file.lastIndexOf(sep)) || sep),
      };
    }
    const mounted = matchPrefix(this.#mounts, segments);
    if (mounted !== undefined) {
      return this.#walk(segments, { dir: mounted.mount.dir, prefixLength: mounted.segments.length, owned: true }, mounted.mount.dir);
    }
    const root = this.#root;
    if (root === undefined || !this.#mentionsScript(segments)) return undefined;
    return this.#walk(segments, { dir: root, prefixLength: 1, owned: false }, root);
  }

  /** Cheap pre-check for the document root: no segment with a mapped extension, no script. */
  #mentionsScript(segments: readonly string[]): boolean {
    for (const segment of segments) if (this.#interpreters.has(extname(segment).toLowerCase())) return true;
    return false;
  }

  #walk(segments: readonly string[], base: Base, documentRoot: string): Script | undefined {
    let dir = base.dir;
    let scriptName = segments.slice(0, base.prefixLength).join('/');
    for (let i = base.prefixLength; i < segments.length; i++) {
      const segment = segments[i];
      if (segment === '') continue;
      if (segment.charCodeAt(0) === 0x2e && this.#dotfiles !== 'allow') {
        // The same policy as static files: `.git`, `.env`, `.htpasswd` are not programs.
        if (this.#dotfiles === 'deny') throw new CgiError('DOTFILE', `Forbidden: ${scriptName}/${segment}`);
        if (base.owned) throw new CgiError('NOT_FOUND', `No such script: ${scriptName}/${segment}`);
        return undefined;
      }
      const candidate = join(dir, segment);
      // Synchronous on purpose: a local stat takes microseconds, while a trip through
      // libuv's thread pool costs two context switches, which on a busy CGI server (its
      // programs competing for the same cores) was the largest part of the server's CPU.
      const info = statOrUndefined(candidate);
      if (info === undefined) {
        if (base.owned) throw new CgiError('NOT_FOUND', `No such script: ${scriptName}/${segment}`);
        return undefined;
      }
      scriptName += '/' + segment;
      if (info.isDirectory()) {
        dir = candidate;
        continue;
      }
      if (!info.isFile()) {
        if (base.owned) throw new CgiError('NOT_EXECUTABLE', `Script is not executable: ${scriptName}`);
        return undefined;
      }
      const interpreter = this.#interpreters.get(extname(segment).toLowerCase());
      if (interpreter === undefined && !base.owned) return undefined;
      const file = realpathSync.native(candidate);
      // A symlink may point anywhere: the real file must still be inside the base directory.
      if (!file.startsWith(base.dir + sep)) throw new CgiError('NOT_EXECUTABLE', `Script is not executable: ${scriptName} leaves its directory`);
      if (interpreter === undefined && !isExecutable(file)) throw new CgiError('NOT_EXECUTABLE', `Script is not executable: ${scriptName}`);
      const rest = segments.slice(i + 1);
      return {
        file,
        dir: file.slice(0, file.lastIndexOf(sep)) || sep,
        scriptName,
        pathInfo: rest.length === 0 ? '' : '/' + rest.join('/'),
        argv: interpreter === undefined ? [file] : [...interpreter, file],
        nph: basename(file).startsWith('nph-'),
        documentRoot,
      };
    }
    // Ran out of path on a directory: directories never run.
    if (base.owned) throw new CgiError('NOT_EXECUTABLE', `Script is not executable: ${scriptName || '/'} is a directory`);
    return undefined;
  }
}

/** The first entry (longest prefix first) whose prefix segments start `segments`. */
function matchPrefix<T extends { segments: string[] }>(entries: readonly T[], segments: readonly string[]): T | undefined {
  outer: for (const candidate of entries) {
    const prefix = candidate.segments;
    if (segments.length < prefix.length) continue;
    for (let i = 1; i < prefix.length; i++) if (segments[i] !== prefix[i]) continue outer;
    return candidate;
  }
  return undefined;
}

/** stat(2), or undefined when the path cannot be looked at (missing, no permission...). */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
