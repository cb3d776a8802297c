/**
 * @sluice/cgi/spawners — the program spawners on their own, without the middleware: for
 * benchmarks (bench/servers/cgi-spawn-cost.mjs) and diagnostics. Not covered by semver:
 * the `cgi()` middleware is the package's API. Must only re-export.
 */

export { DirectSpawner } from './direct-spawner.js';
export { HelperSpawner } from './spawn-helper/helper-spawner.js';
export { helperCommand, nativeHelper, type HelperCommand } from './spawn-helper/helper-command.js';
export type { HelperSettings } from './spawn-helper/helper-process.js';
export { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from './spawner.js';
