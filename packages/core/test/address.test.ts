import { describe, expect, it } from 'vitest';
import {
  canonicalIP,
  formatIPv6,
  formatInterfaceAddress,
  interfaceAddressProblem,
  ipFamily,
  parseIPv4,
  parseIPv6,
  parseInterfaceAddress,
} from '../src/address';

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['10.0.0.1', [10, 0, 0, 1]],
    ['192.0.2.255', [192, 0, 2, 255]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('parses %s', (text, bytes) => {
    expect(parseIPv4(text)).toEqual(bytes);
  });

  it.each([
    ['a part over 255', '300.1.1.1'],
    ['three parts', '1.2.3'],
    ['five parts', '1.2.3.4.5'],
    ['a leading zero', '01.2.3.4'],
    ['an empty part', '1..3.4'],
    ['a trailing dot', '1.2.3.4.'],
    ['a sign', '+1.2.3.4'],
    ['hex', '0x1.2.3.4'],
    ['a space', '1.2.3.4 '],
    ['an empty string', ''],
    ['an IPv6 address', 'fd00::1'],
  ])('rejects %s', (_case, text) => {
    expect(parseIPv4(text)).toBeUndefined();
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['fd00::1', [0xfd00, 0, 0, 0, 0, 0, 0, 1]],
    ['FD00:0:0::1', [0xfd00, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8:0:0:0:0:2:1', [0x2001, 0xdb8, 0, 0, 0, 0, 2, 1]],
    ['1:2:3:4:5:6:7::', [1, 2, 3, 4, 5, 6, 7, 0]],
    ['::2:3:4:5:6:7:8', [0, 2, 3, 4, 5, 6, 7, 8]],
    ['::ffff:192.0.2.1', [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]],
    ['64:ff9b::10.0.0.1', [0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 0x0001]],
    ['0:0:0:0:0:0:1.2.3.4', [0, 0, 0, 0, 0, 0, 0x0102, 0x0304]],
  ])('parses %s', (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it.each([
    ['a triple colon', 'fd00:::1'],
    ['two double colons', 'fd00::1::2'],
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups', '1:2:3:4:5:6:7'],
    ['eight groups and a double colon', '1:2:3:4:5:6:7:8::'],
    ['a group of five digits', 'fd000::1'],
    ['a non-hex digit', 'fg00::1'],
    ['a leading single colon', ':1:2:3:4:5:6:7'],
    ['a trailing single colon', '1:2:3:4:5:6:7:'],
    ['a zone index', 'fe80::1%eth0'],
    ['an IPv4 part before the end', '::1.2.3.4:1'],
    ['a bad IPv4 tail', '::ffff:300.0.0.1'],
    ['a bare IPv4 address', '1.2.3.4'],
    ['an empty string', ''],
    ['a prefix length', 'fd00::1/64'],
  ])('rejects %s', (_case, text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });
});

describe('formatIPv6', () => {
  it.each([
    ['all zeros', [0, 0, 0, 0, 0, 0, 0, 0], '::'],
    ['loopback', [0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    ['a run at the end', [0xfd00, 1, 0, 0, 0, 0, 0, 0], 'fd00:1::'],
    ['lower case hex', [0xfd00, 0xabcd, 0, 0, 0, 0, 0, 0xef], 'fd00:abcd::ef'],
    ['no leading zeros in a group', [0x2001, 0x0db8, 0, 0, 0, 0, 0, 0x0001], '2001:db8::1'],
    ['a single zero group kept', [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'],
    ['the longest run compressed', [0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'],
    ['the first of two equal runs compressed', [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    ['no zero group', [1, 2, 3, 4, 5, 6, 7, 8], '1:2:3:4:5:6:7:8'],
    ['an IPv4-mapped address in dotted form', [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], '::ffff:192.0.2.1'],
    ['an IPv4-compatible address in hex', [0, 0, 0, 0, 0, 0, 0xc000, 0x0201], '::c000:201'],
  ])('writes %s', (_case, groups, text) => {
    expect(formatIPv6(groups)).toBe(text);
  });

  it.each(['::', '::1', 'fd00::1', '2001:db8::1:0:0:1', '2001:db8:0:1:1:1:1:1', '::ffff:10.0.0.1', 'fe80::a:b'])(
    'round-trips %s',
    (text) => {
      expect(formatIPv6(parseIPv6(text)!)).toBe(text);
    },
  );
});

describe('canonicalIP', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['FD00:0:0::1', 'fd00::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::FFFF:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
  ])('canonicalizes %s', (text, canonical) => {
    expect(canonicalIP(text)).toBe(canonical);
  });

  it.each(['300.1.1.1', 'fd00:::1', 'eth0', '', '10.0.0.1/24'])('returns undefined for %j', (text) => {
    expect(canonicalIP(text)).toBeUndefined();
  });
});

describe('ipFamily', () => {
  it.each([
    ['10.0.0.1', 4],
    ['0.0.0.0', 4],
    ['fd00::1', 6],
    ['::', 6],
    ['::ffff:192.0.2.1', 6],
  ])('returns the family of %s', (text, family) => {
    expect(ipFamily(text)).toBe(family);
  });

  it.each(['1.2.3', 'fd00::1::2', 'host', '10.0.0.1/24'])('returns undefined for %j', (text) => {
    expect(ipFamily(text)).toBeUndefined();
  });
});

describe('parseInterfaceAddress', () => {
  it.each([
    ['10.0.0.1/24', { family: 4, address: '10.0.0.1', prefix: 24 }],
    ['10.0.0.1/0', { family: 4, address: '10.0.0.1', prefix: 0 }],
    ['10.0.0.1/32', { family: 4, address: '10.0.0.1', prefix: 32 }],
    ['fd00::1/64', { family: 6, address: 'fd00::1', prefix: 64 }],
    ['FD00:0:0::1/64', { family: 6, address: 'fd00::1', prefix: 64 }],
    ['fd00::1/128', { family: 6, address: 'fd00::1', prefix: 128 }],
  ])('parses %s', (text, parsed) => {
    expect(parseInterfaceAddress(text)).toEqual(parsed);
  });

  it('formats a parsed address back to text', () => {
    expect(formatInterfaceAddress(parseInterfaceAddress('FD00:0:0::1/64'))).toBe('fd00::1/64');
  });

  it.each([
    ['no prefix', '10.0.0.1', 'has no prefix length; write it as address/prefix'],
    ['no IPv6 prefix', 'fd00::1', 'has no prefix length'],
    ['an empty prefix', '10.0.0.1/', 'invalid prefix length ""'],
    ['a prefix with a leading zero', '10.0.0.1/024', 'invalid prefix length "024"'],
    ['a negative prefix', '10.0.0.1/-1', 'invalid prefix length "-1"'],
    ['two slashes', '10.0.0.1/24/8', 'invalid prefix length "24/8"'],
    ['IPv4 prefix 33', '10.0.0.1/33', 'prefix length 33, over the IPv4 maximum of 32; use 0 to 32'],
    ['IPv6 prefix 129', 'fd00::1/129', 'prefix length 129, over the IPv6 maximum of 128; use 0 to 128'],
    ['a part over 255', '300.1.1.1/24', 'is not an IPv4 or IPv6 address'],
    ['three IPv4 parts', '1.2.3/24', 'is not an IPv4 or IPv6 address'],
    ['a triple colon', 'fd00:::1/64', 'is not an IPv4 or IPv6 address'],
    ['two double colons', 'fd00::1::2/64', 'is not an IPv4 or IPv6 address'],
    ['a leading zero', '01.2.3.4/8', 'is not an IPv4 or IPv6 address'],
    ['a host name', 'router/24', 'is not an IPv4 or IPv6 address'],
  ])('rejects %s', (_case, text, reason) => {
    expect(() => parseInterfaceAddress(text)).toThrow(`address ${JSON.stringify(text)}`);
    expect(() => parseInterfaceAddress(text)).toThrow(reason);
  });

  it('reports the problem without throwing', () => {
    expect(interfaceAddressProblem('10.0.0.1/33')).toContain('"10.0.0.1/33"');
    expect(interfaceAddressProblem('10.0.0.1/24')).toBeUndefined();
  });
});

describe('addresses that are not unicast', () => {
  it.each([
    ['0.0.0.0/0', 'unspecified'],
    ['255.255.255.255/32', 'broadcast'],
    ['127.0.0.2/8', 'loopback'],
    ['224.0.0.1/24', 'multicast'],
    ['::/0', 'unspecified'],
    ['::1/128', 'loopback'],
    ['ff02::5/64', 'multicast'],
  ])('rejects %s as %s', (text, scope) => {
    expect(() => parseInterfaceAddress(text)).toThrow(`address "${text}" is ${scope === 'unspecified' ? 'an' : 'a'} ${scope} address; an interface takes a unicast address`);
  });

  it('accepts a link-local IPv6 address', () => {
    expect(parseInterfaceAddress('fe80::1/64')).toEqual({ family: 6, address: 'fe80::1', prefix: 64 });
  });
});
