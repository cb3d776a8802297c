/**
 * Precompressed variants (`file.br`, `file.gz` next to `file`): which encoding a
 * request gets, by Accept-Encoding quality values (negotiator), ties going to the
 * server's preference order. Must never compress anything itself.
 */

import Negotiator from 'negotiator';
import type { Precompressed } from './options.js';

/** The file-name suffix of each variant. */
export const VARIANT_SUFFIX: Readonly<Record<Precompressed, string>> = { br: '.br', gzip: '.gz' };

// negotiator 1.x takes a `preferred` order for ties; its published types predate it.
type EncodingNegotiator = { encodings(available: string[], options: { preferred: readonly string[] }): string[] };

/**
 * The encoding to send among `available` variants and `identity`, or `identity`.
 * A request without Accept-Encoding gets `identity`.
 *
 * @example chooseEncoding('gzip;q=0.8, br', ['br', 'gzip'], ['br', 'gzip']) // 'br'
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly Precompressed[], preferred: readonly Precompressed[]): Precompressed | 'identity' {
  if (acceptEncoding === undefined || acceptEncoding === '') return 'identity';
  const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as unknown as EncodingNegotiator;
  const best = negotiator.encodings([...available, 'identity'], { preferred })[0];
  return best === 'br' || best === 'gzip' ? best : 'identity';
}
