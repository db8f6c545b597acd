import { describe, expect, it } from 'vitest';
import { splitAddresses, validateLinkForm, type ConnectInput, type LinkFormErrors, type LinkFormValues } from '../../src/client/link-form';

function form(overrides: { a?: Partial<LinkFormValues['a']>; b?: Partial<LinkFormValues['b']>; mtu?: string } = {}): LinkFormValues {
  return {
    a: { nodeId: 'n1', nodeName: 'r1', ifname: 'eth1', addresses: '10.0.0.1/30', existingInterfaces: ['lo', 'eth0'], ...overrides.a },
    b: { nodeId: 'n2', nodeName: 'r2', ifname: 'eth1', addresses: '10.0.0.2/30', existingInterfaces: ['lo'], ...overrides.b },
    mtu: overrides.mtu ?? '',
  };
}

/** Returns the field errors of a form that must be invalid, and fails the test when it is valid. */
function errorsOf(values: LinkFormValues): LinkFormErrors {
  const result = validateLinkForm(values);
  if (result.ok) throw new Error(`expected the form to be invalid, got the input ${JSON.stringify(result.input)}`);
  return result.errors;
}

/** Returns the connect input of a form that must be valid, and fails the test when it is invalid. */
function inputOf(values: LinkFormValues): ConnectInput {
  const result = validateLinkForm(values);
  if (!result.ok) throw new Error(`expected the form to be valid, got the errors ${JSON.stringify(result.errors)}`);
  return result.input;
}

describe('splitAddresses', () => {
  it('splits on commas, spaces and new lines', () => {
    expect(splitAddresses(' 10.0.0.1/30,fd00::1/64\n192.0.2.1/24  ')).toEqual(['10.0.0.1/30', 'fd00::1/64', '192.0.2.1/24']);
  });

  it('returns nothing for an empty box', () => {
    expect(splitAddresses('  \n ')).toEqual([]);
  });
});

describe('validateLinkForm', () => {
  it('accepts a pre-filled veth form and returns the connect input', () => {
    const result = validateLinkForm(form());

    expect(result).toEqual({
      ok: true,
      input: { a: { nodeId: 'n1', ifname: 'eth1', addresses: ['10.0.0.1/30'] }, b: { nodeId: 'n2', ifname: 'eth1', addresses: ['10.0.0.2/30'] } },
    });
  });

  it('accepts IPv4 and IPv6 on one end and returns them in canonical form', () => {
    expect(inputOf(form({ a: { addresses: '10.0.0.1/30, FD00:0:0::1/64' } })).a.addresses).toEqual(['10.0.0.1/30', 'fd00::1/64']);
  });

  it('accepts ends without addresses', () => {
    expect(inputOf(form({ a: { addresses: '' }, b: { addresses: '' } })).b.addresses).toEqual([]);
  });

  it('rejects an interface name with a space', () => {
    expect(errorsOf(form({ a: { ifname: 'eth 1' } }))['a.ifname']).toMatch(/contains a space/);
  });

  it('rejects an interface name longer than 15 bytes', () => {
    expect(errorsOf(form({ b: { ifname: 'averyveryverylongname' } }))['b.ifname']).toMatch(/at most 15/);
  });

  it('rejects an empty interface name', () => {
    expect(errorsOf(form({ b: { ifname: '  ' } }))['b.ifname']).toMatch(/empty/);
  });

  it('rejects a name the node already has', () => {
    expect(errorsOf(form({ a: { ifname: 'eth0' } }))['a.ifname']).toBe('interface "eth0" already exists in "r1"; pick another name');
  });

  it('rejects an address without a prefix length', () => {
    expect(errorsOf(form({ a: { addresses: '10.0.0.1' } }))['a.addresses']).toMatch(/has no prefix length/);
  });

  it('rejects a multicast address', () => {
    expect(errorsOf(form({ b: { addresses: '224.0.0.5/24' } }))['b.addresses']).toMatch(/multicast/);
  });

  it('rejects an IPv6 prefix over 128', () => {
    expect(errorsOf(form({ b: { addresses: 'fd00::2/129' } }))['b.addresses']).toMatch(/over the IPv6 maximum/);
  });

  it('rejects one address given twice on an end', () => {
    expect(errorsOf(form({ a: { addresses: '10.0.0.1/30 10.0.0.1/30' } }))['a.addresses']).toMatch(/given twice/);
  });

  it('rejects the same address on both ends', () => {
    expect(errorsOf(form({ b: { addresses: '10.0.0.1/24' } }))['b.addresses']).toMatch(/"10.0.0.1\/30" is on both ends/);
  });

  it('rejects two ends with one name on the same node', () => {
    expect(errorsOf(form({ b: { nodeId: 'n1', nodeName: 'r1' } }))['b.ifname']).toMatch(/both ends are named "eth1" in "r1"/);
  });

  it('accepts two ends on the same node with different names', () => {
    const result = validateLinkForm(form({ b: { nodeId: 'n1', nodeName: 'r1', ifname: 'eth2', existingInterfaces: ['lo', 'eth0'] } }));

    expect(result.ok).toBe(true);
  });

  it('reads an MTU in range', () => {
    expect(inputOf(form({ mtu: ' 9000 ' })).mtu).toBe(9000);
  });

  it.each([
    ['67', /out of range/],
    ['65536', /out of range/],
    ['1500.5', /not a whole number/],
    ['big', /not a number/],
  ])('rejects MTU %s', (mtu, message) => {
    expect(errorsOf(form({ mtu })).mtu).toMatch(message);
  });

  it('reports every invalid field at once', () => {
    const errors = errorsOf(form({ a: { ifname: 'a/b' }, b: { addresses: 'nonsense' }, mtu: '1' }));

    expect(Object.keys(errors).sort()).toEqual(['a.ifname', 'b.addresses', 'mtu']);
  });
});
