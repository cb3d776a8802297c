/**
 * Builds the `Application` a worker serves from a resolved configuration: proxy
 * trust first, then the access log, then the config file's setup hook (custom
 * methods, middleware), then its WebSocket endpoints, then the sites (virtual hosts). Must never listen: the
 * worker does, once every site is ready.
 */

import { createWriteStream } from 'node:fs';
import { Application, accessLog, type Logger } from '@sluice/core';
import { websocket } from '@sluice/websocket';
import type { ResolvedConfig } from './config-types.js';
import { ConfigError } from './errors.js';
import { buildSite, type Site } from './site.js';
import { trustProxies } from './trusted-proxies.js';
import { hostChooser, virtualHosts } from './virtual-hosts.js';

/** An application with its sites, ready to listen. */
export interface ServerApp {
  app: Application;
  /** Stops accepting, lets requests in flight finish within `graceMs`, then stops the sites' child processes. */
  close(graceMs: number): Promise<void>;
}

/** A logger writing warnings and errors to stderr, prefixed with the process id; `quiet` keeps errors only. */
export function stderrLogger(quiet: boolean): Logger {
  const line = (level: string, message: string, meta?: Record<string, unknown>) => {
    const details = meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
    process.stderr.write(`sluice[${process.pid}] ${level}: ${message}${details}\n`);
  };
  return {
    info: () => {},
    warn: (message, meta) => {
      if (!quiet) line('warn', message, meta);
    },
    error: (message, meta) => line('error', message, meta),
  };
}

/**
 * Builds the application for `config` and waits for its sites to be ready
 * (a WSGI app that cannot be imported rejects with a `ConfigError`).
 */
export async function buildServerApp(config: ResolvedConfig): Promise<ServerApp> {
  const logger = stderrLogger(config.quiet);
  const fallback = buildSite(config.site, '', logger);
  const hosts = config.hosts.map(([pattern, site]) => [pattern, buildSite(site, `hosts["${pattern}"]`, logger)] as const);
  const sites: Site[] = [fallback, ...hosts.map(([, site]) => site)];
  const choose = hostChooser(hosts, fallback);
  const app = new Application({
    proxy: config.proxy,
    // Core decides trust for every request, those it answers before the middleware (TRACE, OPTIONS *) included.
    trustedProxies: config.trustedProxies,
    logger,
    errorHandler: (error, ctx) => choose(ctx).errorHandler(error, ctx),
  });
  if (config.proxy) app.use(trustProxies());
  const logFile = config.accessLog !== null && config.accessLog !== '-' ? createWriteStream(config.accessLog, { flags: 'a' }) : null;
  if (config.accessLog !== null) app.use(accessLog({ stream: logFile ?? process.stdout, format: config.accessLogFormat }));
  if (config.setup !== null) {
    try {
      await config.setup(app);
    } catch (error) {
      throw new ConfigError(`the config file's setup function failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  }
  for (const [path, handler, options] of config.websocket) {
    try {
      app.use(websocket(path, handler, options));
    } catch (error) {
      throw new ConfigError(`websocket["${path}"]: ${(error as Error).message}`, { cause: error });
    }
  }
  app.use(hosts.length === 0 ? fallback.middleware : virtualHosts(choose));
  const closeSites = (graceMs: number) => Promise.all(sites.map((site) => site.close(graceMs))).then(() => {});
  try {
    await Promise.all(sites.map((site) => site.ready()));
  } catch (error) {
    await closeSites(0);
    throw error;
  }
  return {
    app,
    close: async (graceMs) => {
      const started = Date.now();
      await app.close(graceMs);
      await closeSites(Math.max(0, graceMs - (Date.now() - started)));
      // The last lines are still in the stream's buffer: the process exits right after this.
      if (logFile) await new Promise<void>((resolve) => logFile.end(resolve));
    },
  };
}
