/**
 * The shape of a sluice configuration (as written in a file or built from flags)
 * and of the resolved configuration the server runs, plus the defaults, in one place.
 * Must never read files or the environment: `config.ts` does.
 */

import type { AccessLogFormat, Application } from '@sluice/core';
import type { WebSocketHandler, WebSocketOptions } from '@sluice/websocket';

/** What a site serves: one document root with its mounts. Valid at the top level and under `hosts`. */
export interface SiteConfig {
  /**
   * Document root (static files, extension-mapped CGI scripts). Default `.`; but when a
   * WSGI app is mounted and no root is given, no static files are served at all.
   */
  root?: string;
  /** Index file names tried for a directory, in order. Default `['index.html']`. */
  index?: string[];
  /** Directory listing when a directory has no index file. Default false. */
  listing?: boolean;
  /** Extensions tried when a path is not found (`['html']`: `/about` → `about.html`). Default none. */
  extensions?: string[];
  /** Paths with a segment starting with `.`: `ignore` (as if absent), `allow`, `deny` (403). Default `ignore`. */
  dotfiles?: 'ignore' | 'allow' | 'deny';
  /** Serve `file.br` / `file.gz` next to `file`: true (both, br first) or a list in preference order. Default false. */
  precompressed?: boolean | Array<'br' | 'gzip'>;
  /** `Cache-Control: public, max-age=N` on static files. Default 0. */
  maxAgeSeconds?: number;
  /** Add `immutable` to the static files' Cache-Control. Default false. */
  immutable?: boolean;
  /** URL path prefix → Cache-Control value for static files under it (longest prefix wins over maxAgeSeconds/immutable). */
  cacheControl?: Record<string, string>;
  /** Serve files reached through symlinks that lead outside `root`. Default false (403). */
  followSymlinks?: boolean;
  /** Extra media types, extension → type. */
  mime?: Record<string, string>;
  /** CGI directories, URL prefix → directory. */
  cgi?: Record<string, string>;
  /** Extension → interpreter for CGI scripts under `root`. */
  cgiHandlers?: Record<string, string>;
  /** WSGI apps, URL prefix → `module:callable`. */
  wsgi?: Record<string, string>;
  /** Directories prepended to Python's module path. */
  wsgiPath?: string[];
  /** Python worker processes per WSGI app. Default 2. */
  wsgiWorkers?: number;
  /** ASGI apps, URL prefix → `module:attr`. */
  asgi?: Record<string, string>;
  /** Python worker processes (asyncio event loops) per ASGI app. Default 1. */
  asgiWorkers?: number;
  /** Python executable. Default `python3`. */
  python?: string;
  /** Status → HTML file. */
  errorPages?: Record<string, string>;
}

/** A whole configuration: a file's content, flags, or both merged. */
export interface ServerConfig extends SiteConfig {
  /** JSON Schema reference, ignored. */
  $schema?: string;
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Listen port; 0 picks one. Default 8080. */
  port?: number;
  /** Worker processes, or `auto` (one per core). Default 1. */
  workers?: number | 'auto';
  /** PEM certificate file (HTTPS). */
  tlsCert?: string;
  /** PEM key file (HTTPS). */
  tlsKey?: string;
  /** With TLS, offer HTTP/2 by ALPN beside HTTP/1.1. Default true. */
  http2?: boolean;
  /** Without TLS, accept cleartext HTTP/2 (prior knowledge) beside HTTP/1.x. Default false. */
  h2c?: boolean;
  /** Access-log destination: a file, `-` (stdout) or false. */
  accessLog?: string | false;
  /** Access-log line format: `combined` (plus response time), `common` or `json`. Default `combined`. */
  accessLogFormat?: AccessLogFormat;
  /** No `listening on` line, no warnings, no default access log. */
  quiet?: boolean;
  /** Honour X-Forwarded-* from `trustedProxies`. */
  proxy?: boolean;
  /** Proxy addresses or CIDR ranges. Default loopback. */
  trustedProxies?: string[];
  /** Grace period for requests in flight at shutdown or reload, in ms. Default 10000. */
  shutdownGraceMs?: number;
  /** Virtual hosts: name → site. */
  hosts?: Record<string, SiteConfig>;
  /** JavaScript configs only: plugs middleware or custom methods into the app before the sites. */
  setup?: SetupHook;
  /**
   * JavaScript configs only: WebSocket endpoints (@sluice/websocket), exact path → handler
   * `(socket, ctx) => {}` or `{ handler, options }`. Mounted after `setup`, before the sites,
   * for every virtual host.
   */
  websocket?: Record<string, WebSocketMount>;
}

/** A WebSocket endpoint in `sluice.config.js`: a handler, or a handler with @sluice/websocket options. */
export type WebSocketMount = WebSocketHandler | { handler: WebSocketHandler; options?: WebSocketOptions };

/** A function from `sluice.config.js` that receives the app (custom methods, middleware). */
export type SetupHook = (app: Application) => void | Promise<void>;

/** The site keys that are @sluice/static options of the same name and meaning. */
export const staticSiteKeys = ['extensions', 'dotfiles', 'precompressed', 'maxAgeSeconds', 'immutable', 'cacheControl', 'followSymlinks'] as const;

/** What a site sets of {@link staticSiteKeys}. */
export type StaticSiteOptions = Pick<SiteConfig, (typeof staticSiteKeys)[number]>;

/** A site with every key decided and every path absolute. */
export interface ResolvedSite {
  root: string;
  /** Serve static files from `root` (false: a WSGI app is mounted and no root was given). */
  staticFiles: boolean;
  /** Real paths of the WSGI apps' packages or module files: never sent as static files. */
  appSources: string[];
  index: string[];
  listing: boolean;
  /** Static serving options the configuration sets (absent: @sluice/static's defaults). */
  static: StaticSiteOptions;
  mime: Record<string, string>;
  /** Mount prefix (normalised, no trailing slash) → absolute directory. */
  cgi: Record<string, string>;
  cgiHandlers: Record<string, string>;
  /** Mount prefix (normalised) → `module:callable`. */
  wsgi: Record<string, string>;
  wsgiPath: string[];
  wsgiWorkers: number;
  /** Mount prefix (normalised) → `module:attr`. */
  asgi: Record<string, string>;
  asgiWorkers: number;
  python: string;
  /** Status (or `4xx`, `5xx`) → absolute file. */
  errorPages: Record<string, string>;
}

/** What a worker runs: every key decided, every path absolute, every file checked. */
export interface ResolvedConfig {
  host: string;
  port: number;
  workers: number;
  tls: { cert: string; key: string } | null;
  /** HTTP/2 by ALPN on the TLS port. */
  http2: boolean;
  /** Cleartext HTTP/2 with prior knowledge on the plain port. */
  h2c: boolean;
  /** Absolute file, `-` for stdout, or null for none. */
  accessLog: string | null;
  accessLogFormat: AccessLogFormat;
  quiet: boolean;
  proxy: boolean;
  trustedProxies: string[];
  shutdownGraceMs: number;
  /** The site for requests no host entry claims. */
  site: ResolvedSite;
  /** Host pattern (lowercase) → site, in declaration order. */
  hosts: Array<[pattern: string, site: ResolvedSite]>;
  setup: SetupHook | null;
  /** WebSocket endpoints: path, handler, options. */
  websocket: Array<[path: string, handler: WebSocketHandler, options: WebSocketOptions | undefined]>;
  /** What the server says at startup about what it will not serve (one line each). */
  notices: string[];
}

/** The defaults, in one place. */
export const defaults = {
  host: '127.0.0.1',
  port: 8080,
  workers: 1,
  root: '.',
  index: ['index.html'],
  listing: false,
  accessLogFormat: 'combined',
  wsgiWorkers: 2,
  asgiWorkers: 1,
  python: 'python3',
  trustedProxies: ['127.0.0.1', '::1'],
  shutdownGraceMs: 10_000,
  // As Caddy: HTTPS speaks HTTP/2 unless told not to; cleartext HTTP/2 only when asked (as nginx).
  http2: true,
  h2c: false,
} as const;

/** Site keys a host entry inherits from the top level when it omits them (mounts belong to their host). */
export const inheritedSiteKeys = ['root', 'index', 'listing', ...staticSiteKeys, 'mime', 'cgiHandlers', 'wsgiPath', 'wsgiWorkers', 'asgiWorkers', 'python', 'errorPages'] as const;
