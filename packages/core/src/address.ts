import { quote } from './names';

export type AddressFamily = 4 | 6;

/** An interface address with its prefix length, as `ip addr add` takes it. */
export interface InterfaceAddress {
  family: AddressFamily;
  /** The address in canonical text form (IPv6 compressed, lower case). */
  address: string;
  prefix: number;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses a dotted-quad IPv4 address into its four bytes, or returns undefined. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

/** Parses an IPv6 address (with `::` and an optional trailing IPv4 part) into eight 16-bit groups. */
export function parseIPv6(text: string): number[] | undefined {
  if (text.length === 0 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;

  const parseGroups = (half: string, allowIPv4Tail: boolean): number[] | undefined => {
    if (half === '') return [];
    const groups: number[] = [];
    const parts = half.split(':');
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index] ?? '';
      if (allowIPv4Tail && index === parts.length - 1 && part.includes('.')) {
        const bytes = parseIPv4(part);
        if (!bytes) return undefined;
        groups.push((bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
      } else if (IPV6_GROUP.test(part)) {
        groups.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };

  if (halves.length === 1) {
    const groups = parseGroups(text, true);
    return groups && groups.length === 8 ? groups : undefined;
  }
  const head = parseGroups(halves[0] ?? '', false);
  const tail = parseGroups(halves[1] ?? '', true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Formats eight 16-bit groups as RFC 5952 text: lower case, longest zero run compressed, and an
 * IPv4-mapped address (::ffff:0:0/96) with its last 32 bits in dotted form, as RFC 5952 section 5
 * recommends and as iproute2 prints it.
 */
export function formatIPv6(groups: number[]): string {
  if (isIPv4Mapped(groups)) {
    const low = groups.slice(6).flatMap((group) => [group >> 8, group & 0xff]);
    return `::ffff:${low.join('.')}`;
  }

  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function isIPv4Mapped(groups: number[]): boolean {
  return groups.length === 8 && groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

/** Returns the family of a bare IP address, or undefined when `text` is not one. */
export function ipFamily(text: string): AddressFamily | undefined {
  if (parseIPv4(text)) return 4;
  if (parseIPv6(text)) return 6;
  return undefined;
}

/** Canonical text of a bare IP address, or undefined when `text` is not one. */
export function canonicalIP(text: string): string | undefined {
  if (parseIPv4(text)) return text;
  const groups = parseIPv6(text);
  return groups ? formatIPv6(groups) : undefined;
}

/** Returns why `text` is not an interface address in `address/prefix` form, or undefined. */
export function interfaceAddressProblem(text: string): string | undefined {
  try {
    parseInterfaceAddress(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Parses `10.0.0.1/24` or `fd00::1/64`; throws an Error whose message names the value and the fix. */
export function parseInterfaceAddress(text: string): InterfaceAddress {
  const slash = text.indexOf('/');
  if (slash < 0) {
    return rejectAddress(text, 'has no prefix length; write it as address/prefix, for example 10.0.0.1/24 or fd00::1/64');
  }
  const host = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
    return rejectAddress(text, `has an invalid prefix length ${quote(prefixText)}; write it as a plain number without leading zeros, such as /24 or /64`);
  }
  const prefix = Number(prefixText);

  const scope = parseIPv4(host) || parseIPv6(host) ? addressScope(host) : 'unicast';
  if (scope !== 'unicast') {
    return rejectAddress(text, `is ${scope === 'unspecified' ? 'an' : 'a'} ${scope} address; an interface takes a unicast address such as 10.0.0.1/24 or fd00::1/64`);
  }
  if (parseIPv4(host)) {
    if (prefix > 32) return rejectAddress(text, `has prefix length ${prefix}, over the IPv4 maximum of 32; use 0 to 32`);
    return { family: 4, address: host, prefix };
  }
  const groups = parseIPv6(host);
  if (groups) {
    if (prefix > 128) return rejectAddress(text, `has prefix length ${prefix}, over the IPv6 maximum of 128; use 0 to 128`);
    return { family: 6, address: formatIPv6(groups), prefix };
  }
  return rejectAddress(text, 'is not an IPv4 or IPv6 address; write IPv4 as four numbers 0-255 without leading zeros (10.0.0.1/24) and IPv6 without a zone (fd00::1/64)');
}

function rejectAddress(text: string, reason: string): never {
  throw new Error(`address ${quote(text)} ${reason}`);
}

export function formatInterfaceAddress(address: InterfaceAddress): string {
  return `${address.address}/${address.prefix}`;
}

/** What kind of address an IP is, for the checks that only unicast addresses may pass. */
export type AddressScope = 'unicast' | 'unspecified' | 'loopback' | 'multicast' | 'broadcast';

/** Classifies a bare IP address: unspecified, loopback (127.0.0.0/8, ::1), multicast (224.0.0.0/4, ff00::/8), limited broadcast, or unicast. */
export function addressScope(address: string): AddressScope {
  const ipv4 = parseIPv4(address);
  if (ipv4) {
    const first = ipv4[0]!;
    if (ipv4.every((byte) => byte === 0)) return 'unspecified';
    if (ipv4.every((byte) => byte === 255)) return 'broadcast';
    if (first === 127) return 'loopback';
    if (first >= 224 && first <= 239) return 'multicast';
    return 'unicast';
  }
  const groups = parseIPv6(address) ?? [];
  if (groups.every((group) => group === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return 'loopback';
  if ((groups[0] ?? 0) >> 8 === 0xff) return 'multicast';
  return 'unicast';
}
