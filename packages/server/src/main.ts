/**
 * The `sluice` command: parses the flags, answers --help and --version, resolves
 * and checks the configuration, then hands over to the supervisor. Must never let a
 * stack trace reach the terminal: bad configuration is one line on stderr and exit 2.
 */

import { readFileSync } from 'node:fs';
import { parseCommandLine, usage } from './cli-args.js';
import { resolveConfig } from './config.js';
import { CONFIG_EXIT_CODE, ConfigError } from './errors.js';
import { supervise } from './supervisor.js';

/** The package's version. */
export const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Runs the command with `argv` (without `node` and the script) in `cwd`; resolves with
 * the exit code once the server has stopped (or at once for --help, --version and errors).
 */
export async function main(argv: string[], cwd: string = process.cwd()): Promise<number> {
  try {
    const commandLine = parseCommandLine(argv);
    if (commandLine.help) {
      process.stdout.write(usage);
      return 0;
    }
    if (commandLine.version) {
      process.stdout.write(`sluice ${version}\n`);
      return 0;
    }
    const config = await resolveConfig(commandLine, cwd);
    return await supervise(argv, cwd, config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      return CONFIG_EXIT_CODE;
    }
    process.stderr.write(`sluice: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}
