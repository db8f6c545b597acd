import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocateVniIn, lowestFree, previewVni } from '../src/allocate';
import type { KokoDatabase } from '../src/database';
import type { LabRecord } from '../src/labs';
import { createLink, deleteLink, listLinks } from '../src/links';
import { ALICE, makeLab, openTempDatabase, twoHosts, vxlanDraft } from './helpers';

describe('lowestFree', () => {
  it.each([
    [[], { min: 1, max: 10 }, 1],
    [[1, 2, 3], { min: 1, max: 10 }, 4],
    [[1, 3], { min: 1, max: 10 }, 2],
    [[2, 3], { min: 1, max: 10 }, 1],
    [[5, 6], { min: 5, max: 6 }, undefined],
    [[1, 2, 100], { min: 50, max: 200 }, 50],
    [[50, 51, 52], { min: 50, max: 200 }, 53],
  ])('in %j within %j is %s', (used, range, expected) => {
    expect(lowestFree(used, range)).toBe(expected);
  });
});

describe('VNI allocation', () => {
  let db: KokoDatabase;
  let cleanup: () => Promise<void>;
  let lab: LabRecord;

  beforeEach(async () => {
    ({ db, cleanup } = await openTempDatabase());
    await twoHosts(db);
    lab = await makeLab(db);
  });
  afterEach(async () => {
    await cleanup();
  });

  const vxlan = (index: number, extra: object = {}) => ({ labId: lab.id, link: { ...vxlanDraft(`a${index}`, `b${index}`), ...extra } });

  it('hands out the lowest free VNI and skips given ones', async () => {
    const given = await createLink(db, vxlan(0, { vni: 2 }), ALICE);
    const first = await createLink(db, vxlan(1), ALICE);
    const second = await createLink(db, vxlan(2), ALICE);
    expect([given.vni, first.vni, second.vni]).toEqual([2, 1, 3]);
  });

  it('reuses a VNI only after its link is deleted', async () => {
    const first = await createLink(db, vxlan(1), ALICE);
    const second = await createLink(db, vxlan(2), ALICE);
    expect(await previewVni(db)).toBe(3);

    await deleteLink(db, first.id, ALICE);
    expect(await previewVni(db)).toBe(first.vni);
    const third = await createLink(db, vxlan(3), ALICE);
    expect(third.vni).toBe(first.vni);
    expect(third.vni).not.toBe(second.vni);
  });

  it('keeps VNIs unique across labs', async () => {
    const other = await makeLab(db, 'lab2');
    const mine = await createLink(db, vxlan(1), ALICE);
    const theirs = await createLink(db, { labId: other.id, link: vxlanDraft('c1', 'c2') }, ALICE);
    expect(theirs.vni).not.toBe(mine.vni);

    await expect(createLink(db, { labId: other.id, link: { ...vxlanDraft('c3', 'c4'), vni: mine.vni } }, ALICE)).rejects.toMatchObject({
      code: 'conflict',
      message: `VNI ${mine.vni} is already used by link ${mine.id} in lab "lab1"; leave the VNI out to get a free one`,
    });
  });

  it('never hands out a VNI in use under concurrent creates', async () => {
    await createLink(db, vxlan(0, { vni: 3 }), ALICE);
    const created = await Promise.all(Array.from({ length: 25 }, (_, index) => createLink(db, vxlan(index + 1), ALICE)));
    const vnis = created.map((link) => link.vni!);
    expect(new Set(vnis).size).toBe(25);
    expect(vnis).not.toContain(3);
    expect(Math.max(...vnis)).toBe(26);

    const stored = (await listLinks(db)).map((link) => link.vni);
    expect(new Set(stored).size).toBe(26);
  });

  it('honours a range and reports exhaustion', async () => {
    const range = { min: 100, max: 101 };
    const one = await createLink(db, vxlan(1), ALICE, { vniRange: range });
    const two = await createLink(db, vxlan(2), ALICE, { vniRange: range });
    expect([one.vni, two.vni]).toEqual([100, 101]);
    await expect(createLink(db, vxlan(3), ALICE, { vniRange: range })).rejects.toMatchObject({
      code: 'conflict',
      message: 'every VNI from 100 to 101 is held by a link; delete vxlan links you no longer need or allow a wider range',
    });
  });

  it('rejects an invalid range', async () => {
    await expect(db.write((transaction) => allocateVniIn(transaction, { min: 0, max: 10 }))).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/VNI range 0-10 is invalid/) });
    await expect(db.write((transaction) => allocateVniIn(transaction, { min: 10, max: 5 }))).rejects.toMatchObject({ code: 'invalid' });
  });
});
