/**
 * Proxy trust: which peers' X-Forwarded-* headers are believed, and which client addresses a
 * forwarded chain yields. The one place this is decided, for every request, including those
 * the application answers before its middleware (TRACE, `OPTIONS *`). Must never accept a
 * forwarded address that does not parse as an IP address.
 */

import net from 'node:net';

/** Tells whether an address belongs to a list of addresses and CIDR ranges. */
export type AddressMatcher = (address: string) => boolean;

/**
 * Whether `entry` is an IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
 *
 * @example
 * isAddressOrRange('10.0.0.0/8') // true
 * isAddressOrRange('10.0.0.0/33') // false
 */
export function isAddressOrRange(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Returns a predicate telling whether an address belongs to `entries` (addresses or
 * CIDR ranges; IPv4-mapped IPv6 addresses count as IPv4). Throws on an entry that is neither.
 *
 * @example
 * const trusted = addressMatcher(['127.0.0.1', '10.0.0.0/8']);
 * trusted('::ffff:10.1.2.3') // true
 */
export function addressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new net.BlockList();
  for (const entry of entries) {
    if (!isAddressOrRange(entry)) throw new TypeError(`"${entry}" is not an IP address or CIDR range`);
    const [address, bits] = entry.split('/');
    const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = unmapped(address.trim());
    const family = net.isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The addresses of a forwarded chain (`X-Forwarded-For: a, b, c`, closest proxy last) that can be
 * believed: read from the right, it stops before the first entry that is not an IP address (a
 * client wrote it, and everything to its left); with `trusted`, it also stops at the right-most
 * address that is not a trusted proxy (the client), dropping what that client claimed before it.
 *
 * @example
 * forwardedAddresses('6.6.6.6, 198.51.100.1, 10.0.0.2', addressMatcher(['10.0.0.0/8'])) // ['198.51.100.1', '10.0.0.2']
 * forwardedAddresses('6.6.6.6 "forged, 10.0.0.2') // ['10.0.0.2']
 */
export function forwardedAddresses(value: string, trusted?: AddressMatcher): string[] {
  const chain = value.split(',').map((entry) => entry.trim());
  let first = chain.length;
  while (first > 0 && net.isIP(chain[first - 1]) !== 0) {
    first--;
    if (trusted !== undefined && !trusted(chain[first])) break;
  }
  return chain.slice(first);
}
