/**
 * Conditional requests (RFC 9110 §13) for GET and HEAD, evaluated in the order of
 * §13.2.2 as a table: each row names its precondition, when it is skipped, and what
 * a false result means. If-Range (step 5) belongs to range handling (ranges.ts).
 * Must never look at anything but request headers and the file's validators.
 */

import fresh from 'fresh';

/** The validators of the selected representation, as they are sent. */
export interface Validators {
  /** ETag value, or undefined when none is sent. */
  readonly etag: string | undefined;
  /** Last-Modified value, or undefined when none is sent. */
  readonly lastModified: string | undefined;
  /** Last-Modified in ms (whole seconds). */
  readonly lastModifiedMs: number;
}

/** What the preconditions decide. */
export const enum Outcome {
  /** Go on and serve (maybe a range). */
  Proceed,
  /** 304 Not Modified. */
  NotModified,
  /** 412 Precondition Failed. */
  PreconditionFailed,
}

type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

interface PreconditionRow {
  /** The header holding the precondition. */
  readonly field: string;
  /** The row is skipped when this header is present. */
  readonly skippedBy: string | undefined;
  /** True when the precondition holds. */
  readonly holds: (value: string, validators: Validators, headers: RequestHeaders) => boolean;
  /** The answer when it does not. */
  readonly whenFalse: Outcome;
}

/** Splits an entity-tag list (`"a", W/"b"`); our own tags never contain commas. */
function entityTags(value: string): string[] {
  return value.split(',').map((tag) => tag.trim());
}

/** Strong comparison (§8.8.3.2): both tags strong and identical. */
export function strongMatch(tag: string, current: string | undefined): boolean {
  return current !== undefined && !current.startsWith('W/') && tag === current;
}

/** §13.1.1: `*` matches any current representation; otherwise some tag must match strongly. */
function ifMatchHolds(value: string, validators: Validators): boolean {
  if (value.trim() === '*') return true;
  return entityTags(value).some((tag) => strongMatch(tag, validators.etag));
}

/** §13.1.4: not modified since the date; an invalid date is ignored. */
function ifUnmodifiedSinceHolds(value: string, validators: Validators): boolean {
  const date = Date.parse(value);
  return Number.isNaN(date) || validators.lastModifiedMs <= date;
}

/** §13.1.2 (weak comparison, via `fresh`): true when no tag matches. A request `Cache-Control: no-cache` forces a full answer. */
function ifNoneMatchHolds(value: string, validators: Validators, headers: RequestHeaders): boolean {
  return !fresh({ 'if-none-match': value, 'cache-control': headerValue(headers['cache-control']) }, { etag: validators.etag });
}

/** §13.1.3 (via `fresh`): true when modified after the date; an invalid date is ignored. */
function ifModifiedSinceHolds(value: string, validators: Validators, headers: RequestHeaders): boolean {
  return !fresh({ 'if-modified-since': value, 'cache-control': headerValue(headers['cache-control']) }, { 'last-modified': validators.lastModified });
}

/** RFC 9110 §13.2.2, steps 1–4, in order. */
const PRECEDENCE: readonly PreconditionRow[] = [
  // Step 1 (§13.1.1): If-Match false → 412.
  { field: 'if-match', skippedBy: undefined, holds: ifMatchHolds, whenFalse: Outcome.PreconditionFailed },
  // Step 2 (§13.1.4): If-Unmodified-Since, only without If-Match; false → 412.
  { field: 'if-unmodified-since', skippedBy: 'if-match', holds: ifUnmodifiedSinceHolds, whenFalse: Outcome.PreconditionFailed },
  // Step 3 (§13.1.2): If-None-Match false → 304 for GET/HEAD.
  { field: 'if-none-match', skippedBy: undefined, holds: ifNoneMatchHolds, whenFalse: Outcome.NotModified },
  // Step 4 (§13.1.3): If-Modified-Since (GET/HEAD), only without If-None-Match; false → 304.
  { field: 'if-modified-since', skippedBy: 'if-none-match', holds: ifModifiedSinceHolds, whenFalse: Outcome.NotModified },
];

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Evaluates the preconditions of a GET or HEAD request against `validators`.
 *
 * @example evaluatePreconditions(ctx.headers, { etag: '"a-b"', lastModified, lastModifiedMs }) === Outcome.NotModified
 */
export function evaluatePreconditions(headers: RequestHeaders, validators: Validators): Outcome {
  for (const row of PRECEDENCE) {
    const value = headerValue(headers[row.field]);
    if (value === undefined) continue;
    if (row.skippedBy !== undefined && headers[row.skippedBy] !== undefined) continue;
    if (!row.holds(value, validators, headers)) return row.whenFalse;
  }
  return Outcome.Proceed;
}
