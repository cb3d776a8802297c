/**
 * The access-log middleware: one Common or Combined Log Format line (or JSON object with the
 * same fields) per request, with the response time in milliseconds, written to a stream when the
 * response is finished or abandoned. Off unless `app.use(accessLog())`. Must never
 * delay or alter a response, and never let a client's bytes break a log line.
 */

import type { Writable } from 'node:stream';
import type { Context } from './context.js';
import type { Middleware } from './application.js';
import { coreError, type SluiceError } from './errors.js';
import { kExchange, kSeesEveryRequest } from './symbols.js';
import { httpVersionOf } from './http-version.js';

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /** Where lines go. Default: `process.stdout`. */
  stream?: Writable;
  /**
   * `'common'` (CLF), `'combined'` (CLF plus Referer and User-Agent), or `'json'`: one JSON object
   * per line with the combined fields (`remoteAddr`, `remoteUser`, `time` in ISO 8601, `request`,
   * `status`, `bytes`, `referer`, `userAgent`, `responseTimeMs`; absent values are null). Default `'combined'`.
   */
  format?: AccessLogFormat;
  /** Append the response time in milliseconds (3 decimals) as a last field. Default true. */
  responseTime?: boolean;
  /**
   * Lines waiting in a slow stream, in bytes, beyond which new lines are dropped (and
   * counted) instead of growing memory. Default 4 MiB.
   */
  maxBufferedBytes?: number;
}

/** The line formats of {@link accessLog}. */
export type AccessLogFormat = 'common' | 'combined' | 'json';

const FORMATS: readonly string[] = ['common', 'combined', 'json'] satisfies AccessLogFormat[];
const defaults: Required<Omit<AccessLogOptions, 'stream'>> = { format: 'combined', responseTime: true, maxBufferedBytes: 4 * 1024 * 1024 };
const KNOWN_OPTIONS = new Set(['stream', 'format', 'responseTime', 'maxBufferedBytes']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Logs every request in Common or Combined Log Format, plus the response time:
 * `127.0.0.1 - alice [28/Nov/2026:08:15:38 +0000] "GET /a?b=1 HTTP/1.1" 200 11 "-" "curl/8.0" 0.412`.
 * The time is when the request arrived; the status and byte count are what was actually sent; an abandoned response
 * (client gone, error after headers) logs the status sent and the bytes so far.
 * Requests sluice answers without running the chain (TRACE refused, `OPTIONS *`,
 * malformed requests) are logged too.
 * @example
 * app.use(accessLog({ stream: fs.createWriteStream('access.log', { flags: 'a' }), format: 'common' }));
 */
export function accessLog(options: AccessLogOptions = {}): Middleware {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw badOption(`unknown accessLog option "${key}"`);
  }
  const format = options.format ?? defaults.format;
  if (!FORMATS.includes(format)) throw badOption(`accessLog option "format" must be "common", "combined" or "json", not ${JSON.stringify(format)}`);
  const responseTime = options.responseTime ?? defaults.responseTime;
  const maxBufferedBytes = options.maxBufferedBytes ?? defaults.maxBufferedBytes;
  if (typeof maxBufferedBytes !== 'number' || !(maxBufferedBytes >= 0)) throw badOption('accessLog option "maxBufferedBytes" must be a non-negative number');
  const stream = options.stream ?? process.stdout;
  // A failing log stream (disk full, closed pipe) must not take the server down: warn once, stop logging.
  let failed = false;
  let dropped = 0;
  stream.on('error', (error: Error) => {
    if (failed) return;
    failed = true;
    process.emitWarning(`access log stream failed, logging stopped: ${error.message}`, { code: 'SLUICE_ACCESS_LOG_FAILED' });
  });
  const emit = (line: string): void => {
    if (failed) return;
    if (stream.writableLength > maxBufferedBytes) {
      if (dropped++ === 0) process.emitWarning('access log stream is too slow: lines are being dropped', { code: 'SLUICE_ACCESS_LOG_DROPPING' });
      return;
    }
    if (dropped > 0) {
      line = `# sluice access log: ${dropped} line(s) dropped, the stream was too slow\n` + line;
      dropped = 0;
    }
    stream.write(line);
  };

  // Contexts already logged: an internal redirect (`ctx.app.dispatch`: a CGI local redirect,
  // a script index) runs the chain again, and a request is still one line.
  const seen = new WeakSet<Context>();
  const middleware = async function accessLogMiddleware(ctx: Context, next: () => Promise<void>): Promise<void> {
    if (seen.has(ctx)) return next();
    seen.add(ctx);
    const started = process.hrtime.bigint();
    // Captured now: later middleware may rewrite ctx.method and ctx.url.
    const exchange = ctx[kExchange];
    const request = exchange.request;
    // An unparseable request has no request line to show: "-" as Apache logs it.
    const requestLine = request.method === '' ? '-' : `${request.method} ${request.target} HTTP/${httpVersionOf(request)}`;
    let written = false;
    const write = (): void => {
      if (written) return;
      written = true;
      const elapsedMs = responseTime ? Number(process.hrtime.bigint() - started) / 1e6 : -1;
      emit(format === 'json' ? jsonLine(ctx, requestLine, elapsedMs) : formatLine(ctx, requestLine, format === 'combined', elapsedMs));
    };
    exchange.onFinish(write);
    exchange.onClose(write);
    await next();
  };
  // Also called for requests answered without the chain: TRACE refused, OPTIONS *, malformed requests.
  return Object.assign(middleware, { [kSeesEveryRequest]: true });
}

function formatLine(ctx: Context, requestLine: string, combined: boolean, elapsedMs: number): string {
  const exchange = ctx[kExchange];
  const status = exchange.status === 0 ? '-' : String(exchange.status);
  const bytes = exchange.bytesWritten > 0 ? String(exchange.bytesWritten) : '-';
  let line = `${field(ctx.ip)} - ${field(basicUser(ctx.get('Authorization')))} [${clfDate(new Date(exchange.startTime))}] "${escapeField(requestLine)}" ${status} ${bytes}`;
  if (combined) line += ` "${escapeField(ctx.get('Referer')) || '-'}" "${escapeField(ctx.get('User-Agent')) || '-'}"`;
  if (elapsedMs >= 0) line += ' ' + elapsedMs.toFixed(3);
  return line + '\n';
}

/** The combined fields as one JSON object (JSON escapes quotes and controls: one request, one line). */
function jsonLine(ctx: Context, requestLine: string, elapsedMs: number): string {
  const exchange = ctx[kExchange];
  const entry = {
    remoteAddr: ctx.ip || null,
    remoteUser: basicUser(ctx.get('Authorization')) || null,
    time: new Date(exchange.startTime).toISOString(),
    request: requestLine === '-' ? null : requestLine,
    status: exchange.status === 0 ? null : exchange.status,
    bytes: exchange.bytesWritten > 0 ? exchange.bytesWritten : null,
    referer: ctx.get('Referer') || null,
    userAgent: ctx.get('User-Agent') || null,
    ...(elapsedMs >= 0 ? { responseTimeMs: Math.round(elapsedMs * 1000) / 1000 } : {}),
  };
  return JSON.stringify(entry) + '\n';
}

/** The user name of Basic credentials, else ''. */
function basicUser(authorization: string): string {
  if (authorization.slice(0, 6).toLowerCase() !== 'basic ') return '';
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(0, colon);
}

function field(value: string): string {
  return value ? escapeField(value).replace(/ /g, '\\x20') : '-';
}

// Printable ASCII except `"` and `\\`: what may appear in a log field as is.
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** Quotes, backslashes, controls and non-ASCII as `\xHH`, as Apache does: one request, one line. */
function escapeField(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) out += ch;
    else if (code <= 0xff) out += hexByte(code);
    else for (const byte of Buffer.from(ch, 'utf8')) out += hexByte(byte);
  }
  return out;
}

function hexByte(byte: number): string {
  return '\\x' + byte.toString(16).padStart(2, '0');
}

/** `10/Oct/2000:13:55:36 +0000` (UTC). */
function clfDate(date: Date): string {
  const pad = (n: number): string => (n < 10 ? '0' + n : String(n));
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function badOption(message: string): SluiceError {
  return coreError('BAD_OPTION', message);
}
