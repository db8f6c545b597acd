import { describe, expect, it } from 'vitest';
import { splitEndpointFields, splitFields, splitVxlanFields } from '../src/fields';

describe('splitFields', () => {
  it.each<[string, number, string[]]>([
    ['c1,eth1,10.0.0.1/24', 2, ['c1', 'eth1', '10.0.0.1/24']],
    ['c1,eth1,fd00::1/64', 2, ['c1', 'eth1', 'fd00::1/64']],
    ['c1:eth1:10.0.0.1/24', 2, ['c1', 'eth1', '10.0.0.1/24']],
    ['c1:eth1:fd00::1/64', 2, ['c1', 'eth1', 'fd00::1/64']],
    ['eth1:fd00::1/64', 1, ['eth1', 'fd00::1/64']],
    ['c1:eth1', 2, ['c1', 'eth1']],
    ['eth1', 1, ['eth1']],
    ['', 2, ['']],
    ['c1:eth1,x', 2, ['c1:eth1', 'x']],
  ])('splits %j with %d leading fields', (value, leading, fields) => {
    expect(splitFields(value, leading)).toEqual(fields);
  });
});

describe('splitEndpointFields', () => {
  it.each<[string, number, string[]]>([
    ['c1:eth1:10.0.0.1/24:fd00::1/64', 2, ['c1', 'eth1', '10.0.0.1/24', 'fd00::1/64']],
    ['c1:eth1:fd00::1/64:fd00::2/64', 2, ['c1', 'eth1', 'fd00::1/64', 'fd00::2/64']],
    ['c1:eth1:mirror:both:eth0', 2, ['c1', 'eth1', 'mirror:both:eth0']],
    ['c1:eth1:10.0.0.1/24:mirror:egress:eth0:fd00::1/64', 2, ['c1', 'eth1', '10.0.0.1/24', 'mirror:egress:eth0', 'fd00::1/64']],
    ['eth1:fd00::1/64:mirror:ingress:eth0', 1, ['eth1', 'fd00::1/64', 'mirror:ingress:eth0']],
    ['c1:eth1:fd00::1', 2, ['c1', 'eth1', 'fd00::1']],
    ['c1:eth1:10.0.0.1/24:fd00::1', 2, ['c1', 'eth1', '10.0.0.1/24', 'fd00::1']],
    ['c1:eth1:mirror:both', 2, ['c1', 'eth1', 'mirror:both']],
    ['c1:eth1:', 2, ['c1', 'eth1', '']],
    ['c1,eth1,mirror:both:eth0,10.0.0.1/24', 2, ['c1', 'eth1', 'mirror:both:eth0', '10.0.0.1/24']],
  ])('splits %j', (value, leading, fields) => {
    expect(splitEndpointFields(value, leading)).toEqual(fields);
  });
});

describe('splitVxlanFields', () => {
  it.each<[string, string[]]>([
    ['eth0,192.0.2.2,100', ['eth0', '192.0.2.2', '100']],
    ['eth0,fd00::2,100,4790,mtu=1400', ['eth0', 'fd00::2', '100', '4790', 'mtu=1400']],
    ['eth0:192.0.2.2:100', ['eth0', '192.0.2.2', '100']],
    ['eth0:192.0.2.2:100:4790', ['eth0', '192.0.2.2', '100', '4790']],
    ['eth0:192.0.2.2:100:port=4790:mtu=1400', ['eth0', '192.0.2.2', '100', 'port=4790', 'mtu=1400']],
    ['eth0:fd00::2:100', ['eth0', 'fd00::2', '100']],
    ['eth0:fd00::2:100:mtu=1400', ['eth0', 'fd00::2', '100', 'mtu=1400']],
    ['eth0:fd00::2:100:4790', ['eth0', 'fd00::2:100', '4790']],
    ['eth0::::100', ['eth0', '::', '100']],
    ['eth0:192.0.2.2', ['eth0', '192.0.2.2']],
    ['eth0', ['eth0']],
  ])('splits %j', (value, fields) => {
    expect(splitVxlanFields(value)).toEqual(fields);
  });
});
