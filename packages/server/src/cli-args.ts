/**
 * Command-line flags → a partial configuration. Each flag has a config key of the
 * same meaning (table in the README); repeatable KEY=VALUE flags build maps. One table,
 * `flagTable`, says for every flag its key, its value, what it accepts and its help line:
 * `--help` and every refusal ("--FLAG "VALUE" …: --FLAG takes …") are made from it.
 * Must never touch the file system: paths stay as typed, `config.ts` resolves them.
 */

import { parseArgs } from 'node:util';
import { assertValidConfig } from './config-schema.js';
import { ConfigError } from './errors.js';
import type { ServerConfig } from './config-types.js';

/** What the command line asks for. */
export interface CommandLine {
  /** `--config FILE`, as typed. */
  configFile: string | undefined;
  /** The configuration the flags set (only keys given on the command line). */
  flags: ServerConfig;
  help: boolean;
  version: boolean;
}

/** How a flag's value becomes its key's value. */
type FlagKind =
  | { type: 'boolean'; sets?: boolean }
  | { type: 'string' }
  | { type: 'list' }
  | { type: 'integer'; min: number; max: number; orAuto?: boolean }
  | { type: 'pairs'; shape: string };

interface FlagSpec {
  /** The config key it sets (none for --config, --help, --version). */
  key?: keyof ServerConfig;
  kind: FlagKind;
  /** Placeholder of the value in --help. */
  value?: string;
  short?: string;
  /** What the flag accepts, for refusals ("--port takes …"). */
  accepts?: string;
  help: string;
}

/** Every flag, in --help order. */
const flagTable: Record<string, FlagSpec> = {
  config: { kind: { type: 'string' }, value: 'FILE', accepts: 'a JSON config or a sluice.config.js/.mjs/.cjs file', help: 'JSON config (sluice.schema.json) or sluice.config.js; flags override it' },
  host: { key: 'host', kind: { type: 'string' }, value: 'HOST', accepts: 'an IP address or host name to listen on, such as 127.0.0.1, ::1 or 0.0.0.0', help: 'address to listen on (default 127.0.0.1)' },
  port: { key: 'port', kind: { type: 'integer', min: 0, max: 65535 }, value: 'PORT', accepts: 'a whole number from 0 to 65535 (0: any free port)', help: 'port to listen on, 0 for any free port (default 8080)' },
  root: { key: 'root', kind: { type: 'string' }, value: 'DIR', accepts: 'an existing directory', help: 'document root (default .; none when a WSGI app is mounted)' },
  index: { key: 'index', kind: { type: 'list' }, value: 'NAME', accepts: 'a file name without "/", such as index.html', help: 'index file for directories, repeatable (default index.html)' },
  listing: { key: 'listing', kind: { type: 'boolean' }, help: 'list directories that have no index file' },
  extension: { key: 'extensions', kind: { type: 'list' }, value: 'EXT', accepts: 'a file extension such as html', help: 'extension tried when a path is not found (html: /about → about.html), repeatable' },
  dotfiles: { key: 'dotfiles', kind: { type: 'string' }, value: 'POLICY', accepts: '"ignore" (as if absent), "allow" or "deny" (403)', help: 'files and directories starting with ".": ignore, allow or deny (default ignore)' },
  precompressed: { key: 'precompressed', kind: { type: 'boolean' }, help: 'serve FILE.br / FILE.gz next to FILE to clients that accept them' },
  'max-age': { key: 'maxAgeSeconds', kind: { type: 'integer', min: 0, max: 999_999_999 }, value: 'SECONDS', accepts: 'a whole number of seconds, 0 or more', help: 'Cache-Control: public, max-age=SECONDS for static files (default 0)' },
  immutable: { key: 'immutable', kind: { type: 'boolean' }, help: 'add immutable to the static files\' Cache-Control' },
  'cache-control': { key: 'cacheControl', kind: { type: 'pairs', shape: 'PREFIX=VALUE' }, value: 'PREFIX=VALUE', accepts: 'PREFIX=VALUE, a URL path prefix starting with "/" and a header value without control characters', help: 'Cache-Control of static files under URL PREFIX, repeatable' },
  'follow-symlinks': { key: 'followSymlinks', kind: { type: 'boolean' }, help: 'serve files through symlinks that lead outside the root' },
  cgi: { key: 'cgi', kind: { type: 'pairs', shape: 'PREFIX=DIR' }, value: 'PREFIX=DIR', accepts: 'PREFIX=DIR, a URL path prefix starting with "/" and a directory', help: 'run the executables in DIR under URL PREFIX, repeatable' },
  'cgi-handler': { key: 'cgiHandlers', kind: { type: 'pairs', shape: 'EXT=PROGRAM' }, value: 'EXT=PROGRAM', accepts: 'EXT=PROGRAM, a file extension such as .php and a program such as php-cgi', help: 'run files ending in EXT under the root with PROGRAM, repeatable' },
  wsgi: { key: 'wsgi', kind: { type: 'pairs', shape: 'PREFIX=MODULE:CALLABLE' }, value: 'PREFIX=MOD:CALL', accepts: 'PREFIX=MODULE:CALLABLE, a URL path prefix starting with "/" and a Python name such as app:application', help: 'serve the WSGI app MOD:CALL under URL PREFIX, repeatable' },
  'wsgi-path': { key: 'wsgiPath', kind: { type: 'list' }, value: 'DIR', accepts: 'an existing directory', help: 'add DIR to the Python module path, repeatable' },
  'wsgi-workers': { key: 'wsgiWorkers', kind: { type: 'integer', min: 1, max: 256 }, value: 'N', accepts: 'a whole number from 1 to 256', help: 'Python processes per WSGI app (default 2)' },
  asgi: { key: 'asgi', kind: { type: 'pairs', shape: 'PREFIX=MODULE:ATTR' }, value: 'PREFIX=MOD:ATTR', accepts: 'PREFIX=MODULE:ATTR, a URL path prefix starting with "/" and a Python name such as main:app', help: 'serve the ASGI app MOD:ATTR (FastAPI, Starlette...) under URL PREFIX, repeatable' },
  'asgi-workers': { key: 'asgiWorkers', kind: { type: 'integer', min: 1, max: 256 }, value: 'N', accepts: 'a whole number from 1 to 256', help: 'Python processes (event loops) per ASGI app (default 1)' },
  python: { key: 'python', kind: { type: 'string' }, value: 'PROGRAM', accepts: 'a Python 3 program on PATH or a path to one', help: 'Python executable for WSGI and ASGI apps (default python3)' },
  mime: { key: 'mime', kind: { type: 'pairs', shape: 'EXT=TYPE' }, value: 'EXT=TYPE', accepts: 'EXT=TYPE, a file extension such as .wasm and a media type such as application/wasm', help: 'media type for files ending in EXT, repeatable' },
  workers: { key: 'workers', kind: { type: 'integer', min: 1, max: 256, orAuto: true }, value: 'N|auto', accepts: 'a whole number from 1 to 256, or "auto" (one per core)', help: 'server processes sharing the port (default 1; auto = one per core)' },
  'tls-cert': { key: 'tlsCert', kind: { type: 'string' }, value: 'FILE', accepts: 'a readable PEM certificate file', help: 'PEM certificate: serve HTTPS (needs --tls-key)' },
  'tls-key': { key: 'tlsKey', kind: { type: 'string' }, value: 'FILE', accepts: 'a readable PEM private key file', help: 'PEM private key' },
  'no-http2': { key: 'http2', kind: { type: 'boolean', sets: false }, help: 'HTTPS without HTTP/2: offer only http/1.1 by ALPN (HTTP/2 is on with TLS by default)' },
  h2c: { key: 'h2c', kind: { type: 'boolean' }, help: 'also accept cleartext HTTP/2 (prior knowledge) on the plain port' },
  'access-log': { key: 'accessLog', kind: { type: 'string' }, value: 'FILE|-', accepts: 'a file to append to, or - for stdout', help: 'append access-log lines to FILE, or - for stdout (default -)' },
  'access-log-format': { key: 'accessLogFormat', kind: { type: 'string' }, value: 'FORMAT', accepts: '"combined", "common" or "json"', help: 'combined (+ response time), common or json (default combined)' },
  'error-page': { key: 'errorPages', kind: { type: 'pairs', shape: 'STATUS=FILE' }, value: 'STATUS=FILE', accepts: 'STATUS=FILE, an error status from 400 to 599 (or 4xx, 5xx) and an HTML file', help: 'HTML page for an error status, repeatable' },
  quiet: { key: 'quiet', kind: { type: 'boolean' }, short: 'q', help: 'no "listening on" line, no warnings, no default access log' },
  help: { kind: { type: 'boolean' }, short: 'h', help: 'show this help' },
  version: { kind: { type: 'boolean' }, short: 'v', help: 'show the version' },
};

const parseOptions = Object.fromEntries(
  Object.entries(flagTable).map(([name, spec]) => [
    name,
    { type: spec.kind.type === 'boolean' ? 'boolean' : 'string', multiple: spec.kind.type === 'list' || spec.kind.type === 'pairs', ...(spec.short ? { short: spec.short } : {}) },
  ]),
) as Record<string, { type: 'boolean' | 'string'; multiple: boolean; short?: string }>;

/** The `--help` text. */
export const usage = `Usage: sluice [options]

Serves static files, CGI scripts and Python WSGI and ASGI apps.

${Object.entries(flagTable)
  .map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return `  ${left.padEnd(30)}${spec.help}`;
  })
  .join('\n')}

Signals: SIGTERM/SIGINT stop gracefully; SIGHUP reloads the configuration.
Bad configuration exits with status 2 and one line naming the problem.
`;

/**
 * Parses `argv` (without `node` and the script). Throws `ConfigError` naming the bad flag,
 * the value given and what the flag accepts.
 *
 * @example
 * parseCommandLine(['--port', '0', '--cgi', '/cgi-bin=cgi-bin']).flags
 * // { port: 0, cgi: { '/cgi-bin': 'cgi-bin' } }
 */
export function parseCommandLine(argv: string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: withDashValues(argv), options: parseOptions, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError(describeParseError(error));
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flagTable)) {
    const given = values[name];
    if (given === undefined || spec.key === undefined) continue;
    flags[spec.key] = convert(name, spec, given);
  }
  const config = typeof values.config === 'string' ? values.config : undefined;
  return { configFile: config, flags: flags as ServerConfig, help: values.help === true, version: values.version === true };
}

/**
 * `--port -1` → `--port=-1`: a value flag followed by something starting with "-" that is not a
 * flag takes it as its value (parseArgs would call it ambiguous and the message would say "needs a value").
 */
function withDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([\w-]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (name !== undefined && flagTable[name] !== undefined && flagTable[name].kind.type !== 'boolean' && next !== undefined && next.startsWith('-') && !isFlag(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

/** `--anything` (known or not: an unknown one is refused by name), or a known short flag such as `-q`. */
function isFlag(token: string): boolean {
  if (token.startsWith('--')) return true;
  return /^-[A-Za-z]/.test(token) && Object.values(flagTable).some((spec) => spec.short === token[1]);
}

/** The key's value for what the flag was given; refuses a value the flag (or the schema) does not accept. */
function convert(name: string, spec: FlagSpec, given: string | string[] | boolean): unknown {
  const key = spec.key as string;
  const kind = spec.kind;
  const refuse = (raw: string, problem: string): never => {
    throw new ConfigError(`--${name} "${raw}" ${problem}: --${name} takes ${spec.accepts}`);
  };
  // The published schema decides what a value may be; the flag table says it in the flag's words.
  const check = (raw: string, value: unknown): void => {
    try {
      assertValidConfig({ [key]: value }, '');
    } catch {
      refuse(raw, 'is not accepted');
    }
  };
  switch (kind.type) {
    case 'boolean':
      // A switch sets its key to true, or to `sets` (--no-http2 sets http2 to false).
      return kind.sets ?? given;
    case 'string':
      check(given as string, given);
      return given;
    case 'integer': {
      const raw = given as string;
      if (kind.orAuto && raw === 'auto') return 'auto';
      if (!/^[+-]?\d+$/.test(raw)) refuse(raw, kind.orAuto ? 'is neither a whole number nor "auto"' : 'is not a whole number');
      const value = Number(raw);
      if (value < kind.min || value > kind.max) refuse(raw, 'is out of range');
      return value;
    }
    case 'list':
      for (const raw of given as string[]) check(raw, [raw]);
      return given;
    case 'pairs': {
      const out: Record<string, string> = {};
      for (const raw of given as string[]) {
        const eq = raw.indexOf('=');
        if (eq <= 0 || eq === raw.length - 1) refuse(raw, `is not ${kind.shape}`);
        const entryKey = raw.slice(0, eq);
        if (Object.hasOwn(out, entryKey)) throw new ConfigError(`--${name} ${entryKey} is given twice`);
        check(raw, { [entryKey]: raw.slice(eq + 1) });
        out[entryKey] = raw.slice(eq + 1);
      }
      return out;
    }
  }
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /--[\w-]+/.exec(message ?? '')?.[0] ?? /'(-[^' ,]+)/.exec(message ?? '')?.[1];
  const spec = option === undefined ? undefined : flagTable[option.replace(/^--?/, '')] ?? Object.values(flagTable).find((s) => `-${s.short}` === option);
  const name = spec === undefined ? option : `--${Object.keys(flagTable).find((n) => flagTable[n] === spec)}`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag "${option}" (see sluice --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take/.test(message ?? '')) return `${name} takes no value (it is a switch: given means on)`;
      return `${name} needs a value${spec?.accepts ? `: ${name} takes ${spec.accepts}` : ''}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message ?? '')?.[0] ?? ''} (flags only; see sluice --help)`;
    default:
      return message ?? String(error);
  }
}
