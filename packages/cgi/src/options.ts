/**
 * Options of `cgi()`: their shapes, the defaults in one place, and validation with a
 * message naming the bad key. Resolves directories and interpreters to absolute
 * paths once, at construction. Must never touch a request.
 */

import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CgiError } from './errors.js';

/** How programs are started: see the README's "Spawning" section for the measurements. */
export type SpawnerKind = 'auto' | 'helper' | 'direct';
/** Which spawn helper program: the native one (built from C), the Python one, or `auto`. */
export type HelperKind = 'auto' | 'native' | 'python';
/** Whether a request body is read whole before a program starts (`buffer`) or streamed to it (`stream`). */
export type RequestBuffering = 'buffer' | 'stream';

/** What happens to a path with a segment starting with `.`. */
export type DotfilesPolicy = 'ignore' | 'allow' | 'deny';

/** Options of {@link cgi}. Sizes in bytes, times in milliseconds. */
export interface CgiOptions {
  /** URL prefix → directory; every executable file in the directory is a CGI program (`{ '/cgi-bin': './cgi-bin' }`). */
  mounts?: Record<string, string>;
  /** URL prefix → one program; the rest of the path is its PATH_INFO (`{ '/git': '/usr/lib/git-core/git-http-backend' }`), as Apache's ScriptAlias to a file. */
  programs?: Record<string, string>;
  /** Document root: files under it whose extension is in `interpreters` run as CGI; other files pass to the next middleware. */
  root?: string;
  /** Extension → interpreter (`{ '.php': '/usr/bin/php-cgi', '.py': ['python3', '-u'] }`); applies under `root` and in mounts. */
  interpreters?: Record<string, string | string[]>;
  /**
   * Paths with a segment starting with `.` before the script (`/cgi-bin/.git/hooks/x`), as
   * `@sluice/static`'s option: `ignore` (as if absent: 404 in a mount, the next middleware
   * under `root`), `allow`, or `deny` (403). Default `'ignore'`.
   */
  dotfiles?: DotfilesPolicy;
  /** Extra environment variables for every program (CGI meta-variables win over these). */
  env?: Record<string, string>;
  /** Names of the server's own environment variables passed through when set. */
  passEnv?: string[];
  /** PATH given to programs (and used to find interpreters). Default: the server's PATH. */
  path?: string;
  /** Pass the Authorization header as HTTP_AUTHORIZATION (PHP apps doing their own auth need it). Default false. */
  passAuthorization?: boolean;
  /** Kill a program that sends no output (and reads no input) for this long. Default 30 s. */
  timeoutMs?: number;
  /** Kill a program running longer than this, whatever it does. Default 5 min. */
  maxRuntimeMs?: number;
  /** Time between SIGTERM and SIGKILL. Default 2 s. */
  killGraceMs?: number;
  /** Programs running at once; more wait in a queue. Default 32. */
  maxProcesses?: number;
  /** Requests waiting for a process slot; more get 503. Default 100. */
  maxQueue?: number;
  /** Longest wait in the queue before 503. Default 10 s. */
  queueTimeoutMs?: number;
  /** Largest CGI response header block; larger → 502. Default 64 KiB. */
  maxHeaderBytes?: number;
  /** Local redirects (`Location: /path`) followed for one request; more → 500. Default 10. */
  maxRedirects?: number;
  /**
   * `buffer`: every request body is read whole (memory, then a temporary file) before the
   * program gets a process slot, so a client sending slowly holds a connection, not a
   * program; the app's `limits.maxBufferedBodyBytes` bounds all buffered bodies together
   * (→ 503). `stream`: a body with Content-Length is piped to the program as it arrives
   * (large uploads without a copy on disk; a slow client holds a slot); chunked bodies are
   * still buffered, since CONTENT_LENGTH must be known. Default `buffer`.
   */
  requestBuffering?: RequestBuffering;
  /** Buffered request bodies up to this size are held in memory; larger ones are spooled to a file. Default 64 KiB. */
  bodyMemoryBytes?: number;
  /** Largest request body buffered; larger → 413. Default 64 MiB. */
  maxSpoolBytes?: number;
  /** Directory for spooled bodies. Default the OS temp dir. */
  tempDir?: string;
  /**
   * Each program runs in its own session (setsid), so in its own process group. `true`:
   * that group is killed (SIGKILL) as soon as the program exits, so background children
   * it left behind (`(sleep 120 &)`, a daemon it forked) do not outlive its request.
   * `false`: they keep running after the request (they are still killed when the
   * program is stopped while running, and, with a spawn helper, when the helper exits
   * while the program runs). Default `true`.
   */
  killProcessGroup?: boolean;
  /** stderr bytes logged per program (the rest is read and dropped). Default 64 KiB. */
  maxStderrBytes?: number;
  /** Longest stderr line logged; longer lines are cut. Default 4 KiB. */
  maxStderrLineBytes?: number;
  /** SERVER_SOFTWARE. Default `sluice`. */
  serverSoftware?: string;
  /** `helper` (a small process spawns programs with posix_spawn), `direct` (child_process.spawn), or `auto` (the helper when it starts, else direct). Default `auto`. */
  spawner?: SpawnerKind;
  /** Which helper: `native` (built from C with the package, when a C compiler was there), `python`, or `auto` (native when built, else Python). Default `auto`. */
  helper?: HelperKind;
  /** Python 3 used by the Python spawn helper. Default `/usr/bin/python3` when present, else `python3` on PATH. */
  helperPython?: string;
  /**
   * Scheduler slice asked for each program, in ms (0.1–100; 0: the kernel's default). Linux
   * 6.12 or later with a spawn helper; elsewhere nothing changes. CGI programs are short
   * CPU-bound jobs: a longer slice means fewer switches between them when they outnumber
   * the CPUs, and the server (default slice) still preempts them. Default 50.
   */
  programSliceMs?: number;
}

/** A mount with its directory resolved. */
export interface Mount {
  /** URL prefix without a trailing slash (`/cgi-bin`). */
  readonly prefix: string;
  /** Real absolute path of the directory. */
  readonly dir: string;
}

/** A program mounted at a URL prefix. */
export interface ProgramMount {
  /** URL prefix without a trailing slash (`/git`). */
  readonly prefix: string;
  /** Real absolute path of the program. */
  readonly file: string;
}

/** Options after defaults, validation and path resolution. */
export interface ResolvedOptions {
  readonly mounts: readonly Mount[];
  readonly programs: readonly ProgramMount[];
  readonly root: string | undefined;
  readonly interpreters: ReadonlyMap<string, readonly string[]>;
  readonly dotfiles: DotfilesPolicy;
  readonly env: Readonly<Record<string, string>>;
  readonly passEnv: readonly string[];
  readonly path: string;
  readonly passAuthorization: boolean;
  readonly killProcessGroup: boolean;
  readonly timeoutMs: number;
  readonly maxRuntimeMs: number;
  readonly killGraceMs: number;
  readonly maxProcesses: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxRedirects: number;
  readonly requestBuffering: RequestBuffering;
  readonly bodyMemoryBytes: number;
  readonly maxSpoolBytes: number;
  readonly tempDir: string;
  readonly maxStderrBytes: number;
  readonly maxStderrLineBytes: number;
  readonly serverSoftware: string;
  readonly spawner: SpawnerKind;
  readonly helper: HelperKind;
  readonly helperPython: string;
  readonly programSliceMs: number;
}

/** The defaults of every scalar option. */
export const cgiDefaults = Object.freeze({
  passAuthorization: false,
  killProcessGroup: true,
  dotfiles: 'ignore' as DotfilesPolicy,
  timeoutMs: 30_000,
  maxRuntimeMs: 300_000,
  killGraceMs: 2_000,
  maxProcesses: 32,
  maxQueue: 100,
  queueTimeoutMs: 10_000,
  maxHeaderBytes: 64 * 1024,
  maxRedirects: 10,
  requestBuffering: 'buffer' as RequestBuffering,
  bodyMemoryBytes: 64 * 1024,
  maxSpoolBytes: 64 * 1024 * 1024,
  maxStderrBytes: 64 * 1024,
  maxStderrLineBytes: 4 * 1024,
  serverSoftware: 'sluice',
  spawner: 'auto' as SpawnerKind,
  helper: 'auto' as HelperKind,
  programSliceMs: 50,
});

const NUMBER_KEYS = [
  'timeoutMs', 'maxRuntimeMs', 'killGraceMs', 'maxProcesses', 'maxQueue', 'queueTimeoutMs', 'maxHeaderBytes',
  'maxRedirects', 'bodyMemoryBytes', 'maxSpoolBytes', 'maxStderrBytes', 'maxStderrLineBytes', 'programSliceMs',
] as const;
const POSITIVE_KEYS = new Set(['timeoutMs', 'maxRuntimeMs', 'maxProcesses', 'maxHeaderBytes']);
const KNOWN_KEYS = new Set([
  'mounts', 'programs', 'root', 'interpreters', 'dotfiles', 'env', 'passEnv', 'path', 'passAuthorization', 'serverSoftware', 'spawner',
  'helper', 'helperPython', 'tempDir', 'requestBuffering', 'killProcessGroup', ...NUMBER_KEYS,
]);
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function bad(key: string, problem: string): CgiError {
  return new CgiError('BAD_OPTION', `Invalid cgi() option: "${key}" ${problem}`, { expose: false });
}

function directory(key: string, dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw bad(key, `is not a directory: ${abs}`);
  return realpathSync(abs);
}

/** Finds `command` in `searchPath` unless it already names a path; the result is absolute. */
export function findExecutable(command: string, searchPath: string): string | undefined {
  if (command.includes('/')) {
    const abs = resolve(command);
    return isExecutableFile(abs) ? abs : undefined;
  }
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Applies the defaults and validates; throws a `SLUICE_ERR_CGI_BAD_OPTION` error naming the key. */
export function resolveOptions(user: CgiOptions): ResolvedOptions {
  if (user === null || typeof user !== 'object') throw bad('options', 'must be an object');
  for (const key of Object.keys(user)) if (!KNOWN_KEYS.has(key)) throw bad(key, 'is not a cgi() option');
  const numbers: Record<string, number> = {};
  for (const key of NUMBER_KEYS) {
    const value = user[key] ?? cgiDefaults[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (POSITIVE_KEYS.has(key) && value === 0)) {
      throw bad(key, POSITIVE_KEYS.has(key) ? 'must be a positive number' : 'must be a non-negative number');
    }
    numbers[key] = value;
  }
  const searchPath = user.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  if (typeof searchPath !== 'string') throw bad('path', 'must be a string');

  const mounts: Mount[] = [];
  for (const [prefix, dir] of Object.entries(user.mounts ?? {})) {
    if (!prefix.startsWith('/') || prefix.includes('?') || prefix.includes('%')) throw bad(`mounts["${prefix}"]`, 'must be a URL path starting with "/"');
    if (typeof dir !== 'string') throw bad(`mounts["${prefix}"]`, 'must be a directory path');
    mounts.push({ prefix: prefix.replace(/\/+$/, ''), dir: directory(`mounts["${prefix}"]`, dir) });
  }
  // Longest prefix first, so /cgi-bin/admin wins over /cgi-bin.
  mounts.sort((a, b) => b.prefix.length - a.prefix.length);
  const programs: ProgramMount[] = [];
  for (const [prefix, file] of Object.entries(user.programs ?? {})) {
    const key = `programs["${prefix}"]`;
    if (!prefix.startsWith('/') || prefix.includes('?') || prefix.includes('%')) throw bad(key, 'must be a URL path starting with "/"');
    if (typeof file !== 'string' || !isAbsolute(file)) throw bad(key, 'must be an absolute path to a program');
    if (!isExecutableFile(file)) throw bad(key, `is not an executable file: ${file}`);
    programs.push({ prefix: prefix.replace(/\/+$/, ''), file: realpathSync(file) });
  }
  programs.sort((a, b) => b.prefix.length - a.prefix.length);
  const root = user.root === undefined ? undefined : directory('root', user.root);

  const interpreters = new Map<string, string[]>();
  for (const [ext, command] of Object.entries(user.interpreters ?? {})) {
    const key = `interpreters["${ext}"]`;
    if (!/^\.[^./]+$/.test(ext)) throw bad(key, 'must be an extension like ".php"');
    const argv = typeof command === 'string' ? [command] : command;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a === '')) {
      throw bad(key, 'must be a program or [program, ...args]');
    }
    const program = findExecutable(argv[0], searchPath);
    if (program === undefined) throw bad(key, `names no executable program: ${argv[0]}`);
    interpreters.set(ext.toLowerCase(), [program, ...argv.slice(1)]);
  }
  if (mounts.length === 0 && programs.length === 0 && root === undefined) throw bad('mounts', 'or "programs" or "root" must be given');
  if (root !== undefined && interpreters.size === 0) throw bad('interpreters', 'must map at least one extension when "root" is given');

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(user.env ?? {})) {
    if (!ENV_NAME_RE.test(name)) throw bad(`env["${name}"]`, 'is not a valid variable name');
    if (typeof value !== 'string' || value.includes('\0')) throw bad(`env["${name}"]`, 'must be a string without NUL');
    env[name] = value;
  }
  const passEnv = user.passEnv ?? [];
  if (!Array.isArray(passEnv) || passEnv.some((n) => typeof n !== 'string' || !ENV_NAME_RE.test(n))) {
    throw bad('passEnv', 'must be a list of variable names');
  }
  if (user.passAuthorization !== undefined && typeof user.passAuthorization !== 'boolean') throw bad('passAuthorization', 'must be true or false');
  if (user.killProcessGroup !== undefined && typeof user.killProcessGroup !== 'boolean') throw bad('killProcessGroup', 'must be true or false');
  const spawner = user.spawner ?? cgiDefaults.spawner;
  if (spawner !== 'auto' && spawner !== 'helper' && spawner !== 'direct') throw bad('spawner', 'must be "auto", "helper" or "direct"');
  const helper = user.helper ?? cgiDefaults.helper;
  if (helper !== 'auto' && helper !== 'native' && helper !== 'python') throw bad('helper', 'must be "auto", "native" or "python"');
  const requestBuffering = user.requestBuffering ?? cgiDefaults.requestBuffering;
  if (requestBuffering !== 'buffer' && requestBuffering !== 'stream') throw bad('requestBuffering', 'must be "buffer" or "stream"');
  const dotfiles = user.dotfiles ?? cgiDefaults.dotfiles;
  if (dotfiles !== 'ignore' && dotfiles !== 'allow' && dotfiles !== 'deny') throw bad('dotfiles', 'must be "ignore", "allow" or "deny"');
  const tempDir = user.tempDir === undefined ? tmpdir() : directory('tempDir', user.tempDir);
  const serverSoftware = user.serverSoftware ?? cgiDefaults.serverSoftware;
  if (typeof serverSoftware !== 'string') throw bad('serverSoftware', 'must be a string');
  const helperPython = user.helperPython ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  if (typeof helperPython !== 'string' || helperPython === '') throw bad('helperPython', 'must be a program name or path');
  // The kernel accepts 0.1 ms to 100 ms (and clamps); 0 means its default.
  if (numbers.programSliceMs > 100 || (numbers.programSliceMs > 0 && numbers.programSliceMs < 0.1)) throw bad('programSliceMs', 'must be 0 or between 0.1 and 100');

  return {
    mounts,
    programs,
    root,
    interpreters,
    dotfiles,
    env,
    passEnv,
    path: searchPath,
    passAuthorization: user.passAuthorization ?? cgiDefaults.passAuthorization,
    killProcessGroup: user.killProcessGroup ?? cgiDefaults.killProcessGroup,
    timeoutMs: numbers.timeoutMs,
    maxRuntimeMs: numbers.maxRuntimeMs,
    killGraceMs: numbers.killGraceMs,
    maxProcesses: numbers.maxProcesses,
    maxQueue: numbers.maxQueue,
    queueTimeoutMs: numbers.queueTimeoutMs,
    maxHeaderBytes: numbers.maxHeaderBytes,
    maxRedirects: numbers.maxRedirects,
    requestBuffering,
    bodyMemoryBytes: numbers.bodyMemoryBytes,
    maxSpoolBytes: numbers.maxSpoolBytes,
    tempDir,
    maxStderrBytes: numbers.maxStderrBytes,
    maxStderrLineBytes: numbers.maxStderrLineBytes,
    serverSoftware,
    spawner,
    helper,
    helperPython,
    programSliceMs: numbers.programSliceMs,
  };
}
