/**
 * Builds a program's environment: the RFC 3875 §4.1 meta-variables, the request
 * headers as HTTP_*, and only the configured part of the server's own environment.
 * Must never pass `Proxy` (httpoxy), header names containing "_" (spoofing of
 * "X-Foo" by "X_Foo"), or Authorization unless explicitly allowed.
 */

import type { Context } from '@sluice/core';
import type { ResolvedOptions } from './options.js';
import type { Script } from './script-resolver.js';

// Headers that already have a meta-variable, or must never reach a program.
const SKIPPED_HEADERS = new Set(['content-type', 'content-length', 'proxy', 'connection', 'transfer-encoding', 'te', 'upgrade', 'keep-alive', 'trailer']);

/** What the environment needs to know about the request body. */
export interface BodyFacts {
  /** Bytes the program will read on stdin, or -1 when there is no body. */
  readonly length: number;
}

// Every meta-variable cgiEnvironment may set: a configured variable of the same name gives way.
const META_VARIABLES = new Set([
  'AUTH_TYPE', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'GATEWAY_INTERFACE', 'PATH_INFO', 'PATH_TRANSLATED', 'QUERY_STRING',
  'REMOTE_ADDR', 'REMOTE_HOST', 'REMOTE_PORT', 'REMOTE_USER', 'REQUEST_METHOD', 'SCRIPT_NAME', 'SCRIPT_FILENAME',
  'SERVER_NAME', 'SERVER_ADDR', 'SERVER_PORT', 'SERVER_PROTOCOL', 'SERVER_SOFTWARE', 'REQUEST_URI', 'DOCUMENT_ROOT',
  'REQUEST_SCHEME', 'HTTPS', 'REDIRECT_STATUS',
]);

/** The configured part of every program's environment, as `NAME=value` entries (computed once). */
export interface BaseEnvironment {
  readonly entries: readonly string[];
  /** Configured names a request may also set (HTTP_* or a meta-variable): the request's value wins. */
  readonly shadowable: ReadonlySet<string>;
}

/** The base every program starts from: PATH, `passEnv` and `env`. */
export function baseEnvironment(options: ResolvedOptions): BaseEnvironment {
  const env: Record<string, string> = { PATH: options.path };
  for (const name of options.passEnv) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  const names = Object.keys(env);
  return {
    entries: names.map((name) => `${name}=${env[name]}`),
    shadowable: new Set(names.filter((name) => name.startsWith('HTTP_') || META_VARIABLES.has(name))),
  };
}

/**
 * The complete environment of one request's program, as `NAME=value` entries with
 * unique names. Built as a list, not an object: this runs for every request, and an
 * object of ~35 computed keys costs ~10 KB of allocation and a string-table insertion
 * per key (bench/README.md, cgi).
 */
export function cgiEnvironment(ctx: Context, script: Script, body: BodyFacts, base: BaseEnvironment, options: ResolvedOptions): string[] {
  const env: string[] = [];
  const headers = ctx.headers;
  for (const name in headers) {
    if (SKIPPED_HEADERS.has(name) || name.includes('_')) continue;
    if (name === 'authorization' && !options.passAuthorization) continue;
    const value = headers[name];
    env.push(`HTTP_${name.toUpperCase().replaceAll('-', '_')}=${Array.isArray(value) ? value.join(', ') : value}`);
  }
  const socket = ctx.socket;
  const authorization = ctx.get('Authorization');
  const remoteUser = ctx.state.remoteUser;
  const authType = ctx.state.authType;
  // RFC 3875 §4.1, in the section's order.
  if (typeof authType === 'string') env.push(`AUTH_TYPE=${authType}`);
  else if (authorization) env.push(`AUTH_TYPE=${authorization.split(' ', 1)[0]}`);
  if (body.length >= 0) env.push(`CONTENT_LENGTH=${body.length}`);
  const contentType = ctx.get('Content-Type');
  if (contentType) env.push(`CONTENT_TYPE=${contentType}`);
  env.push('GATEWAY_INTERFACE=CGI/1.1');
  if (script.pathInfo !== '') env.push(`PATH_INFO=${script.pathInfo}`, `PATH_TRANSLATED=${script.documentRoot}${script.pathInfo}`);
  const ip = ctx.ip;
  env.push(`QUERY_STRING=${ctx.querystring}`, `REMOTE_ADDR=${ip}`, `REMOTE_HOST=${ip}`, `REMOTE_PORT=${socket.remotePort}`);
  if (typeof remoteUser === 'string') env.push(`REMOTE_USER=${remoteUser}`);
  env.push(
    `REQUEST_METHOD=${ctx.method}`,
    `SCRIPT_NAME=${script.scriptName}`,
    `SCRIPT_FILENAME=${script.file}`,
    `SERVER_NAME=${ctx.hostname || hostOf(socket.localAddress)}`,
    `SERVER_ADDR=${socket.localAddress}`,
    `SERVER_PORT=${socket.localPort}`,
    // RFC 3875 §4.1.16: the protocol the request came over; HTTP/2 by its RFC 9113 name, "HTTP/2".
    ctx.request.httpVersion === '2.0' ? 'SERVER_PROTOCOL=HTTP/2' : 'SERVER_PROTOCOL=HTTP/' + ctx.request.httpVersion,
    `SERVER_SOFTWARE=${options.serverSoftware}`,
    // Not in RFC 3875 but expected by real programs (Apache and lighttpd set them).
    `REQUEST_URI=${ctx.url}`,
    `DOCUMENT_ROOT=${script.documentRoot}`,
    ctx.secure ? 'REQUEST_SCHEME=https' : 'REQUEST_SCHEME=http',
  );
  if (ctx.secure) env.push('HTTPS=on');
  env.push('REDIRECT_STATUS=200');
  if (base.shadowable.size === 0) {
    for (const entry of base.entries) env.push(entry);
    return env;
  }
  // Configured so that names collide (rare): the request's value wins, as it always did.
  const defined = new Set(env.map((entry) => entry.slice(0, entry.indexOf('='))));
  for (const entry of base.entries) if (!defined.has(entry.slice(0, entry.indexOf('=')))) env.push(entry);
  return env;
}

function hostOf(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
