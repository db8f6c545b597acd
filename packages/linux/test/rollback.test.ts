import { KokoError } from '@koko/core';
import { Lab, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, planCreate } from '../src/index';

const lab = new Lab('kb');
afterAll(() => lab.cleanup());

/** Applies a plan and returns the KokoError it fails with. */
async function applyFailure(plan: Awaited<ReturnType<typeof planCreate>>): Promise<KokoError> {
  try {
    await applyPlan(plan);
  } catch (error) {
    if (error instanceof KokoError) return error;
    throw error;
  }
  throw new Error('the plan applied, but it should have failed');
}

describe('rollback', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
  });

  it('fails cleanly when a container stops between plan and apply', async () => {
    const container = await lab.container('c');
    const plan = await planCreate([
      { kind: 'veth', a: { node: { kind: 'docker', container }, ifname: 'eth1' }, b: { node: { kind: 'netns', name: b }, ifname: 'rb1' } },
    ]);
    const before = await lab.linkNames(b);
    await lab.stopContainer(container);

    const error = await applyFailure(plan);
    expect(error.code).toBe('failed');
    expect(error.message).toMatch(/^step 1 of \d+ failed \(create veth eth1/);
    expect(error.message).toContain(`container "${container}" no longer exists`);
    expect(error.message).toContain('Nothing had been changed');
    expect(await lab.linkNames(b)).toEqual(before);
  });

  it('undoes a created veth when a later step fails', async () => {
    await mustRun(['ip', '-n', a, 'link', 'add', 'src0', 'type', 'veth', 'peer', 'name', 'src1']);
    const plan = await planCreate([
      {
        kind: 'veth',
        a: { node: { kind: 'netns', name: a }, ifname: 'rb2', addresses: ['10.81.0.1/24'], mirror: { direction: 'both', source: 'src0' } },
        b: { node: { kind: 'netns', name: b }, ifname: 'rb2', addresses: ['10.81.0.2/24'] },
      },
    ]);
    const before = [await lab.linkNames(a), await lab.linkNames(b)];
    // The mirror source vanishes after planning, so the tc step fails after the veth exists.
    await mustRun(['ip', '-n', a, 'link', 'del', 'src0']);
    const expected = [before[0]!.filter((name) => name !== 'src0' && name !== 'src1'), before[1]];

    const error = await applyFailure(plan);
    expect(error.message).toContain('add clsact qdisc to src0');
    expect(error.message).toContain('Rolled back the');
    expect([await lab.linkNames(a), await lab.linkNames(b)]).toEqual(expected);
  });

  it('undoes the first link of a batch when the second fails', async () => {
    const plan = await planCreate([
      { kind: 'veth', a: { node: { kind: 'netns', name: a }, ifname: 'rb3' }, b: { node: { kind: 'netns', name: b }, ifname: 'rb3' } },
      { kind: 'veth', a: { node: { kind: 'netns', name: a }, ifname: 'rb4' }, b: { node: { kind: 'netns', name: b }, ifname: 'rb4' } },
    ]);
    const before = [await lab.linkNames(a), await lab.linkNames(b)];
    // Someone takes the second link's name between plan and apply.
    await mustRun(['ip', '-n', b, 'link', 'add', 'rb4', 'type', 'veth', 'peer', 'name', 'rb4p']);

    const error = await applyFailure(plan);
    expect(error.message).toMatch(/^step 2 of \d+ failed \(create veth rb4/);
    expect(error.message).toContain('File exists');
    expect(error.message).toContain('Rolled back the 1 step(s)');
    expect(await lab.linkNames(a)).toEqual(before[0]);
    expect(await lab.linkNames(b)).toEqual([...before[1]!, 'rb4', 'rb4p'].sort());
  });
});
