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

// A suffix-range ("-N"): separator, optional whitespace, "-", digits, then the spec's end.
const SUFFIX_RANGE = /(^|,)(\s*)-(\d+)(?=\s*(?:,|$))/g;

/**
 * §14.1.1: a suffix-length longer than the representation selects all of it (`bytes=-5000` on
 * 1,024 bytes is `0-1023`). range-parser computes a negative first byte and calls it
 * unsatisfiable, so such suffixes are shortened to the size before it parses them.
 * An empty representation is left alone: no byte of it can be selected (416).
 */
function clampSuffixes(specs: string, size: number): string {
  if (size === 0) return specs;
  return specs.replace(SUFFIX_RANGE, (spec: string, separator: string, space: string, digits: string) =>
    Number(digits) > size ? `${separator}${space}-${size}` : spec,
  );
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
  const parsed = rangeParser(size, `bytes=${clampSuffixes(range.slice(equals + 1), size)}`, { combine: true });
  if (parsed === -2) return FULL;
  if (parsed === -1) return UNSATISFIABLE;
  if (parsed.length > maxRanges) return FULL;
  return { kind: 'partial', ranges: parsed.map(({ start, end }) => ({ start, end })) };
}
