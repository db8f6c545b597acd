import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KokoDatabase } from '../src/database';
import { listHistory } from '../src/history';
import { createLab, deleteLab, type LabRecord } from '../src/labs';
import { specOf } from '../src/link-record';
import { createLink, deleteLink, listLinks, markLinkFailed, markLinkUp } from '../src/links';
import { desiredLinksAfter, planRestore } from '../src/restore';
import { ALICE, BOB, openTempDatabase, twoHosts, vethDraft, vxlanDraft } from './helpers';

let db: KokoDatabase;
let cleanup: () => Promise<void>;
let lab: LabRecord;

beforeEach(async () => {
  ({ db, cleanup } = await openTempDatabase());
  await twoHosts(db);
  lab = await createLab(db, { name: 'lab1' }, ALICE);
});
afterEach(async () => {
  await cleanup();
});

/** Id of the newest history entry: "the change just made". */
async function lastEntryId(): Promise<number> {
  const [entry] = await listHistory(db, { limit: 1 });
  return entry!.id;
}

const ids = (links: { id: string }[]) => links.map((link) => link.id).sort();

describe('restore points', () => {
  it('rebuild the desired links after each change', async () => {
    const other = await createLab(db, { name: 'other' }, BOB);
    const afterLab = await lastEntryId();

    const one = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const afterOne = await lastEntryId();
    const two = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, BOB);
    const afterTwo = await lastEntryId();
    await createLink(db, { labId: other.id, link: vethDraft('s1', 's2') }, BOB);
    await markLinkUp(db, one.id, ALICE);
    const afterUp = await lastEntryId();
    await deleteLink(db, two.id, ALICE);
    const afterDelete = await lastEntryId();
    const three = await createLink(db, { labId: lab.id, link: vethDraft('r3', 'r4') }, BOB);
    await markLinkFailed(db, three.id, 'container "r4" is not running', ALICE);
    const afterFailed = await lastEntryId();

    expect(await desiredLinksAfter(db, lab.id, afterLab)).toEqual([]);
    expect(ids(await desiredLinksAfter(db, lab.id, afterOne))).toEqual([one.id]);
    expect(ids(await desiredLinksAfter(db, lab.id, afterTwo))).toEqual(ids([one, two]));
    expect(ids(await desiredLinksAfter(db, lab.id, afterUp))).toEqual(ids([one, two]));
    expect(ids(await desiredLinksAfter(db, lab.id, afterDelete))).toEqual([one.id]);
    expect(ids(await desiredLinksAfter(db, lab.id, afterFailed))).toEqual(ids([one, three]));

    const vxlanAfterTwo = (await desiredLinksAfter(db, lab.id, afterTwo)).find((link) => link.id === two.id);
    expect(vxlanAfterTwo).toEqual(specOf(two));
    expect(vxlanAfterTwo).not.toHaveProperty('status');
  });

  it('plan the difference to an earlier point and apply it', async () => {
    const one = await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    const two = await createLink(db, { labId: lab.id, link: vxlanDraft('r1', 'r9') }, ALICE);
    await markLinkUp(db, one.id, ALICE);
    const point = await lastEntryId();

    await deleteLink(db, two.id, BOB);
    const three = await createLink(db, { labId: lab.id, link: vethDraft('r5', 'r6') }, BOB);

    const plan = await planRestore(db, lab.id, point);
    expect(plan.lab.id).toBe(lab.id);
    expect(plan.entryId).toBe(point);
    expect(ids(plan.keep)).toEqual([one.id]);
    expect(ids(plan.remove)).toEqual([three.id]);
    expect(plan.create).toEqual([specOf(two)]);
    expect(ids(plan.target)).toEqual(ids([one, two]));

    // What the controller does with the plan, without the agents.
    for (const link of plan.remove) await deleteLink(db, link.id, ALICE);
    for (const spec of plan.create) await createLink(db, { labId: lab.id, link: spec }, ALICE);

    const restored = await listLinks(db, { labId: lab.id });
    expect(restored.map(specOf).sort((left, right) => left.id.localeCompare(right.id))).toEqual(
      [...plan.target].sort((left, right) => left.id.localeCompare(right.id)),
    );
    expect(restored.find((link) => link.id === two.id)?.vni).toBe(two.vni);
    expect((await planRestore(db, lab.id, point)).create).toEqual([]);
  });

  it('plan replaces a link whose settings changed', async () => {
    const draft = vethDraft('r1', 'r2');
    const original = await createLink(db, { labId: lab.id, link: { ...draft, id: 'link-a', a: { ...draft.a, addresses: ['192.0.2.1/30'] } } }, ALICE);
    const point = await lastEntryId();
    await deleteLink(db, original.id, ALICE);
    await createLink(db, { labId: lab.id, link: { ...draft, id: 'link-a', a: { ...draft.a, addresses: ['192.0.2.5/30'] } } }, ALICE);

    const plan = await planRestore(db, lab.id, point);
    expect(ids(plan.remove)).toEqual(['link-a']);
    expect(plan.create.map((spec) => spec.a.addresses)).toEqual([['192.0.2.1/30']]);
    expect(plan.keep).toEqual([]);
  });

  it('plan to before the first link removes everything', async () => {
    const point = await lastEntryId();
    await createLink(db, { labId: lab.id, link: vethDraft('r1', 'r2') }, ALICE);
    await createLink(db, { labId: lab.id, link: vethDraft('r3', 'r4') }, ALICE);
    const plan = await planRestore(db, lab.id, point);
    expect(plan.remove).toHaveLength(2);
    expect(plan.create).toEqual([]);
    expect(plan.target).toEqual([]);
  });

  it('report an unknown entry or lab', async () => {
    await expect(desiredLinksAfter(db, lab.id, 424242)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/history entry 424242 does not exist/) });
    const point = await lastEntryId();
    await deleteLab(db, lab.id, ALICE);
    await expect(planRestore(db, lab.id, point)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/import its exported file instead/) });
  });
});
