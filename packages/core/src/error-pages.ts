/**
 * Custom error pages per status (`errorPages: { 404: 'public/404.html', 500: fn, '5xx': ... }`),
 * layered over an error renderer: a page for the exact status wins, then one for its
 * class, else the renderer underneath answers. A page goes only to a client that accepts
 * its type over JSON (unless negotiation is off): an API client asking for JSON gets the
 * renderer's JSON. Files are checked when the app is built and read when rendered. Must never expose an error's message on its own:
 * a page function decides what to show.
 */

import { readFile, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Body } from './body-types.js';
import type { Context } from './context.js';
import { defaultErrorHandler, type ErrorHandler, type HttpErrorLike } from './error-handler.js';
import { coreError, type SluiceError } from './errors.js';

const readFileAsync = promisify(readFile);

/** A page function: sets `ctx.body` itself or returns the body; returning nothing falls back. */
export type ErrorPageFunction = (error: HttpErrorLike, ctx: Context) => Body | void | Promise<Body | void>;

/** An error page: a file path (served with a type from its extension) or a function. */
export type ErrorPage = string | ErrorPageFunction;

/** Pages keyed by status (`404`) or class (`'4xx'`, `'5xx'`). */
export type ErrorPages = Record<number | string, ErrorPage>;

const CLASS_KEYS = new Set(['4xx', '5xx']);

/**
 * Checks `pages` (keys are 400–599 or '4xx'/'5xx'; files must exist) and returns them
 * with file paths made absolute. Throws naming the bad key.
 */
export function validateErrorPages(pages: ErrorPages): Map<string, ErrorPage> {
  const out = new Map<string, ErrorPage>();
  for (const [key, page] of Object.entries(pages)) {
    const status = Number(key);
    if (!CLASS_KEYS.has(key) && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
      throw badOption(`errorPages key "${key}" must be a status from 400 to 599, "4xx" or "5xx"`);
    }
    if (typeof page === 'function') {
      out.set(key, page);
      continue;
    }
    if (typeof page !== 'string') throw badOption(`errorPages["${key}"] must be a file path or a function`);
    const path = resolve(page);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      // reported below
    }
    if (!isFile) throw badOption(`errorPages["${key}"]: ${path} is not a readable file`);
    out.set(key, path);
  }
  return out;
}

/**
 * An error renderer that answers with the configured page and falls back to `fallback`.
 * With `negotiate`, a page is used only when the client's `Accept` prefers its type
 * (from a file's extension; HTML for a function) to JSON, or says nothing.
 */
export function withErrorPages(pages: Map<string, ErrorPage>, fallback: ErrorHandler, negotiate = true): ErrorHandler {
  return async (error, ctx) => {
    const status = ctx.status;
    const page = pages.get(String(status)) ?? pages.get(`${Math.floor(status / 100)}xx`);
    if (page === undefined) return fallback(error, ctx);
    if (negotiate) {
      const pageType = typeof page === 'string' ? extname(page).slice(1) || 'html' : 'html';
      if (ctx.accepts(pageType, 'json') !== pageType) return fallback(error, ctx);
    }
    if (typeof page === 'string') {
      ctx.type = extname(page) || 'html';
      ctx.body = await readFileAsync(page);
      ctx.status = status;
      return;
    }
    const returned = await page(error, ctx);
    if (returned !== undefined) ctx.body = returned;
    if (ctx.body === undefined) return fallback(error, ctx);
  };
}

/**
 * The renderer `errorPages` builds, for use outside an Application's options (e.g. one
 * set of pages per virtual host): pages checked now, `fallback` underneath. `negotiate`
 * (default true) sends a page only to clients that accept its type over JSON.
 * @example
 * const render = createErrorPagesHandler({ 404: 'site/404.html' });
 * const app = new Application({ errorHandler: (err, ctx) => render(err, ctx) });
 */
export function createErrorPagesHandler(pages: ErrorPages, fallback: ErrorHandler = defaultErrorHandler, negotiate = true): ErrorHandler {
  return withErrorPages(validateErrorPages(pages), fallback, negotiate);
}

function badOption(message: string): SluiceError {
  return coreError('BAD_OPTION', message);
}
