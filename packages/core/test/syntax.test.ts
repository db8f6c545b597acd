import { describe, expect, it } from 'vitest';
import { KokoError } from '../src/errors';
import type { InterfaceRef, LinkRequest, NodeRef } from '../src/model';
import { type KokoCommand, deleteCommandFor, parseKokoArgs } from '../src/syntax';

type CreateCommand = Extract<KokoCommand, { action: 'create' }>;
type DeleteCommand = Extract<KokoCommand, { action: 'delete' }>;

function create(args: string[]): CreateCommand {
  const command = parseKokoArgs(args);
  expect(command.action).toBe('create');
  return command as CreateCommand;
}

function link<K extends LinkRequest['kind']>(args: string[], kind: K): Extract<LinkRequest, { kind: K }> {
  const { link } = create(args);
  expect(link.kind).toBe(kind);
  return link as Extract<LinkRequest, { kind: K }>;
}

function deletes(args: string[]): InterfaceRef[] {
  const command = parseKokoArgs(args);
  expect(command.action).toBe('delete');
  return (command as DeleteCommand).targets;
}

/** Returns the KokoError that parsing `args` throws, or fails the test. */
function rejection(args: string[]): KokoError {
  try {
    parseKokoArgs(args);
  } catch (error) {
    expect(error).toBeInstanceOf(KokoError);
    return error as KokoError;
  }
  throw new Error(`expected ${JSON.stringify(args)} to be rejected`);
}

const docker = (container: string): NodeRef => ({ kind: 'docker', container });
const netns = (name: string): NodeRef => ({ kind: 'netns', name });

describe('parseKokoArgs veth', () => {
  it('parses the classic comma form', () => {
    const veth = link(['-d', 'c1,eth1,10.0.0.1/24', '-n', 'ns2,eth1,10.0.0.2/24'], 'veth');
    expect(veth.a).toEqual({ node: docker('c1'), ifname: 'eth1', addresses: ['10.0.0.1/24'] });
    expect(veth.b).toEqual({ node: netns('ns2'), ifname: 'eth1', addresses: ['10.0.0.2/24'] });
  });

  it('parses the original colon form', () => {
    const veth = link(['-d', 'centos1:link1:192.168.1.1/24', '-d', 'centos2:link2:192.168.1.2/24'], 'veth');
    expect(veth.a).toEqual({ node: docker('centos1'), ifname: 'link1', addresses: ['192.168.1.1/24'] });
    expect(veth.b).toEqual({ node: docker('centos2'), ifname: 'link2', addresses: ['192.168.1.2/24'] });
  });

  it.each([
    ['-d', 'c1,eth1', { kind: 'docker', container: 'c1' }],
    ['-d', 'c1:eth1', { kind: 'docker', container: 'c1' }],
    ['-n', 'lab,eth1', { kind: 'netns', name: 'lab' }],
    ['-n', 'lab:eth1', { kind: 'netns', name: 'lab' }],
    ['-p', '1234,eth1', { kind: 'pid', pid: 1234 }],
    ['-p', '1234:eth1', { kind: 'pid', pid: 1234 }],
    ['-a', '/run/netns/lab,eth1', { kind: 'path', path: '/run/netns/lab' }],
    ['-a', '/run/netns/lab:eth1', { kind: 'path', path: '/run/netns/lab' }],
    ['-c', 'eth1', { kind: 'current' }],
    ['--docker', 'c1,eth1', { kind: 'docker', container: 'c1' }],
    ['--netns', 'lab,eth1', { kind: 'netns', name: 'lab' }],
    ['--pid', '1234,eth1', { kind: 'pid', pid: 1234 }],
    ['--path', '/proc/1234/ns/net,eth1', { kind: 'path', path: '/proc/1234/ns/net' }],
    ['--current', 'eth1', { kind: 'current' }],
  ])('parses endpoint %s %s', (flag, value, node) => {
    const veth = link([flag, value, '-n', 'other,eth9'], 'veth');
    expect(veth.a.node).toEqual(node);
    expect(veth.a.ifname).toBe('eth1');
  });

  it.each(['--docker=c1,eth1', '--netns=c1,eth1'])('parses the inline value of %s', (arg) => {
    const veth = link([arg, '-c', 'eth9'], 'veth');
    expect(veth.a.ifname).toBe('eth1');
  });

  it.each([
    ['-c', 'eth1,10.0.0.1/24', ['10.0.0.1/24']],
    ['-c', 'eth1:10.0.0.1/24', ['10.0.0.1/24']],
    ['-c', 'eth1:fd00::1/64', ['fd00::1/64']],
    ['-d', 'c1:eth1:fd00::1/64', ['fd00::1/64']],
    ['-d', 'c1,eth1,fd00::1/64', ['fd00::1/64']],
    ['-n', 'a,eth1,10.0.0.1/24,fd00::1/64', ['10.0.0.1/24', 'fd00::1/64']],
    ['-n', 'a:eth1:10.0.0.1/24:fd00::1/64', ['10.0.0.1/24', 'fd00::1/64']],
    ['-n', 'a,eth1,10.0.0.1/24,10.0.1.1/24,fd00::1/64,fd01::1/64', ['10.0.0.1/24', '10.0.1.1/24', 'fd00::1/64', 'fd01::1/64']],
    ['-n', 'a:eth1:fd00::1/64:fd01::1/64:10.0.0.1/24', ['fd00::1/64', 'fd01::1/64', '10.0.0.1/24']],
    ['-p', '42:eth1:fd00::1/64:10.0.0.1/24', ['fd00::1/64', '10.0.0.1/24']],
    ['-a', '/run/netns/a:eth1:10.0.0.1/24', ['10.0.0.1/24']],
  ])('parses the addresses of %s %s', (flag, value, addresses) => {
    const veth = link([flag, value, '-n', 'other,eth9'], 'veth');
    expect(veth.a.addresses).toEqual(addresses);
  });

  it.each([
    ['FD00:0:0::1/64', 'fd00::1/64'],
    ['2001:DB8::0:1/64', '2001:db8::1/64'],
    ['2001:db8:0:0:1:0:0:1/64', '2001:db8::1:0:0:1/64'],
  ])('writes IPv6 address %s as %s', (given, canonical) => {
    const veth = link(['-n', `a,eth1,${given}`, '-n', 'b,eth1'], 'veth');
    expect(veth.a.addresses).toEqual([canonical]);
  });

  it.each([
    ['ingress', 'a,tap1,mirror:ingress:eth0'],
    ['egress', 'a,tap1,mirror:egress:eth0'],
    ['both', 'a,tap1,mirror:both:eth0'],
    ['ingress', 'a:tap1:mirror:ingress:eth0'],
    ['egress', 'a:tap1:mirror:egress:eth0'],
    ['both', 'a:tap1:mirror:both:eth0'],
  ])('parses mirror direction %s in %s', (direction, value) => {
    const veth = link(['-n', value, '-n', 'b,eth1'], 'veth');
    expect(veth.a.mirror).toEqual({ direction, source: 'eth0' });
    expect(veth.a.addresses).toEqual([]);
  });

  it.each([
    'a,tap1,10.0.0.1/24,mirror:both:eth0,fd00::1/64',
    'a:tap1:10.0.0.1/24:mirror:both:eth0:fd00::1/64',
    'a:tap1:mirror:both:eth0:10.0.0.1/24:fd00::1/64',
  ])('parses mirror and addresses in %s', (value) => {
    const veth = link(['-n', value, '-n', 'b,eth1'], 'veth');
    expect(veth.a.mirror).toEqual({ direction: 'both', source: 'eth0' });
    expect(veth.a.addresses).toEqual(['10.0.0.1/24', 'fd00::1/64']);
  });

  it('parses a mirror on the current namespace', () => {
    const veth = link(['-d', 'r1,eth2,mirror:both:eth1', '-c', 'tap-r1'], 'veth');
    expect(veth.a).toEqual({ node: docker('r1'), ifname: 'eth2', addresses: [], mirror: { direction: 'both', source: 'eth1' } });
    expect(veth.b).toEqual({ node: { kind: 'current' }, ifname: 'tap-r1', addresses: [] });
  });

  it('accepts one name in two namespaces', () => {
    const veth = link(['-n', 'a,eth1', '-n', 'b,eth1'], 'veth');
    expect(veth.a.ifname).toBe(veth.b.ifname);
  });

  it('accepts two names in one namespace', () => {
    const veth = link(['-n', 'a,eth1', '-n', 'a,eth2'], 'veth');
    expect(veth.a.node).toEqual(veth.b.node);
  });
});

describe('parseKokoArgs parent links', () => {
  const endpoint = ['-d', 'r1,vx0,10.1.0.1/24'];

  it.each([
    ['eth0,192.0.2.2,100', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4789 }],
    ['eth0,192.0.2.2,100,4790', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790 }],
    ['eth0,192.0.2.2,100,port=4790', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790 }],
    ['eth0,192.0.2.2,100,mtu=1400', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4789, mtu: 1400 }],
    ['eth0,192.0.2.2,100,4790,mtu=1400', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790, mtu: 1400 }],
    ['eth0,192.0.2.2,100,mtu=1400,port=4790', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790, mtu: 1400 }],
    ['eth0,fd00::2,100', { parent: 'eth0', remote: 'fd00::2', vni: 100, port: 4789 }],
    ['eth0,FD00:0::2,16777215', { parent: 'eth0', remote: 'fd00::2', vni: 16_777_215, port: 4789 }],
    ['eth0:192.0.2.2:100', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4789 }],
    ['eth0:192.0.2.2:100:4790', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790 }],
    ['eth0:192.0.2.2:100:mtu=1400', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4789, mtu: 1400 }],
    ['eth0:192.0.2.2:100:4790:mtu=1400', { parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4790, mtu: 1400 }],
    ['eth0:fd00::2:100', { parent: 'eth0', remote: 'fd00::2', vni: 100, port: 4789 }],
    ['eth0:fd00::2:100:port=4790:mtu=1400', { parent: 'eth0', remote: 'fd00::2', vni: 100, port: 4790, mtu: 1400 }],
    ['eth0:fd00::2:100:4790', { parent: 'eth0', remote: 'fd00::2:100', vni: 4790, port: 4789 }],
  ])('parses -x %s', (value, expected) => {
    const vxlan = link([...endpoint, '-x', value], 'vxlan');
    expect(vxlan).toMatchObject(expected);
    expect(vxlan.mtu).toBe('mtu' in expected ? expected.mtu : undefined);
    expect(vxlan.endpoint).toEqual({ node: docker('r1'), ifname: 'vx0', addresses: ['10.1.0.1/24'] });
  });

  it('parses --vxlan with an inline value', () => {
    expect(link([...endpoint, '--vxlan=eth0,192.0.2.2,7'], 'vxlan').vni).toBe(7);
  });

  it.each([
    ['-V', 'eth0,100', 100],
    ['-V', 'eth0:100', 100],
    ['-V', 'eth0,1', 1],
    ['-V', 'eth0,4094', 4094],
    ['--vlan', 'eth0,42', 42],
  ])('parses %s %s', (flag, value, vlanId) => {
    const vlan = link([...endpoint, flag, value], 'vlan');
    expect(vlan.parent).toBe('eth0');
    expect(vlan.vlanId).toBe(vlanId);
  });

  it.each(['default', 'private', 'vepa', 'bridge', 'passthru'])('parses macvlan mode %s in both forms', (mode) => {
    expect(link([...endpoint, '-M', `eth0,${mode}`], 'macvlan')).toMatchObject({ parent: 'eth0', mode });
    expect(link([...endpoint, '-M', `eth0:${mode}`], 'macvlan')).toMatchObject({ parent: 'eth0', mode });
    expect(link([...endpoint, '--macvlan', `eth0,${mode}`], 'macvlan')).toMatchObject({ parent: 'eth0', mode });
  });

  it('puts --mtu on a vlan', () => {
    expect(link([...endpoint, '-V', 'eth0,100', '--mtu', '1400'], 'vlan').mtu).toBe(1400);
  });

  it('puts --mtu on a vxlan', () => {
    expect(link([...endpoint, '-x', 'eth0,192.0.2.2,100', '--mtu', '1400'], 'vxlan').mtu).toBe(1400);
  });
});

describe('parseKokoArgs deletes', () => {
  it.each([
    ['-D', 'r1,eth1', docker('r1')],
    ['-D', 'r1:eth1', docker('r1')],
    ['-N', 'lab,eth1', netns('lab')],
    ['-N', 'lab:eth1', netns('lab')],
    ['-P', '1234,eth1', { kind: 'pid', pid: 1234 }],
    ['-P', '1234:eth1', { kind: 'pid', pid: 1234 }],
    ['-A', '/run/netns/lab,eth1', { kind: 'path', path: '/run/netns/lab' }],
    ['-A', '/run/netns/lab:eth1', { kind: 'path', path: '/run/netns/lab' }],
    ['-C', 'eth1', { kind: 'current' }],
  ])('parses %s %s', (flag, value, node) => {
    expect(deletes([flag, value])).toEqual([{ node, ifname: 'eth1' }]);
  });

  it('parses several deletes in order', () => {
    expect(deletes(['-D', 'r1,eth1', '-N', 'lab,eth2', '-C', 'tap1'])).toEqual([
      { node: docker('r1'), ifname: 'eth1' },
      { node: netns('lab'), ifname: 'eth2' },
      { node: { kind: 'current' }, ifname: 'tap1' },
    ]);
  });

  it('keeps the flags of a delete', () => {
    expect(parseKokoArgs(['--dry-run', '--json', '-D', 'r1,eth1'])).toMatchObject({ action: 'delete', flags: { dryRun: true, json: true } });
  });

  it.each<[string, NodeRef]>([
    ['koko -D r1,eth1', docker('r1')],
    ['koko -N lab,eth1', netns('lab')],
    ['koko -P 1234,eth1', { kind: 'pid', pid: 1234 }],
    ['koko -A /run/netns/lab,eth1', { kind: 'path', path: '/run/netns/lab' }],
    ['koko -C eth1', { kind: 'current' }],
  ])('deleteCommandFor writes %s', (command, node) => {
    expect(deleteCommandFor(node, 'eth1')).toBe(command);
    expect(deletes(command.split(' ').slice(1))).toEqual([{ node, ifname: 'eth1' }]);
  });
});

describe('parseKokoArgs options', () => {
  const veth = ['-n', 'a,eth1', '-n', 'b,eth1'];

  it.each([[[]], [['-h']], [['--help']], [[...veth, '-h']], [['-h', '--bogus']]])('returns help for %j', (args) => {
    expect(parseKokoArgs(args)).toEqual({ action: 'help' });
  });

  it.each([[['-v']], [['--version']], [[...veth, '--version']]])('returns version for %j', (args) => {
    expect(parseKokoArgs(args)).toEqual({ action: 'version' });
  });

  it('defaults every switch to off', () => {
    const command = create(veth);
    expect(command.flags).toEqual({ dryRun: false, json: false });
    expect(command.options).toEqual({});
    expect(command.link.id).toBeUndefined();
    expect(command.link.mtu).toBeUndefined();
  });

  it('reads --dry-run and --json in any place', () => {
    expect(create(['--dry-run', ...veth, '--json']).flags).toEqual({ dryRun: true, json: true });
  });

  it.each([
    [['--mtu', '9000'], 9000],
    [['--mtu=1280'], 1280],
    [['--mtu', '68'], 68],
    [['--mtu', '65535'], 65_535],
  ])('reads %j as the link MTU', (args, mtu) => {
    expect(create([...veth, ...args]).link.mtu).toBe(mtu);
  });

  it.each([
    [['--group', '7'], 7],
    [['--group=1'], 1],
    [['--group', '4294967295'], 4_294_967_295],
  ])('reads %j as the interface group', (args, group) => {
    expect(create([...veth, ...args]).options).toEqual({ group });
  });

  it.each([[['--id', 'lab-1']], [['--id=lab-1']]])('reads %j as the link id', (args) => {
    expect(create([...veth, ...args]).link.id).toBe('lab-1');
  });
});

describe('parseKokoArgs help examples', () => {
  it('parses a veth between a container and a netns', () => {
    const veth = link(['-d', 'r1,eth1,10.0.0.1/24', '-n', 'lab2,eth1,10.0.0.2/24'], 'veth');
    expect(veth.a.node).toEqual(docker('r1'));
    expect(veth.b.node).toEqual(netns('lab2'));
  });

  it('parses a dual-stack veth', () => {
    const veth = link(['-n', 'a,eth1,10.0.0.1/24,fd00::1/64', '-n', 'b,eth1,10.0.0.2/24,fd00::2/64'], 'veth');
    expect(veth.a.addresses).toEqual(['10.0.0.1/24', 'fd00::1/64']);
    expect(veth.b.addresses).toEqual(['10.0.0.2/24', 'fd00::2/64']);
  });

  it('parses a vxlan from a container', () => {
    const vxlan = link(['-d', 'r1,vx0,10.1.0.1/24', '-x', 'eth0,192.0.2.2,100'], 'vxlan');
    expect(vxlan).toMatchObject({ parent: 'eth0', remote: '192.0.2.2', vni: 100, port: 4789 });
  });

  it('parses a mirror onto a tap', () => {
    const veth = link(['-d', 'r1,eth2,mirror:both:eth1', '-c', 'tap-r1'], 'veth');
    expect(veth.a.mirror).toEqual({ direction: 'both', source: 'eth1' });
  });

  it('parses a container delete', () => {
    expect(deletes(['-D', 'r1,eth1'])).toEqual([{ node: docker('r1'), ifname: 'eth1' }]);
  });
});

/** Builds a veth command whose first interface is `name`, so one table row tests one interface name. */
const withInterface = (name: string): string[] => ['-n', `a,${name}`, '-n', 'b,eth1'];
const vxlanWith = (value: string): string[] => ['-c', 'vx0', '-x', value];

describe('parseKokoArgs rejects', () => {
  it.each<[string, string[], string[]]>([
    // Interface names.
    ['interface name with a space', withInterface('eth 1'), ['interface name "eth 1" contains a space', 'use letters, digits']],
    ['interface name with a newline', withInterface('eth\n1'), ['interface name "eth\\n1" contains a newline']],
    ['interface name with a tab', withInterface('eth\t1'), ['interface name "eth\\t1" contains a tab']],
    ['interface name with a semicolon', withInterface('eth1;reboot'), ['interface name "eth1;reboot" contains ";"']],
    ['interface name with a slash', withInterface('eth/1'), ['interface name "eth/1" contains "/"']],
    ['interface name with a colon', withInterface('eth:1'), ['interface name "eth:1" contains ":"']],
    ['interface name with a double quote', withInterface('eth"1'), ['interface name "eth\\"1" contains "\\""']],
    ['interface name with a hash', withInterface('eth#1'), ['interface name "eth#1" contains "#"']],
    ['interface name with a dollar sign', withInterface('$(id)'), ['interface name "$(id)" contains "$"']],
    ['interface name of 16 bytes', withInterface('abcdefghijklmnop'), ['"abcdefghijklmnop" is 16 bytes long', 'pick a shorter name']],
    ['interface name of 30 UTF-8 bytes', withInterface('é'.repeat(15)), [`"${'é'.repeat(15)}" is 30 bytes long`, 'at most 15']],
    ['empty interface name', withInterface(''), ['interface name is empty; give a name such as eth1']],
    ['interface name "."', withInterface('.'), ['interface name "." is reserved; pick another name']],
    ['interface name ".."', withInterface('..'), ['interface name ".." is reserved']],
    ['bad interface name in -C', ['-C', 'eth 1'], ['interface name "eth 1" contains a space']],
    ['bad parent name', vxlanWith('eth;0,192.0.2.2,100'), ['interface name "eth;0" contains ";"']],
    ['bad mirror source', ['-n', 'a,tap1,mirror:both:eth$0', '-n', 'b,eth1'], ['interface name "eth$0" contains "$"']],
    // Nodes.
    ['netns name with a slash', ['-n', 'run/a,eth1', '-n', 'b,eth1'], ['netns name "run/a" contains "/"', 'use -a <path>']],
    ['netns name with a space', ['-n', 'lab 1,eth1', '-n', 'b,eth1'], ['netns name "lab 1" contains a space']],
    ['container name starting with a dash', ['-d', '-r1,eth1', '-n', 'b,eth1'], ['container name "-r1" starts with "-"', 'start with a letter or digit']],
    ['container name with a space', ['-d', 'r 1,eth1', '-n', 'b,eth1'], ['container name "r 1" contains a space']],
    ['relative netns path', ['-a', 'run/netns/a,eth1', '-n', 'b,eth1'], ['netns path "run/netns/a" is not absolute']],
    ['PID 0', ['-p', '0,eth1', '-n', 'b,eth1'], ['PID 0 is out of range; use a whole number from 1 to 4194304']],
    ['PID -1', ['-p', '-1,eth1', '-n', 'b,eth1'], ['PID "-1" is not a whole number', 'usage: -p <pid>,<ifname>']],
    ['PID abc', ['-p', 'abc,eth1', '-n', 'b,eth1'], ['PID "abc" is not a whole number']],
    ['PID 99999999', ['-p', '99999999,eth1', '-n', 'b,eth1'], ['PID 99999999 is out of range']],
    ['PID in a delete', ['-P', 'abc,eth1'], ['PID "abc" is not a whole number']],
    // vxlan values.
    ['VNI 0', vxlanWith('eth0,192.0.2.2,0'), ['VNI 0 is out of range; use a whole number from 1 to 16777215']],
    ['VNI 16777216', vxlanWith('eth0,192.0.2.2,16777216'), ['VNI 16777216 is out of range']],
    ['VNI x', vxlanWith('eth0,192.0.2.2,x'), ['VNI "x" is not a whole number', 'usage: -x <parent ifname>']],
    ['VNI of 400 digits', vxlanWith(`eth0,192.0.2.2,${'9'.repeat(400)}`), [`VNI "${'9'.repeat(400)}" is too large`]],
    ['port 0', vxlanWith('eth0,192.0.2.2,100,port=0'), ['UDP port 0 is out of range; use a whole number from 1 to 65535']],
    ['port 65536', vxlanWith('eth0,192.0.2.2,100,65536'), ['UDP port 65536 is out of range']],
    ['port x', vxlanWith('eth0,192.0.2.2,100,port=x'), ['UDP port "x" is not a whole number']],
    ['MTU 67 in -x', vxlanWith('eth0,192.0.2.2,100,mtu=67'), ['MTU 67 is out of range; use a whole number from 68 to 65535']],
    ['unknown -x option', vxlanWith('eth0,192.0.2.2,100,ttl=4'), ['-x option "ttl=4" is unknown', 'use port=<udp port> or mtu=<mtu>']],
    ['second bare -x number', vxlanWith('eth0,192.0.2.2,100,4789,9'), ['-x option "9" is unknown']],
    ['-x without VNI', vxlanWith('eth0,192.0.2.2'), ['-x "eth0,192.0.2.2" needs a parent, a remote address and a VNI']],
    ['-x colon form without VNI', vxlanWith('eth0:192.0.2.2'), ['-x "eth0:192.0.2.2" needs a parent, a remote address and a VNI']],
    ['multicast IPv4 remote', vxlanWith('eth0,239.1.1.1,100'), ['remote address "239.1.1.1" is not a unicast address']],
    ['multicast IPv6 remote', vxlanWith('eth0,ff02::1,100'), ['remote address "ff02::1" is not a unicast address']],
    ['unspecified IPv4 remote', vxlanWith('eth0,0.0.0.0,100'), ['remote address "0.0.0.0" is not a unicast address', 'give the underlay address']],
    ['unspecified IPv6 remote', vxlanWith('eth0::::100'), ['remote address "::" is not a unicast address']],
    ['remote that is no address', vxlanWith('eth0,host2,100'), ['remote address "host2" is not an IPv4 or IPv6 address']],
    ['link-local remote', vxlanWith('eth0,fe80::1,100'), ['remote address "fe80::1" is an IPv6 link-local address, which vxlan cannot reach']],
    // vlan and macvlan values.
    ['VLAN 0', ['-c', 'v0', '-V', 'eth0,0'], ['VLAN id 0 is out of range; use a whole number from 1 to 4094']],
    ['VLAN 4095', ['-c', 'v0', '-V', 'eth0,4095'], ['VLAN id 4095 is out of range']],
    ['-V without VLAN id', ['-c', 'v0', '-V', 'eth0'], ['-V "eth0" needs a parent and a VLAN id', 'usage: -V <parent ifname>,<vlan id>']],
    ['-M without mode', ['-c', 'm0', '-M', 'eth0'], ['-M "eth0" needs a parent and a mode']],
    ['unknown macvlan mode', ['-c', 'm0', '-M', 'eth0,bridged'], ['macvlan mode "bridged" is invalid', 'use one of default, private']],
    // Link-wide values.
    ['MTU 67', [...withInterface('eth1'), '--mtu', '67'], ['MTU 67 is out of range; use a whole number from 68 to 65535']],
    ['MTU 65536', [...withInterface('eth1'), '--mtu', '65536'], ['MTU 65536 is out of range']],
    ['MTU given twice', [...vxlanWith('eth0,192.0.2.2,100,mtu=1400'), '--mtu', '1500'], ['MTU given twice, as --mtu 1500 and as mtu=1400 in -x; give it once']],
    ['negative group', [...withInterface('eth1'), '--group', '-1'], ['interface group "-1" is not a whole number']],
    ['group over 32 bits', [...withInterface('eth1'), '--group', '4294967296'], ['interface group 4294967296 is out of range']],
    ['bad link id', [...withInterface('eth1'), '--id', 'Lab 1'], ['link id "Lab 1" is invalid']],
    // Addresses.
    ['CIDR without prefix', ['-n', 'a,eth1,10.0.0.1', '-n', 'b,eth1'], ['address "10.0.0.1" has no prefix length', 'for example 10.0.0.1/24']],
    ['IPv6 CIDR without prefix', ['-n', 'a,eth1,fd00::1', '-n', 'b,eth1'], ['address "fd00::1" has no prefix length']],
    ['IPv4 prefix 33', ['-n', 'a,eth1,10.0.0.1/33', '-n', 'b,eth1'], ['address "10.0.0.1/33" has prefix length 33', 'use 0 to 32']],
    ['IPv6 prefix 129', ['-n', 'a,eth1,fd00::1/129', '-n', 'b,eth1'], ['address "fd00::1/129" has prefix length 129', 'use 0 to 128']],
    ['IPv4 part over 255', ['-n', 'a,eth1,300.1.1.1/24', '-n', 'b,eth1'], ['address "300.1.1.1/24" is not an IPv4 or IPv6 address']],
    ['three IPv4 parts', ['-n', 'a,eth1,1.2.3/24', '-n', 'b,eth1'], ['address "1.2.3/24" is not an IPv4 or IPv6 address']],
    ['IPv6 triple colon', ['-n', 'a,eth1,fd00:::1/64', '-n', 'b,eth1'], ['address "fd00:::1/64" is not an IPv4 or IPv6 address']],
    ['IPv6 two double colons', ['-n', 'a,eth1,fd00::1::2/64', '-n', 'b,eth1'], ['address "fd00::1::2/64" is not an IPv4 or IPv6 address']],
    ['IPv4 leading zero', ['-n', 'a,eth1,01.2.3.4/8', '-n', 'b,eth1'], ['address "01.2.3.4/8" is not an IPv4 or IPv6 address']],
    ['colon-form address without prefix', ['-n', 'a:eth1:fd00::1', '-n', 'b,eth1'], ['address "fd00::1" has no prefix length']],
    ['duplicate address', ['-n', 'a,eth1,10.0.0.1/24,10.0.0.1/24', '-n', 'b,eth1'], ['address "10.0.0.1/24" is given twice for interface "eth1"']],
    ['duplicate IPv6 address', ['-n', 'a,eth1,fd00::1/64,FD00:0::1/64', '-n', 'b,eth1'], ['address "fd00::1/64" is given twice']],
    ['IPv6 address with two prefixes', ['-n', 'a,eth1,fd00::1/64,fd00::1/56', '-n', 'b,eth1'], ['the same IPv6 address, which the kernel rejects']],
    ['empty field', ['-n', 'a,eth1,,10.0.0.1/24', '-n', 'b,eth1'], ['-n "a,eth1,,10.0.0.1/24" has an empty field', 'remove the extra comma']],
    ['trailing colon', ['-n', 'a:eth1:', '-n', 'b,eth1'], ['-n "a:eth1:" has an empty field']],
    // Mirrors.
    ['endpoint mirroring itself', ['-n', 'a,eth1,mirror:both:eth1', '-n', 'b,eth1'], ['interface eth1 cannot mirror itself', 'name another interface']],
    ['mirror without source', ['-n', 'a,tap1,mirror:both', '-n', 'b,eth1'], ['mirror option "mirror:both" is invalid', 'mirror:<ingress|egress|both>:<source ifname>']],
    ['mirror with an extra part', ['-n', 'a,tap1,mirror:both:eth0:x', '-n', 'b,eth1'], ['mirror option "mirror:both:eth0:x" is invalid']],
    ['unknown mirror direction', ['-n', 'a,tap1,mirror:sideways:eth0', '-n', 'b,eth1'], ['mirror direction "sideways" is invalid; use ingress, egress or both']],
    ['two mirrors', ['-n', 'a,tap1,mirror:ingress:eth0,mirror:egress:eth2', '-n', 'b,eth1'], ['names more than one mirror']],
    // Endpoint counts and combinations.
    ['three endpoints', ['-n', 'a,eth1', '-n', 'b,eth1', '-n', 'c,eth1'], ['a veth joins exactly two endpoints, but 3 were given', 'remove the extra ones']],
    ['one endpoint without a parent link', ['-n', 'a,eth1'], ['one endpoint makes no link', 'add a second endpoint for a veth, or -x, -V or -M']],
    ['no endpoint', ['--dry-run'], ['nothing to do', 'give two endpoints']],
    ['-x without endpoint', ['-x', 'eth0,192.0.2.2,100'], ['-x makes a link for exactly one endpoint, but 0 were given']],
    ['-V with two endpoints', ['-n', 'a,eth1', '-n', 'b,eth1', '-V', 'eth0,100'], ['-V makes a link for exactly one endpoint, but 2 were given']],
    ['-x together with -M', [...vxlanWith('eth0,192.0.2.2,100'), '-M', 'eth0,bridge'], ['-M and -x both given', 'give only one of -x, -V and -M']],
    ['create and delete mixed', ['-n', 'a,eth1', '-n', 'b,eth1', '-D', 'r1,eth1'], ['cannot be mixed with create options', 'run them as two commands']],
    ['delete and -x mixed', ['-D', 'r1,eth1', '-x', 'eth0,192.0.2.2,100'], ['cannot be mixed with create options']],
    ['--mtu with a delete', ['-D', 'r1,eth1', '--mtu', '1400'], ['--mtu only applies when creating a link; remove it from the delete command']],
    ['--group and --id with a delete', ['-N', 'lab,eth1', '--group', '3', '--id', 'lab'], ['--group and --id only apply when creating a link; remove them']],
    ['all create options with a delete', ['-C', 'eth1', '--id', 'lab', '--mtu', '1400', '--group', '3'], ['--mtu, --group and --id only apply']],
    ['veth ends with one name in one netns', ['-n', 'a,eth1', '-n', 'a,eth1'], ['both ends of the veth are eth1 in the same namespace', 'give the two ends different names']],
    ['veth ends with one name in one container', ['-d', 'r1,eth1', '-d', 'r1:eth1'], ['both ends of the veth are eth1 in the same namespace']],
    ['veth ends with one name in the current namespace', ['-c', 'eth1', '-c', 'eth1'], ['both ends of the veth are eth1 in the same namespace']],
    // Deletes.
    ['delete without interface', ['-D', 'r1'], ['-D "r1" is invalid; usage: -D <container>,<ifname>']],
    ['delete with an extra field', ['-N', 'lab,eth1,eth2'], ['-N "lab,eth1,eth2" is invalid; usage: -N <netns>,<ifname>']],
    ['-C with a node', ['-C', 'lab,eth1'], ['-C "lab,eth1" is invalid; usage: -C <ifname>']],
    ['endpoint without interface', ['-d', 'r1', '-n', 'b,eth1'], ['-d "r1" has no interface name', 'usage: -d <container>,<ifname>']],
    // Options.
    ['unknown long option', ['--bogus', ...withInterface('eth1')], ['unknown option "--bogus"', 'run koko -h']],
    ['unknown short option', ['-z', 'a'], ['unknown option "-z"']],
    ['short option with an attached value', ['-dr1,eth1'], ['unknown option "-dr1,eth1"']],
    ['value without option', ['r1,eth1', ...withInterface('eth1')], ['unexpected argument "r1,eth1"', 'every value follows an option']],
    ['missing value at the end', ['-n', 'a,eth1', '-d'], ['-d needs a value']],
    ['missing --mtu value', [...withInterface('eth1'), '--mtu'], ['--mtu needs a value']],
    ['missing --id value', [...withInterface('eth1'), '--id'], ['--id needs a value']],
    ['missing -x value', ['-c', 'vx0', '-x'], ['-x needs a value']],
    ['option in place of a value', ['-d', '-n', 'b,eth1'], ['-d needs a value, but the next argument is the option "-n"']],
    ['long option in place of a value', ['-n', 'a,eth1', '-n', '--dry-run'], ['-n needs a value, but the next argument is the option "--dry-run"']],
    ['inline long option in place of a value', ['--mtu', '--group=2', ...withInterface('eth1')], ['--mtu needs a value, but the next argument is the option "--group=2"']],
    ['value on --dry-run', ['--dry-run=no', ...withInterface('eth1')], ['--dry-run takes no value; remove "=no"']],
    ['value on --json', ['--json=false', ...withInterface('eth1')], ['--json takes no value; remove "=false"']],
    ['comma and colon mixed', ['-d', 'c1:eth1,10.0.0.1/24', '-n', 'b,eth1'], ['-d "c1:eth1,10.0.0.1/24" mixes the colon and comma forms']],
    ['group 0', [...withInterface('eth1'), '--group', '0'], ['interface group 0 is out of range; use a whole number from 1 to']],
  ])('rejects %s', (_case, args, fragments) => {
    const error = rejection(args);
    expect(error.code).toBe('invalid');
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  it('names every bad endpoint in one message', () => {
    const error = rejection(['-n', 'a b,eth1', '-d', 'r1,eth;1']);
    expect(error.message).toContain('netns name "a b" contains a space');
    expect(error.message).toContain('interface name "eth;1" contains ";"');
  });

  it('records the field of a schema error', () => {
    expect(rejection(['-n', 'a,eth1', '-n', 'a,eth1']).field).toBe('b.ifname');
  });
});
