/**
 * Command-line flags → a partial configuration. Each flag has a config key of the
 * same meaning (table in the README); repeatable KEY=VALUE flags build maps.
 * Must never touch the file system: paths stay as typed, `config.ts` resolves them.
 */

import { parseArgs } from 'node:util';
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

const flagOptions = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  root: { type: 'string' },
  index: { type: 'string', multiple: true },
  cgi: { type: 'string', multiple: true },
  'cgi-handler': { type: 'string', multiple: true },
  wsgi: { type: 'string', multiple: true },
  'wsgi-path': { type: 'string', multiple: true },
  'wsgi-workers': { type: 'string' },
  python: { type: 'string' },
  mime: { type: 'string', multiple: true },
  workers: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'access-log': { type: 'string' },
  'error-page': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The `--help` text. */
export const usage = `Usage: sluice [options]

Serves static files, CGI scripts and Python WSGI apps.

  --config FILE             JSON config (sluice.schema.json) or sluice.config.js; flags override it
  --host HOST               address to listen on (default 127.0.0.1)
  --port PORT               port to listen on, 0 for any free port (default 8080)
  --root DIR                document root (default .; none when a WSGI app is mounted)
  --index NAME              index file for directories, repeatable (default index.html)
  --cgi PREFIX=DIR          run the executables in DIR under URL PREFIX, repeatable
  --cgi-handler EXT=PROGRAM run files ending in EXT under the root with PROGRAM, repeatable
  --wsgi PREFIX=MOD:CALL    serve the WSGI app MOD:CALL under URL PREFIX, repeatable
  --wsgi-path DIR           add DIR to the Python module path, repeatable
  --wsgi-workers N          Python processes per WSGI app (default 2)
  --python PROGRAM          Python executable for WSGI apps (default python3)
  --mime EXT=TYPE           media type for files ending in EXT, repeatable
  --workers N|auto          server processes sharing the port (default 1; auto = one per core)
  --tls-cert FILE           PEM certificate: serve HTTPS (needs --tls-key)
  --tls-key FILE            PEM private key
  --access-log FILE|-       append access-log lines to FILE, or - for stdout (default -)
  --error-page STATUS=FILE  HTML page for an error status, repeatable
  -q, --quiet               no "listening on" line, no warnings, no default access log
  -h, --help                show this help
  -v, --version             show the version

Signals: SIGTERM/SIGINT stop gracefully; SIGHUP reloads the configuration.
Bad configuration exits with status 2 and one line naming the problem.
`;

/**
 * Parses `argv` (without `node` and the script). Throws `ConfigError` naming the bad flag.
 *
 * @example
 * parseCommandLine(['--port', '0', '--cgi', '/cgi-bin=cgi-bin']).flags
 * // { port: 0, cgi: { '/cgi-bin': 'cgi-bin' } }
 */
export function parseCommandLine(argv: string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flagOptions, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError(describeParseError(error));
  }
  const v = parsed.values;
  const flags: ServerConfig = {};
  if (v.host !== undefined) flags.host = v.host;
  if (v.port !== undefined) flags.port = integerFlag('--port', v.port);
  if (v.root !== undefined) flags.root = v.root;
  if (v.index !== undefined) flags.index = v.index;
  if (v.cgi !== undefined) flags.cgi = pairs('--cgi', 'PREFIX=DIR', v.cgi);
  if (v['cgi-handler'] !== undefined) flags.cgiHandlers = pairs('--cgi-handler', 'EXT=PROGRAM', v['cgi-handler']);
  if (v.wsgi !== undefined) flags.wsgi = pairs('--wsgi', 'PREFIX=MODULE:CALLABLE', v.wsgi);
  if (v['wsgi-path'] !== undefined) flags.wsgiPath = v['wsgi-path'];
  if (v['wsgi-workers'] !== undefined) flags.wsgiWorkers = integerFlag('--wsgi-workers', v['wsgi-workers']);
  if (v.python !== undefined) flags.python = v.python;
  if (v.mime !== undefined) flags.mime = pairs('--mime', 'EXT=TYPE', v.mime);
  if (v.workers !== undefined) flags.workers = v.workers === 'auto' ? 'auto' : integerFlag('--workers', v.workers);
  if (v['tls-cert'] !== undefined) flags.tlsCert = v['tls-cert'];
  if (v['tls-key'] !== undefined) flags.tlsKey = v['tls-key'];
  if (v['access-log'] !== undefined) flags.accessLog = v['access-log'];
  if (v['error-page'] !== undefined) flags.errorPages = pairs('--error-page', 'STATUS=FILE', v['error-page']);
  if (v.quiet !== undefined) flags.quiet = v.quiet;
  return { configFile: v.config, flags, help: v.help === true, version: v.version === true };
}

function integerFlag(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new ConfigError(`${flag} expects a whole number, got "${value}"`);
  return Number(value);
}

function pairs(flag: string, shape: string, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1) throw new ConfigError(`${flag} expects ${shape}, got "${value}"`);
    const key = value.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new ConfigError(`${flag} ${key} is given twice`);
    out[key] = value.slice(eq + 1);
  }
  return out;
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /--[\w-]+/.exec(message ?? '')?.[0] ?? /'(-[^' ,]+)/.exec(message ?? '')?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag "${option}" (see sluice --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `flag ${option} ${/does not take/.test(message ?? '') ? 'takes no value' : 'needs a value'}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message ?? '')?.[0] ?? ''} (flags only; see sluice --help)`;
    default:
      return message ?? String(error);
  }
}
