import { formatIPv6, KokoError, parseInterfaceAddress, parseIPv4, parseIPv6, quote, type AddressFamily } from '@koko/core';

/** A range that suggested point-to-point address pairs come from, such as 192.0.2.0/24 cut into /30s. */
export interface AddressPool {
  family: AddressFamily;
  /** First address of the range. */
  network: bigint;
  /** Prefix length of the range. */
  prefix: number;
  /** Prefix length of each pair's subnet. */
  pairPrefix: number;
}

/**
 * Documentation ranges, which no real network routes (RFC 5737 for IPv4, RFC 3849 for IPv6).
 * Suggested addresses go only on interfaces inside a lab's namespaces, so any range works there;
 * these keep a lab from taking addresses that exist elsewhere.
 */
export const DEFAULT_IPV4_POOL = '192.0.2.0/24';
export const DEFAULT_IPV6_POOL = '2001:db8::/32';
export const DEFAULT_IPV4_PAIR_PREFIX = 30;
export const DEFAULT_IPV6_PAIR_PREFIX = 64;

/** Pair sizes on offer: a /30 or /64 with the first two host addresses, or a /31 (RFC 3021) or /127 (RFC 6164) with both. */
export const PAIR_PREFIXES: Record<AddressFamily, readonly number[]> = { 4: [30, 31], 6: [64, 127] };

const BITS: Record<AddressFamily, number> = { 4: 32, 6: 128 };

export function addressToBigInt(family: AddressFamily, address: string): bigint {
  if (family === 4) {
    const bytes = parseIPv4(address);
    if (!bytes) throw new KokoError('invalid', `${quote(address)} is not an IPv4 address`);
    return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
  }
  const groups = parseIPv6(address);
  if (!groups) throw new KokoError('invalid', `${quote(address)} is not an IPv6 address`);
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

export function bigIntToAddress(family: AddressFamily, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  return formatIPv6(groups);
}

function subnetStart(family: AddressFamily, value: bigint, prefix: number): bigint {
  const hostBits = BigInt(BITS[family] - prefix);
  return (value >> hostBits) << hostBits;
}

/** Parses a pool such as `192.0.2.0/24` with its pair size; throws KokoError('invalid') naming the problem. */
export function parseAddressPool(text: string, pairPrefix: number, family: AddressFamily): AddressPool {
  const what = family === 4 ? 'IPv4' : 'IPv6';
  let parsed;
  try {
    parsed = parseInterfaceAddress(text);
  } catch (error) {
    throw new KokoError('invalid', `${what} pool: ${(error as Error).message}`);
  }
  if (parsed.family !== family) throw new KokoError('invalid', `${what} pool ${quote(text)} is not an ${what} range`);
  if (!PAIR_PREFIXES[family].includes(pairPrefix)) {
    throw new KokoError('invalid', `${what} pair prefix /${pairPrefix} is not offered; use /${PAIR_PREFIXES[family].join(' or /')}`);
  }
  if (parsed.prefix > pairPrefix) {
    throw new KokoError('invalid', `${what} pool ${quote(text)} is smaller than one /${pairPrefix} pair; use a prefix of /${pairPrefix} or shorter`);
  }

  const value = addressToBigInt(family, parsed.address);
  const network = subnetStart(family, value, parsed.prefix);
  if (network !== value) {
    throw new KokoError('invalid', `${what} pool ${quote(text)} has host bits set; write the range as ${bigIntToAddress(family, network)}/${parsed.prefix}`);
  }
  return { family, network, prefix: parsed.prefix, pairPrefix };
}

/** Returns the two addresses of the pair subnet at `start`: the first two hosts of a /30 or /64, both addresses of a /31 or /127. */
function pairAt(pool: AddressPool, start: bigint): [string, string] {
  const first = pool.pairPrefix === BITS[pool.family] - 1 ? start : start + 1n;
  const text = (value: bigint) => `${bigIntToAddress(pool.family, value)}/${pool.pairPrefix}`;
  return [text(first), text(first + 1n)];
}

/**
 * Returns the first pair of the pool whose subnet contains none of `used` (interface addresses such
 * as `192.0.2.1/30`; other families are ignored), or undefined when every pair is taken.
 */
export function firstFreePair(pool: AddressPool, used: string[]): [string, string] | undefined {
  const taken = new Set<bigint>();
  for (const text of used) {
    let parsed;
    try {
      parsed = parseInterfaceAddress(text);
    } catch {
      continue;
    }
    if (parsed.family !== pool.family) continue;
    taken.add(subnetStart(pool.family, addressToBigInt(pool.family, parsed.address), pool.pairPrefix));
  }

  const step = 1n << BigInt(BITS[pool.family] - pool.pairPrefix);
  const count = 1n << BigInt(pool.pairPrefix - pool.prefix);
  // At most taken.size + 1 iterations, however large the pool.
  for (let index = 0n; index < count; index++) {
    const start = pool.network + index * step;
    if (!taken.has(start)) return pairAt(pool, start);
  }
  return undefined;
}
