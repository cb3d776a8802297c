/**
 * Reads a configuration file: JSON (validated against the schema) or a JavaScript
 * module (`sluice.config.js`) whose default export is a config object or a setup
 * function that receives the app. Must never let a loading failure escape as
 * anything but a `ConfigError` naming the file.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertValidConfig } from './config-schema.js';
import type { ServerConfig } from './config-types.js';
import { ConfigError } from './errors.js';

/** A loaded file: its configuration and the directory its relative paths start from. */
export interface ConfigFile {
  file: string;
  dir: string;
  config: ServerConfig;
}

/**
 * Loads and validates `file` (resolved against `cwd`). JavaScript modules are imported
 * afresh on every call, so a reload (SIGHUP) sees the edited file.
 */
export async function loadConfigFile(file: string, cwd: string): Promise<ConfigFile> {
  const absolute = path.resolve(cwd, file);
  const where = `config file "${file}": `;
  const ext = path.extname(absolute);
  let config: ServerConfig;
  if (ext === '.json') {
    config = await readJson(absolute, file, where);
    assertValidConfig(config, where);
  } else if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    config = await importModule(absolute, file, where);
  } else {
    throw new ConfigError(`${where}expected a .json, .js, .mjs or .cjs file`);
  }
  return { file: absolute, dir: path.dirname(absolute), config };
}

async function readJson(absolute: string, file: string, where: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  try {
    return JSON.parse(text) as ServerConfig;
  } catch (error) {
    throw new ConfigError(`${where}not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

async function importModule(absolute: string, file: string, where: string): Promise<ServerConfig> {
  let exported: unknown;
  try {
    // The query defeats the module cache: a reload must see the file as it is now.
    const module = (await import(`${pathToFileURL(absolute).href}?load=${Date.now()}-${Math.random()}`)) as { default?: unknown };
    exported = module.default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(absolute)) {
      throw new ConfigError(`config file "${file}" not found`, { cause: error });
    }
    throw new ConfigError(`${where}failed to load: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  if (typeof exported === 'function') return { setup: exported as ServerConfig['setup'] };
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw new ConfigError(`${where}the default export must be a config object or a function receiving the app`);
  }
  const { setup, websocket, ...rest } = exported as ServerConfig;
  if (setup !== undefined && typeof setup !== 'function') throw new ConfigError(`${where}setup must be a function receiving the app`);
  if (websocket !== undefined) checkWebSocketMounts(websocket, where);
  assertValidConfig(rest, where);
  return { ...rest, ...(setup === undefined ? {} : { setup }), ...(websocket === undefined ? {} : { websocket }) };
}

/** `websocket`: an object of exact paths to a handler function or `{ handler, options }`. */
function checkWebSocketMounts(mounts: unknown, where: string): void {
  if (typeof mounts !== 'object' || mounts === null || Array.isArray(mounts)) {
    throw new ConfigError(`${where}websocket must be an object of paths to handlers`);
  }
  for (const [path, mount] of Object.entries(mounts)) {
    if (!path.startsWith('/')) throw new ConfigError(`${where}"${path}" in websocket is not a URL path starting with "/"`);
    const handler = typeof mount === 'function' ? mount : (mount as { handler?: unknown } | null)?.handler;
    if (typeof handler !== 'function') {
      throw new ConfigError(`${where}websocket["${path}"] must be a function (socket, ctx) or { handler, options }`);
    }
  }
}
