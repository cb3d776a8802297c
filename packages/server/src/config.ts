/**
 * Builds the configuration a worker runs: defaults ← config file ← flags, every
 * relative path resolved (file paths against the file's directory, flag paths
 * against the working directory), every directory, program and key file checked.
 * Must never return a configuration that would fail on a missing file later:
 * everything checkable before listening is checked here, as a `ConfigError`.
 */

import { constants as fsConstants } from 'node:fs';
import { access, open, readFile, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { isAddressOrRange } from '@sluice/core';
import type { CommandLine } from './cli-args.js';
import { loadConfigFile } from './config-file.js';
import { assertValidConfig } from './config-schema.js';
import { defaults, inheritedSiteKeys, staticSiteKeys, type ResolvedConfig, type ResolvedSite, type ServerConfig, type SiteConfig, type StaticSiteOptions } from './config-types.js';
import { ConfigError } from './errors.js';

/**
 * Resolves the command line (and the config file it names) into a checked configuration.
 * Throws `ConfigError` naming the first problem.
 */
export async function resolveConfig(commandLine: CommandLine, cwd: string): Promise<ResolvedConfig> {
  assertValidConfig(commandLine.flags, 'command line: ');
  const fromFlags = absolutize(commandLine.flags, cwd);
  let fromFile: ServerConfig = {};
  if (commandLine.configFile !== undefined) {
    const loaded = await loadConfigFile(commandLine.configFile, cwd);
    fromFile = absolutize(loaded.config, loaded.dir);
  }
  const merged = merge(fromFile, fromFlags);
  return finish(merged, cwd);
}

const siteMapKeys = ['mime', 'cgi', 'cgiHandlers', 'wsgi', 'asgi', 'errorPages', 'cacheControl'] as const;

/** Flags win; maps merge entry by entry (a flag replaces the file's entry of the same key). */
function merge(file: ServerConfig, flags: ServerConfig): ServerConfig {
  const out: ServerConfig = { ...file, ...flags };
  for (const key of siteMapKeys) {
    if (file[key] !== undefined && flags[key] !== undefined) out[key] = { ...file[key], ...flags[key] };
  }
  return out;
}

/** Makes every path in `config` absolute against `base`. */
function absolutize(config: ServerConfig, base: string): ServerConfig {
  const out: ServerConfig = absolutizeSite(config, base) as ServerConfig;
  if (config.tlsCert !== undefined) out.tlsCert = path.resolve(base, config.tlsCert);
  if (config.tlsKey !== undefined) out.tlsKey = path.resolve(base, config.tlsKey);
  if (typeof config.accessLog === 'string' && config.accessLog !== '-') out.accessLog = path.resolve(base, config.accessLog);
  if (config.hosts !== undefined) {
    out.hosts = Object.fromEntries(Object.entries(config.hosts).map(([name, site]) => [name, absolutizeSite(site, base)]));
  }
  return out;
}

function absolutizeSite<T extends SiteConfig>(site: T, base: string): T {
  const out: T = { ...site };
  const program = (p: string) => (p.includes('/') ? path.resolve(base, p) : p);
  if (site.root !== undefined) out.root = path.resolve(base, site.root);
  if (site.wsgiPath !== undefined) out.wsgiPath = site.wsgiPath.map((dir) => path.resolve(base, dir));
  if (site.python !== undefined) out.python = program(site.python);
  if (site.cgi !== undefined) out.cgi = mapValues(site.cgi, (dir) => path.resolve(base, dir));
  if (site.cgiHandlers !== undefined) out.cgiHandlers = mapValues(site.cgiHandlers, program);
  if (site.errorPages !== undefined) out.errorPages = mapValues(site.errorPages, (file) => path.resolve(base, file));
  return out;
}

function mapValues(map: Record<string, string>, fn: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, fn(v)]));
}

async function finish(config: ServerConfig, cwd: string): Promise<ResolvedConfig> {
  const quiet = config.quiet ?? false;
  const tls = await resolveTls(config.tlsCert, config.tlsKey);
  const notices: string[] = [];
  const site = await resolveSite(config, 'root', cwd, notices);
  const hosts: ResolvedConfig['hosts'] = [];
  for (const [name, entry] of Object.entries(config.hosts ?? {})) {
    const inherited: SiteConfig = {};
    for (const key of inheritedSiteKeys) {
      if (config[key] !== undefined) (inherited as Record<string, unknown>)[key] = config[key];
    }
    hosts.push([name.toLowerCase(), await resolveSite({ ...inherited, ...entry }, `hosts["${name}"]`, cwd, notices)]);
  }
  const accessLog = config.accessLog === undefined ? (quiet ? null : '-') : config.accessLog === false ? null : config.accessLog;
  if (accessLog !== null && accessLog !== '-') await checkWritable(accessLog);
  return {
    host: config.host ?? defaults.host,
    port: config.port ?? defaults.port,
    workers: config.workers === 'auto' ? os.availableParallelism() : (config.workers ?? defaults.workers),
    tls,
    http2: config.http2 ?? defaults.http2,
    h2c: config.h2c ?? defaults.h2c,
    accessLog,
    accessLogFormat: config.accessLogFormat ?? defaults.accessLogFormat,
    quiet,
    proxy: config.proxy ?? false,
    trustedProxies: (config.trustedProxies ?? [...defaults.trustedProxies]).map(checkProxyAddress),
    shutdownGraceMs: config.shutdownGraceMs ?? defaults.shutdownGraceMs,
    site,
    hosts,
    setup: config.setup ?? null,
    websocket: Object.entries(config.websocket ?? {}).map(([path, mount]) =>
      typeof mount === 'function' ? [path, mount, undefined] : [path, mount.handler, mount.options]),
    notices,
  };
}

async function resolveSite(site: SiteConfig, where: string, cwd: string, notices: string[]): Promise<ResolvedSite> {
  const root = site.root ?? path.resolve(cwd, defaults.root);
  await checkDirectory(root, `${where === 'root' ? 'root' : `${where}.root`} directory`);
  const prefix = where === 'root' ? '' : `${where}.`;
  const mounts = new Map<string, string>();
  const claim = (kind: string, raw: string): string => {
    const prefixPath = normalizePrefix(raw, `${prefix}${kind}`);
    const previous = mounts.get(prefixPath);
    if (previous !== undefined) throw new ConfigError(`duplicate mount "${prefixPath}": ${previous} and ${prefix}${kind}["${raw}"]`);
    mounts.set(prefixPath, `${prefix}${kind}["${raw}"]`);
    return prefixPath;
  };
  const cgi: Record<string, string> = {};
  for (const [mount, dir] of Object.entries(site.cgi ?? {})) {
    await checkDirectory(dir, `${prefix}cgi["${mount}"] directory`);
    cgi[claim('cgi', mount)] = dir;
  }
  const wsgi: Record<string, string> = {};
  for (const [mount, target] of Object.entries(site.wsgi ?? {})) wsgi[claim('wsgi', mount)] = target;
  const asgi: Record<string, string> = {};
  for (const [mount, target] of Object.entries(site.asgi ?? {})) asgi[claim('asgi', mount)] = target;
  const pythonApps: Array<[kind: string, mount: string, target: string]> = [
    ...Object.entries(wsgi).map(([mount, target]) => ['wsgi', mount, target] as [string, string, string]),
    ...Object.entries(asgi).map(([mount, target]) => ['asgi', mount, target] as [string, string, string]),
  ];
  const cgiHandlers: Record<string, string> = {};
  for (const [ext, program] of Object.entries(site.cgiHandlers ?? {})) {
    cgiHandlers[ext.startsWith('.') ? ext : `.${ext}`] = await findProgram(program, `CGI handler for "${ext}"`);
  }
  const wsgiPath = site.wsgiPath ?? [];
  for (const dir of wsgiPath) await checkDirectory(dir, `${prefix}wsgiPath directory`);
  const python = site.python ?? defaults.python;
  if (pythonApps.length > 0) await findProgram(python, `${prefix}python`);
  const errorPages: Record<string, string> = {};
  for (const [status, file] of Object.entries(site.errorPages ?? {})) {
    await checkReadableFile(file, `error page for ${status}`);
    errorPages[status] = file;
  }
  const mime: Record<string, string> = {};
  for (const [ext, type] of Object.entries(site.mime ?? {})) mime[ext.startsWith('.') ? ext : `.${ext}`] = type;
  const siteName = where === 'root' ? '' : `${where}: `;
  // A project directory is not a document root: with an app mounted, files are served only when asked.
  const staticFiles = site.root !== undefined || pythonApps.length === 0;
  if (!staticFiles) notices.push(`${siteName}no static files are served: a ${pythonApps[0][0].toUpperCase()} app is mounted and no root was given (--root DIR or "root" serves a directory)`);
  const appSources: string[] = [];
  const realRoot = await realpath(root);
  for (const [kind, mount, target] of pythonApps) {
    const source = await findAppSource(target, [cwd, ...wsgiPath]);
    if (source === undefined) continue;
    appSources.push(source.path);
    if (staticFiles && (source.dir === realRoot || source.dir.startsWith(realRoot.endsWith('/') ? realRoot : `${realRoot}/`))) {
      notices.push(`${siteName}warning: the static root ${root} contains the directory of ${kind}["${mount}"]'s module, ${source.dir}: its other files (settings, secrets) are served as static files; serve a directory of public files instead`);
    }
  }
  return {
    root,
    staticFiles,
    appSources,
    index: site.index ?? [...defaults.index],
    listing: site.listing ?? defaults.listing,
    static: staticOptionsOf(site),
    mime,
    cgi,
    cgiHandlers,
    wsgi,
    wsgiPath,
    wsgiWorkers: site.wsgiWorkers ?? defaults.wsgiWorkers,
    asgi,
    asgiWorkers: site.asgiWorkers ?? defaults.asgiWorkers,
    python,
    errorPages,
  };
}

/**
 * Where Python imports a WSGI target's top-level module from, as the bridge's workers
 * search (their working directory first, then `wsgiPath`): the package directory
 * (`mysite/` for `mysite.wsgi:application`) or the module file (`app.py`), with the
 * directory holding its source. Undefined when it is not found as a file (an installed
 * package, a C module): nothing of it lies in a document root then.
 */
async function findAppSource(target: string, searchPath: string[]): Promise<{ path: string; dir: string } | undefined> {
  const top = target.split(':', 1)[0].split('.', 1)[0];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(top)) return undefined;
  for (const dir of searchPath) {
    for (const [candidate, isPackage] of [[path.join(dir, top), true], [path.join(dir, `${top}.py`), false]] as const) {
      try {
        const info = await stat(candidate);
        if (isPackage ? !info.isDirectory() : !info.isFile()) continue;
        const real = await realpath(candidate);
        return { path: real, dir: isPackage ? real : path.dirname(real) };
      } catch {
        // Not here: the next candidate.
      }
    }
  }
  return undefined;
}

/** The static options `site` sets; the others keep @sluice/static's defaults. */
function staticOptionsOf(site: SiteConfig): StaticSiteOptions {
  const out: Record<string, unknown> = {};
  for (const key of staticSiteKeys) if (site[key] !== undefined) out[key] = site[key];
  return out as StaticSiteOptions;
}

/** `/app/` → `/app`; refuses prefixes a URL path could never match exactly. */
function normalizePrefix(raw: string, where: string): string {
  const trimmed = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
  const segments = trimmed.split('/').slice(1);
  if (trimmed !== '/' && segments.some((s) => s === '' || s === '.' || s === '..' || /[?#%\\\s]/.test(s))) {
    throw new ConfigError(`${where} mount "${raw}" is not a clean URL prefix (no empty, "." or ".." segments, no ?, #, % or spaces)`);
  }
  return trimmed || '/';
}

async function checkDirectory(dir: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    throw new ConfigError(`${what} "${dir}" does not exist`, { cause: error });
  }
  if (!info.isDirectory()) throw new ConfigError(`${what} "${dir}" is not a directory`);
}

async function checkReadableFile(file: string, what: string): Promise<void> {
  try {
    await access(file, fsConstants.R_OK);
  } catch (error) {
    throw new ConfigError(`${what}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
  if (!(await stat(file)).isFile()) throw new ConfigError(`${what}: "${file}" is not a file`);
}

async function checkWritable(file: string): Promise<void> {
  try {
    const handle = await open(file, 'a');
    await handle.close();
  } catch (error) {
    throw new ConfigError(`cannot open access log "${file}" for writing (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
}

/** An executable's path: as given when it contains "/", else found on PATH. */
async function findProgram(program: string, what: string): Promise<string> {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return program;
    } catch {
      // Not this one; try the next PATH entry.
    }
  }
  throw new ConfigError(`${what}: program "${program}" not found${program.includes('/') ? ' or not executable' : ' on PATH'}`);
}

async function resolveTls(cert: string | undefined, key: string | undefined): Promise<ResolvedConfig['tls']> {
  if (cert === undefined && key === undefined) return null;
  if (cert === undefined || key === undefined) throw new ConfigError(`TLS needs both a certificate and a key (tlsCert/--tls-cert and tlsKey/--tls-key)`);
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ConfigError(`cannot read TLS ${what} "${file}" (${(error as NodeJS.ErrnoException).code})`, { cause: error });
    }
  };
  const certPem = await read(cert, 'certificate');
  const keyPem = await read(key, 'key');
  try {
    tls.createSecureContext({ cert: certPem, key: keyPem });
  } catch (error) {
    throw new ConfigError(`TLS key "${key}" and certificate "${cert}" are unusable: ${(error as Error).message}`, { cause: error });
  }
  return { cert, key };
}

/** `10.0.0.0/8`, `127.0.0.1`, `::1`: validated, returned as given. */
function checkProxyAddress(entry: string): string {
  if (!isAddressOrRange(entry)) throw new ConfigError(`trustedProxies: "${entry}" is not an IP address or CIDR range`);
  return entry;
}
