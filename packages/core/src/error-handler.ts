/**
 * The default error renderer: turns an error into a response whose status comes
 * from the error (500 otherwise), whose message is shown only when `expose` is
 * true, and whose representation (text, JSON or HTML) follows the Accept header.
 * A stack trace appears only in development. Replaceable through the
 * `errorHandler` option. Must never write to the exchange: `respond` does.
 */

import statuses from 'statuses';
import type { Context } from './context.js';
import { escapeHtml } from './html.js';

/** An error as the handler sees it: any Error, with http-errors' optional fields. */
export interface HttpErrorLike extends Error {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: string;
  headers?: Record<string, string>;
}

/**
 * Renders `error` into `ctx` (status, headers and body). May be async (e.g. to read an
 * error page). `ctx.status` is already set from the error when it is called.
 */
export type ErrorHandler = (error: HttpErrorLike, ctx: Context) => void | Promise<void>;

/** The status an error maps to: its own if it is a valid 4xx/5xx, 404 for ENOENT, else 500. */
export function errorStatus(error: HttpErrorLike): number {
  let status = error.status ?? error.statusCode;
  if (error.code === 'ENOENT' && status === undefined) status = 404;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) status = 500;
  return status;
}

/** The text a client may see for an error. */
export function publicMessage(error: HttpErrorLike, status: number): string {
  const expose = error.expose ?? status < 500;
  return expose && error.message ? error.message : ((statuses.message as Record<number, string | undefined>)[status] ?? 'Error');
}

/** sluice's own error renderer. */
export const defaultErrorHandler: ErrorHandler = (error, ctx) => {
  const status = ctx.status;
  const message = publicMessage(error, status);
  const stack = ctx.app.env === 'development' && error.stack ? error.stack : undefined;
  const type = ctx.get('Accept') ? ctx.accepts('text', 'json', 'html') : 'text';
  if (type === 'json') {
    ctx.body = stack ? { error: message, status, code: error.code, stack } : { error: message, status, ...(error.code ? { code: error.code } : {}) };
  } else if (type === 'html') {
    const title = `${status} ${escapeHtml((statuses.message as Record<number, string | undefined>)[status] ?? 'Error')}`;
    ctx.body = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1><p>${escapeHtml(message)}</p>${stack ? `<pre>${escapeHtml(stack)}</pre>` : ''}</body></html>\n`;
  } else {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = stack ? `${message}\n\n${stack}\n` : `${message}\n`;
  }
  ctx.status = status;
};
