/**
 * Byte ranges (RFC 9110 §14) of one representation: If-Range (§13.1.5, step 5 of
 * §13.2.2), then the Range header parsed by range-parser with overlapping and
 * adjacent ranges merged, and a bound on how many ranges one response may carry.
 * Must never read the file: it only decides which bytes to send.
 */

import rangeParser from 'range-parser';
import { strongMatch, type Validators } from './conditional.js';

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What to send: the whole representation, some ranges, or 416. */
export type RangeDecision =
  | { readonly kind: 'full' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'partial'; readonly ranges: readonly ByteRange[] };

const FULL: RangeDecision = { kind: 'full' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };

/** §13.1.5: an entity tag must match strongly; a date must equal Last-Modified exactly. */
function ifRangeHolds(value: string, validators: Validators): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return strongMatch(trimmed, validators.etag);
  const date = Date.parse(trimmed);
  return validators.lastModified !== undefined && !Number.isNaN(date) && date === validators.lastModifiedMs;
}

/**
 * Decides which bytes of a `size`-byte representation a GET/HEAD asked for.
 * A malformed Range, a unit other than bytes, or more than `maxRanges` ranges after merging are
 * ignored (§14.2 allows it): the whole representation is sent.
 */
export function decideRanges(range: string | undefined, ifRange: string | undefined, size: number, validators: Validators, maxRanges: number): RangeDecision {
  if (range === undefined) return FULL;
  const equals = range.indexOf('=');
  if (equals === -1 || range.slice(0, equals).trim().toLowerCase() !== 'bytes') return FULL;
  if (ifRange !== undefined && !ifRangeHolds(ifRange, validators)) return FULL;
  const parsed = rangeParser(size, range, { combine: true });
  if (parsed === -2) return FULL;
  if (parsed === -1) return UNSATISFIABLE;
  if (parsed.length > maxRanges) return FULL;
  return { kind: 'partial', ranges: parsed.map(({ start, end }) => ({ start, end })) };
}
