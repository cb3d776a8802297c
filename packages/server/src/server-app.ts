/**
 * Builds the `Application` a worker serves from a resolved configuration: proxy
 * trust first, then the access log, then the config file's setup hook (custom
 * methods, middleware), then the sites (virtual hosts). Must never listen: the
 * worker does, once every site is ready.
 */

import { Application, type Logger } from '@sluice/core';
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
  const app = new Application({ proxy: config.proxy, logger: stderrLogger(config.quiet) });
  if (config.proxy) app.use(trustProxies(config.trustedProxies));
  if (config.setup !== null) {
    try {
      await config.setup(app);
    } catch (error) {
      throw new ConfigError(`the config file's setup function failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  }
  const fallback = buildSite(config.site);
  const sites: Site[] = [fallback];
  if (config.hosts.length === 0) {
    app.use(fallback.middleware);
  } else {
    const hosts = config.hosts.map(([pattern, site]) => {
      const built = buildSite(site);
      sites.push(built);
      return [pattern, built] as const;
    });
    app.use(virtualHosts(hostChooser(hosts, fallback)));
  }
  const closeSites = () => Promise.all(sites.map((site) => site.close())).then(() => {});
  try {
    await Promise.all(sites.map((site) => site.ready()));
  } catch (error) {
    await closeSites();
    throw error;
  }
  return {
    app,
    close: async (graceMs) => {
      await app.close(graceMs);
      await closeSites();
    },
  };
}
