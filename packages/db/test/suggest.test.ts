import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstFreePair, networksInPool, parseAddressPool } from '../src/address-pool';
import type { KokoDatabase } from '../src/database';
import type { HostRecord } from '../src/hosts';
import { createLab, type LabRecord } from '../src/labs';
import { createLink, deleteLink } from '../src/links';
import { syncNodes } from '../src/nodes';
import { suggestAddressPair, suggestInterfaceNames } from '../src/suggest';
import { ALICE, openTempDatabase, twoHosts, vethDraft } from './helpers';

describe('address pools', () => {
  it.each([
    ['192.0.2.0/24', 30, 4, [], ['192.0.2.1/30', '192.0.2.2/30']],
    ['192.0.2.0/24', 30, 4, ['192.0.2.1/30', '192.0.2.6/30'], ['192.0.2.9/30', '192.0.2.10/30']],
    ['192.0.2.0/24', 31, 4, ['192.0.2.0/31'], ['192.0.2.2/31', '192.0.2.3/31']],
    ['192.0.2.0/24', 30, 4, ['192.0.2.200/24', 'fd00::1/64'], ['192.0.2.1/30', '192.0.2.2/30']],
    ['2001:db8::/32', 64, 6, [], ['2001:db8::1/64', '2001:db8::2/64']],
    ['2001:db8::/32', 64, 6, ['2001:db8::1/64'], ['2001:db8:0:1::1/64', '2001:db8:0:1::2/64']],
    ['2001:db8::/32', 127, 6, ['2001:db8::1/127'], ['2001:db8::2/127', '2001:db8::3/127']],
    ['2001:db8:ffff:ffff::/64', 64, 6, [], ['2001:db8:ffff:ffff::1/64', '2001:db8:ffff:ffff::2/64']],
  ] as const)('%s in /%d pairs with %j used', (range, pairPrefix, family, used, expected) => {
    expect(firstFreePair(parseAddressPool(range, pairPrefix, family), [...used])).toEqual(expected);
  });

  it.each([
    ['192.0.2.0/24', 30, 4, [], ['192.0.2.2/24'], undefined],
    ['192.0.2.0/24', 30, 4, [], ['192.0.2.2/25'], ['192.0.2.129/30', '192.0.2.130/30']],
    ['192.0.2.0/24', 30, 4, ['192.0.2.129/30'], ['192.0.2.1/25'], ['192.0.2.133/30', '192.0.2.134/30']],
    ['192.0.2.0/24', 30, 4, [], ['192.0.2.5/29', '192.0.2.1/30'], ['192.0.2.9/30', '192.0.2.10/30']],
    ['192.0.2.0/24', 31, 4, [], ['10.0.0.1/8', '192.0.2.0/32'], ['192.0.2.2/31', '192.0.2.3/31']],
    ['2001:db8::/32', 64, 6, [], ['2001:db8::1/48', '192.0.2.2/24'], ['2001:db8:1::1/64', '2001:db8:1::2/64']],
  ] as const)('%s in /%d pairs with %j used avoids networks %j', (range, pairPrefix, family, used, networks, expected) => {
    expect(firstFreePair(parseAddressPool(range, pairPrefix, family), [...used], [...networks])).toEqual(expected);
  });

  it('lists networks overlapping a pool', () => {
    const pool = parseAddressPool('192.0.2.0/24', 30, 4);
    expect(networksInPool(pool, ['192.0.2.2/24', '10.0.0.1/8', '192.0.0.1/16', 'fd00::1/64', '192.0.3.1/24'])).toEqual(['192.0.2.2/24', '192.0.0.1/16']);
  });

  it('returns undefined when every pair is used', () => {
    const pool = parseAddressPool('192.0.2.0/30', 30, 4);
    expect(firstFreePair(pool, ['192.0.2.2/30'])).toBeUndefined();
  });

  it('finds a free pair in a huge pool quickly', () => {
    const pool = parseAddressPool('2001:db8::/32', 127, 6);
    const used = Array.from({ length: 1000 }, (_, index) => `2001:db8::${(index * 2).toString(16)}/127`);
    expect(firstFreePair(pool, used)).toEqual(['2001:db8::7d0/127', '2001:db8::7d1/127']);
  });
});

describe('suggestions', () => {
  let db: KokoDatabase;
  let cleanup: () => Promise<void>;
  let h1: HostRecord;
  let lab: LabRecord;

  beforeEach(async () => {
    ({ db, cleanup } = await openTempDatabase());
    [h1] = await twoHosts(db);
    lab = await createLab(db, { name: 'lab1' }, ALICE);
  });
  afterEach(async () => {
    await cleanup();
  });

  it('interface names skip stored and observed names', async () => {
    const r1 = { kind: 'docker', container: 'r1' } as const;
    expect(await suggestInterfaceNames(db, 'h1', r1, { count: 3 })).toEqual(['eth1', 'eth2', 'eth3']);

    await syncNodes(db, h1.id, [{ node: r1, interfaces: ['lo', 'eth0', 'eth2'] }]);
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2', 'eth1') }, ALICE);
    expect(await suggestInterfaceNames(db, 'h1', r1, { count: 3 })).toEqual(['eth3', 'eth4', 'eth5']);
    expect(await suggestInterfaceNames(db, 'h1', { kind: 'docker', container: 'r2' })).toEqual(['eth2']);
    expect(await suggestInterfaceNames(db, 'h2', r1)).toEqual(['eth1']);
    expect(await suggestInterfaceNames(db, 'h1', r1, { prefix: 'p', start: 0 })).toEqual(['p0']);
  });

  it('interface names reject a bad prefix', async () => {
    await expect(suggestInterfaceNames(db, 'h1', { kind: 'netns', name: 'n' }, { prefix: 'e th' })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/prefix "e th"/) });
    await expect(suggestInterfaceNames(db, 'h1', { kind: 'netns', name: 'n' }, { prefix: 'a'.repeat(14), count: 20 })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/fits in 15 bytes/),
    });
  });

  it('address pairs skip the lab\'s addresses only', async () => {
    expect(await suggestAddressPair(db, lab.id, 4)).toEqual(['192.0.2.1/30', '192.0.2.2/30']);
    expect(await suggestAddressPair(db, lab.id, 6)).toEqual(['2001:db8::1/64', '2001:db8::2/64']);

    const draft = vethDraft('r1', 'r2');
    const link = await createLink(
      db,
      { labId: lab.id, link: { ...draft, a: { ...draft.a, addresses: ['192.0.2.1/30', '2001:db8::1/64'] }, b: { ...draft.b, addresses: ['192.0.2.2/30', '2001:db8::2/64'] } } },
      ALICE,
    );
    expect(await suggestAddressPair(db, lab.id, 4)).toEqual(['192.0.2.5/30', '192.0.2.6/30']);
    expect(await suggestAddressPair(db, lab.id, 6)).toEqual(['2001:db8:0:1::1/64', '2001:db8:0:1::2/64']);

    const other = await createLab(db, { name: 'lab2' }, ALICE);
    expect(await suggestAddressPair(db, other.id, 4)).toEqual(['192.0.2.1/30', '192.0.2.2/30']);

    await deleteLink(db, link.id, ALICE);
    expect(await suggestAddressPair(db, lab.id, 4)).toEqual(['192.0.2.1/30', '192.0.2.2/30']);
  });

  it('address pairs avoid networks on the nodes', async () => {
    const [host, router] = await syncNodes(db, h1.id, [
      { node: { kind: 'current' }, addresses: ['192.0.2.2/25', '2001:db8::2/64'] },
      { node: { kind: 'docker', container: 'r1' }, addresses: ['192.0.2.130/30'] },
    ]);
    expect(host!.addresses).toEqual(['192.0.2.2/25', '2001:db8::2/64']);
    expect(await suggestAddressPair(db, lab.id, 4, [host!])).toEqual(['192.0.2.129/30', '192.0.2.130/30']);
    expect(await suggestAddressPair(db, lab.id, 4, [host!, router!])).toEqual(['192.0.2.133/30', '192.0.2.134/30']);
    expect(await suggestAddressPair(db, lab.id, 6, [host!, router!])).toEqual(['2001:db8:0:1::1/64', '2001:db8:0:1::2/64']);
    expect(await suggestAddressPair(db, lab.id, 4)).toEqual(['192.0.2.1/30', '192.0.2.2/30']);

    const [wide] = await syncNodes(db, h1.id, [{ node: { kind: 'current' }, addresses: ['192.0.2.2/24'] }]);
    await expect(suggestAddressPair(db, lab.id, 4, [wide!])).rejects.toMatchObject({
      code: 'conflict',
      message: 'the IPv4 pool 192.0.2.0/24 of lab "lab1" has no free /30 left beside the addresses already on the link\'s nodes (192.0.2.2/24); give the addresses yourself, or create a lab with another pool (labs.create takes one) and connect the nodes in it',
    });
  });

  it('node addresses need a prefix', async () => {
    await expect(syncNodes(db, h1.id, [{ node: { kind: 'current' }, addresses: ['192.0.2.2'] }])).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/192\.0\.2\.2.*has no prefix length/) });
  });

  it('address pairs use the lab pool and report exhaustion', async () => {
    const small = await createLab(db, { name: 'small', pool: { ipv4: '198.51.100.0/31', ipv4Prefix: 31, ipv6: '2001:db8:1::/127', ipv6Prefix: 127 } }, ALICE);
    expect(await suggestAddressPair(db, small.id, 4)).toEqual(['198.51.100.0/31', '198.51.100.1/31']);
    expect(await suggestAddressPair(db, small.id, 6)).toEqual(['2001:db8:1::/127', '2001:db8:1::1/127']);

    const draft = vethDraft('r1', 'r2');
    await createLink(db, { labId: small.id, link: { ...draft, a: { ...draft.a, addresses: ['198.51.100.0/31'] } } }, ALICE);
    await expect(suggestAddressPair(db, small.id, 4)).rejects.toMatchObject({
      code: 'conflict',
      message: 'the IPv4 pool 198.51.100.0/31 of lab "small" has no free /31 left; give the addresses yourself, or create a lab with another pool (labs.create takes one) and connect the nodes in it',
    });
    await expect(suggestAddressPair(db, 'no-such-lab', 4)).rejects.toMatchObject({ code: 'not-found' });
  });
});
