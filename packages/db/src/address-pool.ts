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

/** Inclusive range of addresses, as numbers. */
interface AddressRange {
  first: bigint;
  last: bigint;
}

/** Returns the range of the subnet of `text` with `prefix` bits, or of its own prefix; undefined for another family or bad text. */
function rangeOf(family: AddressFamily, text: string, prefix?: number): AddressRange | undefined {
  let parsed;
  try {
    parsed = parseInterfaceAddress(text);
  } catch {
    return undefined;
  }
  if (parsed.family !== family) return undefined;
  const bits = prefix ?? parsed.prefix;
  const first = subnetStart(family, addressToBigInt(family, parsed.address), bits);
  return { first, last: first + (1n << BigInt(BITS[family] - bits)) - 1n };
}

function compareRanges(left: AddressRange, right: AddressRange): number {
  if (left.first === right.first) return 0;
  return left.first < right.first ? -1 : 1;
}

/**
 * Returns the first pair of the pool whose subnet contains none of `used` and overlaps none of
 * `networks`, or undefined when every pair is taken. `used` are link addresses such as
 * `192.0.2.1/30`: each takes the pair subnet it falls in, whatever its own prefix. `networks` are
 * addresses already on the link's nodes, such as a host's `192.0.2.2/24`: each takes its whole
 * subnet, because a second route to it in the same namespace would be ambiguous. Addresses of
 * the other family are ignored.
 */
export function firstFreePair(pool: AddressPool, used: string[], networks: string[] = []): [string, string] | undefined {
  const size = 1n << BigInt(BITS[pool.family] - pool.pairPrefix);
  const blocked = [...used.map((text) => rangeOf(pool.family, text, pool.pairPrefix)), ...networks.map((text) => rangeOf(pool.family, text))];
  const ranges = blocked.filter((range): range is AddressRange => range !== undefined).sort(compareRanges);

  // Walk the blocked ranges in order and move the candidate past each one it overlaps. This takes
  // at most one step per range, however large the pool.
  let candidate = pool.network;
  for (const range of ranges) {
    if (range.last < candidate) continue;
    if (range.first > candidate + size - 1n) break;
    candidate = ((range.last + 1n + size - 1n) / size) * size;
  }
  const poolLast = pool.network + (1n << BigInt(BITS[pool.family] - pool.prefix)) - 1n;
  return candidate + size - 1n <= poolLast ? pairAt(pool, candidate) : undefined;
}

/** Returns the addresses among `networks` whose subnets overlap the pool. */
export function networksInPool(pool: AddressPool, networks: string[]): string[] {
  const poolLast = pool.network + (1n << BigInt(BITS[pool.family] - pool.prefix)) - 1n;
  return networks.filter((text) => {
    const range = rangeOf(pool.family, text);
    return range !== undefined && range.first <= poolLast && range.last >= pool.network;
  });
}
