/**
 * Validates a configuration (a file's content or the flags) against the published
 * JSON Schema, `schema/sluice.schema.json`, so the schema editors complete from is
 * the one the server enforces. Turns the first violation into one sentence naming
 * the key. Must never accept a key the schema does not list.
 */

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from './errors.js';

/** Absolute path of the published schema. */
export const schemaPath = new URL('../schema/sluice.schema.json', import.meta.url);

const validate = new Ajv({ allErrors: false, strict: true }).compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

/** What a map's keys must look like, by the map's name (for propertyNames violations). */
const keyShapes: Record<string, string> = {
  hosts: 'a host name, "*.domain" or "*"',
  cgi: 'a URL prefix starting with "/"',
  wsgi: 'a URL prefix starting with "/"',
  asgi: 'a URL prefix starting with "/"',
  mime: 'a file extension such as ".wasm"',
  cgiHandlers: 'a file extension such as ".php"',
  errorPages: 'an HTTP error status from 400 to 599, "4xx" or "5xx"',
  cacheControl: 'a URL path prefix starting with "/"',
};

/** What a top-level value must look like, where the schema's own words would be cryptic (alternatives). */
const valueShapes: Record<string, string> = {
  workers: 'a whole number from 1 to 256, or "auto"',
  accessLog: 'a file name, "-" (stdout) or false',
  accessLogFormat: '"combined", "common" or "json"',
  dotfiles: '"ignore", "allow" or "deny"',
  precompressed: 'true, false or a list of "br" and "gzip"',
  host: 'an IP address or host name',
};

/** What an entry of a map or list must look like, by the map's or list's name. */
const entryShapes: Record<string, string> = {
  wsgi: '"module:callable", e.g. "app:application"',
  asgi: '"module:attr", e.g. "main:app"',
  mime: 'a media type such as "application/wasm"',
  index: 'a file name without "/"',
  extensions: 'a file extension such as "html"',
  cacheControl: 'a header value without control characters',
};

/**
 * Throws a `ConfigError` for the first schema violation in `config`, prefixed with `where`
 * (e.g. `config file "sluice.json": `). Function-valued keys (`setup`) are checked by the caller.
 */
export function assertValidConfig(config: unknown, where: string): void {
  if (validate(config)) return;
  const error = (validate.errors ?? [])[0];
  throw new ConfigError(where + (error ? describe(error) : 'invalid configuration'));
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = path.length > 0 ? ` in ${label(path)}` : '';
  if (error.propertyName !== undefined) return `"${error.propertyName}"${at} is not ${keyShapes[path.at(-1) ?? ''] ?? 'a valid key'}`;
  const shape = path.length === 1 ? valueShapes[path[0]] : entryShapes[path.at(-2) ?? ''];
  if (shape !== undefined && error.keyword !== 'additionalProperties') return `${label(path)} must be ${shape}`;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"${at}`;
    case 'type':
      return `${label(path)} must be ${article((error.params as { type: string }).type)}`;
    default:
      return `${label(path)} ${error.message ?? 'is invalid'}`;
  }
}

/** `hosts["a.test"].root`, `cgi["/x"]`, `port`. */
function label(path: string[]): string {
  let out = '';
  for (const segment of path) {
    out += /^[A-Za-z_$][\w$]*$/.test(segment) ? (out ? `.${segment}` : segment) : `[${JSON.stringify(/^\d+$/.test(segment) ? Number(segment) : segment)}]`;
  }
  return out || 'the configuration';
}

function article(type: string): string {
  const noun = type === 'integer' ? 'whole number' : type;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}
