import { describe, expect, it } from 'vitest';
import { KokoError } from '../src/errors';
import {
  type LinkRequestInput,
  type NodeRef,
  describeNode,
  endpointSchema,
  endpointsOf,
  groupSchema,
  interfaceAddressSchema,
  interfaceRefSchema,
  ipv6MtuProblem,
  linkRequestSchema,
  mtuSchema,
  pidSchema,
  portSchema,
  remoteAddressSchema,
  sameNodeRef,
  vlanIdSchema,
  vniSchema,
} from '../src/model';
import { parseOrThrow } from '../src/validate';

/** Returns the KokoError that parsing `input` with `schema` throws, or fails the test. */
function rejection(schema: Parameters<typeof parseOrThrow>[0], input: unknown): KokoError {
  try {
    parseOrThrow(schema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(KokoError);
    return error as KokoError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

const netnsA: NodeRef = { kind: 'netns', name: 'a' };
const netnsB: NodeRef = { kind: 'netns', name: 'b' };

describe('ranged numbers', () => {
  it.each([
    ['VNI', vniSchema, 1, 16_777_215],
    ['VLAN id', vlanIdSchema, 1, 4094],
    ['UDP port', portSchema, 1, 65_535],
    ['MTU', mtuSchema, 68, 65_535],
    ['PID', pidSchema, 1, 4_194_304],
    ['interface group', groupSchema, 1, 4_294_967_295],
  ])('accepts %s at both limits', (_what, schema, min, max) => {
    expect(schema.parse(min)).toBe(min);
    expect(schema.parse(max)).toBe(max);
  });

  it.each([
    ['VNI', vniSchema, 0, 'from 1 to 16777215'],
    ['VNI', vniSchema, 16_777_216, 'from 1 to 16777215'],
    ['VLAN id', vlanIdSchema, 0, 'from 1 to 4094'],
    ['VLAN id', vlanIdSchema, 4095, 'from 1 to 4094'],
    ['UDP port', portSchema, 0, 'from 1 to 65535'],
    ['UDP port', portSchema, 65_536, 'from 1 to 65535'],
    ['MTU', mtuSchema, 67, 'from 68 to 65535'],
    ['MTU', mtuSchema, 65_536, 'from 68 to 65535'],
    ['PID', pidSchema, 0, 'from 1 to 4194304'],
    ['PID', pidSchema, -1, 'from 1 to 4194304'],
    ['PID', pidSchema, 99_999_999, 'from 1 to 4194304'],
  ])('rejects %s %d', (what, schema, value, range) => {
    const error = rejection(schema, value);
    expect(error.code).toBe('invalid');
    expect(error.message).toBe(`${what} ${value} is out of range; use a whole number ${range}`);
  });

  it('rejects a VNI that is not whole', () => {
    expect(rejection(vniSchema, 1.5).message).toBe('VNI 1.5 is not a whole number; use a whole number from 1 to 16777215');
  });

  it('rejects unknown fields in a link', () => {
    const link = { kind: 'veth', a: { node: { kind: 'netns', name: 'a' }, ifname: 'e1', adresses: ['10.0.0.1/24'] }, b: { node: { kind: 'netns', name: 'b' }, ifname: 'e1' } };
    expect(linkRequestSchema.safeParse(link).success).toBe(false);
  });

  it('rejects a missing macvlan mode', () => {
    const error = rejection(linkRequestSchema, { kind: 'macvlan', parent: 'eth0', endpoint: { node: { kind: 'netns', name: 'a' }, ifname: 'm0' } });
    expect(error.message).toContain('macvlan mode is missing; use one of default, private');
  });

  it('rejects a VNI that is not a number', () => {
    expect(rejection(vniSchema, 'x').message).toBe('VNI "x" is not a number; use a whole number from 1 to 16777215');
  });

  it('rejects a VNI that is infinite', () => {
    expect(rejection(vniSchema, Infinity).message).toBe('VNI "Infinity" is not a number; use a whole number from 1 to 16777215');
  });

  it('rejects a missing VNI', () => {
    const error = rejection(linkRequestSchema, { kind: 'vxlan', endpoint: { node: netnsA, ifname: 'vx0' }, parent: 'eth0', remote: '192.0.2.2' });
    expect(error.message).toBe('vni: VNI is missing');
    expect(error.field).toBe('vni');
  });
});

describe('interfaceAddressSchema', () => {
  it('writes IPv6 addresses in canonical form', () => {
    expect(interfaceAddressSchema.parse('FD00:0:0::1/64')).toBe('fd00::1/64');
  });

  it('keeps IPv4 addresses as given', () => {
    expect(interfaceAddressSchema.parse('10.0.0.1/24')).toBe('10.0.0.1/24');
  });

  it('rejects an address without prefix', () => {
    expect(rejection(interfaceAddressSchema, '10.0.0.1').message).toContain('address "10.0.0.1" has no prefix length');
  });
});

describe('remoteAddressSchema', () => {
  it.each([
    ['192.0.2.2', '192.0.2.2'],
    ['FD00::0:2', 'fd00::2'],
    ['ff::1', 'ff::1'],
    ['fff:1::1', 'fff:1::1'],
    ['223.255.255.255', '223.255.255.255'],
    ['240.0.0.1', '240.0.0.1'],
  ])('accepts unicast %s', (text, canonical) => {
    expect(remoteAddressSchema.parse(text)).toBe(canonical);
  });

  it.each([
    ['IPv4 unspecified', '0.0.0.0'],
    ['IPv6 unspecified', '::'],
    ['IPv6 unspecified in long form', '0:0:0:0:0:0:0:0'],
    ['IPv4 multicast', '224.0.0.1'],
    ['IPv4 multicast top', '239.255.255.255'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 multicast upper case', 'FF05::2'],
    ['IPv4 limited broadcast', '255.255.255.255'],
  ])('rejects %s remote', (_case, text) => {
    const error = rejection(remoteAddressSchema, text);
    expect(error.code).toBe('invalid');
    expect(error.message).toBe(`remote address "${text}" is not a unicast address; give the underlay address of the other host`);
  });

  it.each(['192.0.2', 'fd00:::2', 'host1'])('rejects remote %j that is no address', (text) => {
    expect(rejection(remoteAddressSchema, text).message).toBe(`remote address "${text}" is not an IPv4 or IPv6 address`);
  });

  it('tells to drop the prefix of a remote', () => {
    expect(rejection(remoteAddressSchema, '192.0.2.2/24').message).toBe(
      'remote address "192.0.2.2/24" is not an IPv4 or IPv6 address; give the address without a prefix length',
    );
  });
});

describe('endpointSchema', () => {
  it('defaults to no addresses', () => {
    expect(endpointSchema.parse({ node: netnsA, ifname: 'eth1' })).toEqual({ node: netnsA, ifname: 'eth1', addresses: [] });
  });

  it('accepts several addresses of both families', () => {
    const endpoint = endpointSchema.parse({ node: netnsA, ifname: 'eth1', addresses: ['10.0.0.1/24', '10.0.1.1/24', 'FD00::1/64', 'fd01::1/64'] });
    expect(endpoint.addresses).toEqual(['10.0.0.1/24', '10.0.1.1/24', 'fd00::1/64', 'fd01::1/64']);
  });

  it('rejects a repeated address', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'eth1', addresses: ['10.0.0.1/24', '10.0.0.1/24'] });
    expect(error.message).toBe('address "10.0.0.1/24" is given twice for interface "eth1"; give it once');
    expect(error.field).toBe('addresses');
  });

  it('rejects an IPv6 address repeated in another spelling', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'eth1', addresses: ['fd00::1/64', 'FD00:0::1/64'] });
    expect(error.message).toContain('address "fd00::1/64" is given twice');
  });

  it('rejects one IPv6 address with two prefixes', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'eth1', addresses: ['fd00::1/64', 'fd00::1/48'] });
    expect(error.message).toContain('addresses "fd00::1/64" and "fd00::1/48" give interface "eth1" the same IPv6 address');
  });

  it('accepts one IPv4 address with two prefixes', () => {
    const endpoint = endpointSchema.parse({ node: netnsA, ifname: 'eth1', addresses: ['10.0.0.1/24', '10.0.0.1/16'] });
    expect(endpoint.addresses).toEqual(['10.0.0.1/24', '10.0.0.1/16']);
  });

  it.each(['ingress', 'egress', 'both'] as const)('accepts mirror direction %s', (direction) => {
    const endpoint = endpointSchema.parse({ node: netnsA, ifname: 'tap1', mirror: { direction, source: 'eth1' } });
    expect(endpoint.mirror).toEqual({ direction, source: 'eth1' });
  });

  it('rejects an unknown mirror direction', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'tap1', mirror: { direction: 'sideways', source: 'eth1' } });
    expect(error.message).toBe('mirror direction "sideways" is invalid; use ingress, egress or both');
  });

  it('rejects an endpoint mirroring itself', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'eth1', mirror: { direction: 'both', source: 'eth1' } });
    expect(error.message).toBe('interface eth1 cannot mirror itself; name another interface as the mirror source');
    expect(error.field).toBe('mirror.source');
  });

  it('rejects a bad mirror source name', () => {
    const error = rejection(endpointSchema, { node: netnsA, ifname: 'tap1', mirror: { direction: 'both', source: 'eth 1' } });
    expect(error.message).toContain('interface name "eth 1" contains a space');
  });
});

describe('linkRequestSchema', () => {
  const veth = (a: NodeRef, aName: string, b: NodeRef, bName: string): LinkRequestInput => ({
    kind: 'veth',
    a: { node: a, ifname: aName },
    b: { node: b, ifname: bName },
  });

  it('accepts a veth between two namespaces with one name', () => {
    const link = linkRequestSchema.parse(veth(netnsA, 'eth1', netnsB, 'eth1'));
    expect(endpointsOf(link).map((endpoint) => endpoint.node)).toEqual([netnsA, netnsB]);
  });

  it('accepts a veth inside one namespace with two names', () => {
    expect(linkRequestSchema.parse(veth(netnsA, 'eth1', netnsA, 'eth2')).kind).toBe('veth');
  });

  it.each<[string, NodeRef]>([
    ['netns', netnsA],
    ['container', { kind: 'docker', container: 'r1' }],
    ['PID', { kind: 'pid', pid: 1234 }],
    ['path', { kind: 'path', path: '/run/netns/a' }],
    ['current namespace', { kind: 'current' }],
  ])('rejects a veth with both ends one name in one %s', (_case, node) => {
    const error = rejection(linkRequestSchema, veth(node, 'eth1', node, 'eth1'));
    expect(error.message).toBe('both ends of the veth are eth1 in the same namespace; give the two ends different names');
    expect(error.field).toBe('b.ifname');
  });

  it('gives a vxlan the IANA port by default', () => {
    const link = linkRequestSchema.parse({ kind: 'vxlan', endpoint: { node: netnsA, ifname: 'vx0' }, parent: 'eth0', remote: '192.0.2.2', vni: 100 });
    expect(link).toMatchObject({ kind: 'vxlan', port: 4789, remote: '192.0.2.2', vni: 100 });
    expect(endpointsOf(link)).toHaveLength(1);
  });

  it('rejects a macvlan mode it does not know', () => {
    const error = rejection(linkRequestSchema, { kind: 'macvlan', endpoint: { node: netnsA, ifname: 'mv0' }, parent: 'eth0', mode: 'bridged' });
    expect(error.message).toBe('macvlan mode "bridged" is invalid; use one of default, private, vepa, bridge, passthru');
  });

  it('reports every problem of a link in one message', () => {
    const error = rejection(linkRequestSchema, veth({ kind: 'netns', name: 'a b' }, 'eth;1', netnsB, 'eth1'));
    expect(error.message).toContain('netns name "a b" contains a space');
    expect(error.message).toContain('interface name "eth;1" contains ";"');
  });

  it('rejects an invalid link id', () => {
    const error = rejection(linkRequestSchema, { ...veth(netnsA, 'eth1', netnsB, 'eth1'), id: 'Lab 1' });
    expect(error.message).toContain('link id "Lab 1" is invalid');
  });
});

describe('interfaceRefSchema', () => {
  it('accepts a node and a name', () => {
    expect(interfaceRefSchema.parse({ node: netnsA, ifname: 'eth1' })).toEqual({ node: netnsA, ifname: 'eth1' });
  });

  it('names the field of an unknown node kind', () => {
    const error = rejection(interfaceRefSchema, { node: { kind: 'vm', name: 'a' }, ifname: 'eth1' });
    expect(error.field).toBe('node.kind');
  });
});

describe('describeNode', () => {
  it.each<[NodeRef, string]>([
    [{ kind: 'docker', container: 'r1' }, 'container "r1"'],
    [{ kind: 'netns', name: 'lab' }, 'netns "lab"'],
    [{ kind: 'pid', pid: 1234 }, 'the namespace of PID 1234'],
    [{ kind: 'path', path: '/run/netns/lab' }, 'namespace file "/run/netns/lab"'],
    [{ kind: 'current' }, 'the current namespace'],
  ])('describes %j', (node, text) => {
    expect(describeNode(node)).toBe(text);
  });

  it('tells nodes of different kinds apart', () => {
    expect(sameNodeRef({ kind: 'docker', container: 'a' }, netnsA)).toBe(false);
    expect(sameNodeRef(netnsA, { kind: 'netns', name: 'a' })).toBe(true);
  });
});

describe('MTU and IPv6', () => {
  const veth = (mtu: number, addresses: string[]) => ({ kind: 'veth', mtu, a: { node: { kind: 'netns', name: 'a' }, ifname: 'e1', addresses }, b: { node: { kind: 'netns', name: 'b' }, ifname: 'e1' } });

  it.each([
    [1000, ['10.0.0.1/24'], true],
    [1279, ['10.0.0.1/24', 'fd00::1/64'], false],
    [1280, ['fd00::1/64'], true],
  ] as const)('MTU %d with %j is accepted: %s', (mtu, addresses, accepted) => {
    const result = linkRequestSchema.safeParse(veth(mtu, [...addresses]));
    expect(result.success).toBe(accepted);
    if (!accepted) expect(result.error?.issues[0]?.message).toBe(ipv6MtuProblem(mtu, [...addresses]));
  });

  it('names the address and the fix', () => {
    expect(ipv6MtuProblem(1000, ['fd00::1/64'])).toBe('MTU 1000 is below 1280, the least an interface with an IPv6 address such as fd00::1/64 takes; give an MTU of 1280 or more, or leave out the IPv6 addresses');
    expect(ipv6MtuProblem(undefined, ['fd00::1/64'])).toBeUndefined();
  });
});
