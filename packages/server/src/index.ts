/**
 * `@sluice/server` — the `sluice` command as a library: run it with an argv, or reuse
 * its pieces (configuration resolution, the app builder, the proxy-trust middleware).
 *
 * @packageDocumentation
 * @module @sluice/server
 */

export { main, version } from './main.js';
export { parseCommandLine, usage, type CommandLine } from './cli-args.js';
export { resolveConfig } from './config.js';
export { loadConfigFile, type ConfigFile } from './config-file.js';
export { assertValidConfig, schemaPath } from './config-schema.js';
export { defaults, type ServerConfig, type SiteConfig, type SetupHook, type ResolvedConfig, type ResolvedSite } from './config-types.js';
export { ConfigError, CONFIG_EXIT_CODE, serverErrors, serverErrorRegistry } from './errors.js';
export { buildServerApp, stderrLogger, type ServerApp } from './server-app.js';
export { trustProxies, addressMatcher } from './trusted-proxies.js';
export { hostChooser, virtualHosts, type HostSite } from './virtual-hosts.js';
export { listeningUrl, supervise, Supervisor } from './supervisor.js';
