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

/** The base every program starts from: PATH, `passEnv` and `env` (computed once). */
export function baseEnvironment(options: ResolvedOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: options.path };
  for (const name of options.passEnv) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return Object.assign(env, options.env);
}

/** The complete environment of one request's program. */
export function cgiEnvironment(ctx: Context, script: Script, body: BodyFacts, base: Readonly<Record<string, string>>, options: ResolvedOptions): Record<string, string> {
  const env: Record<string, string> = { ...base };
  const headers = ctx.headers;
  for (const name in headers) {
    if (SKIPPED_HEADERS.has(name) || name.includes('_')) continue;
    if (name === 'authorization' && !options.passAuthorization) continue;
    const value = headers[name];
    env['HTTP_' + name.toUpperCase().replaceAll('-', '_')] = Array.isArray(value) ? value.join(', ') : value;
  }
  const socket = ctx.socket;
  const authorization = ctx.get('Authorization');
  const remoteUser = ctx.state.remoteUser;
  const authType = ctx.state.authType;
  // RFC 3875 §4.1, in the section's order.
  if (typeof authType === 'string') env.AUTH_TYPE = authType;
  else if (authorization) env.AUTH_TYPE = authorization.split(' ', 1)[0];
  if (body.length >= 0) env.CONTENT_LENGTH = String(body.length);
  const contentType = ctx.get('Content-Type');
  if (contentType) env.CONTENT_TYPE = contentType;
  env.GATEWAY_INTERFACE = 'CGI/1.1';
  if (script.pathInfo !== '') {
    env.PATH_INFO = script.pathInfo;
    env.PATH_TRANSLATED = script.documentRoot + script.pathInfo;
  }
  env.QUERY_STRING = ctx.querystring;
  env.REMOTE_ADDR = ctx.ip;
  env.REMOTE_HOST = ctx.ip;
  env.REMOTE_PORT = String(socket.remotePort);
  if (typeof remoteUser === 'string') env.REMOTE_USER = remoteUser;
  env.REQUEST_METHOD = ctx.method;
  env.SCRIPT_NAME = script.scriptName;
  env.SCRIPT_FILENAME = script.file;
  env.SERVER_NAME = ctx.hostname || hostOf(socket.localAddress);
  env.SERVER_ADDR = socket.localAddress;
  env.SERVER_PORT = String(socket.localPort);
  env.SERVER_PROTOCOL = ctx.request.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
  env.SERVER_SOFTWARE = options.serverSoftware;
  // Not in RFC 3875 but expected by real programs (Apache and lighttpd set them).
  env.REQUEST_URI = ctx.url;
  env.DOCUMENT_ROOT = script.documentRoot;
  env.REQUEST_SCHEME = ctx.secure ? 'https' : 'http';
  if (ctx.secure) env.HTTPS = 'on';
  env.REDIRECT_STATUS = '200';
  return env;
}

function hostOf(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
