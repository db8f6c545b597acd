import { Lab, koko, kokoJson, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('kd');
afterAll(() => lab.cleanup());

describe('delete', () => {
  let a: string;
  let b: string;
  let c: string;
  beforeAll(async () => {
    [a, b, c] = await Promise.all([lab.netns('a'), lab.netns('b'), lab.container('c')]);
  });

  it('removes a veth and its peer by netns', async () => {
    await koko(['-n', `${a},del1`, '-n', `${b},del1`]);
    const result = await koko(['-N', `${a},del1`]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^deleted veth del1 in netns "${a}" and its peer \\(link [0-9a-f]{10}\\)$`));
    expect(await lab.linkNames(a)).not.toContain('del1');
    expect(await lab.linkNames(b)).not.toContain('del1');
  });

  it('removes by container', async () => {
    await koko(['-d', `${c},del2`, '-n', `${b},del2`]);
    expect((await koko(['-D', `${c},del2`])).exitCode).toBe(0);
    expect(await lab.linkNames(b)).not.toContain('del2');
  });

  it('removes by PID', async () => {
    const pid = await lab.containerPid(c);
    await koko(['-d', `${c},del3`, '-n', `${b},del3`]);
    expect((await koko(['-P', `${pid},del3`])).exitCode).toBe(0);
    expect((await lab.linksOfPid(pid)).map((link) => link.ifname)).not.toContain('del3');
  });

  it('removes by namespace path', async () => {
    await koko(['-n', `${a},del4`, '-n', `${b},del4`]);
    expect((await koko(['-A', `/run/netns/${b},del4`])).exitCode).toBe(0);
    expect(await lab.linkNames(a)).not.toContain('del4');
  });

  it('removes from the current namespace', async () => {
    await koko(['-c', 'del5', '-n', `${b},del5`], { netns: a });
    expect((await koko(['-C', 'del5'], { netns: a })).exitCode).toBe(0);
    expect(await lab.linkNames(b)).not.toContain('del5');
  });

  it('removes both ends named in one command once', async () => {
    await koko(['-n', `${a},del6`, '-n', `${b},del6`]);
    const { exitCode, output } = await kokoJson(['-N', `${a},del6`, '-N', `${b},del6`]);
    expect(exitCode).toBe(0);
    expect(output.deleted).toEqual([{ namespace: `netns "${a}"`, node: { kind: 'netns', name: a }, ifname: 'del6', kind: 'veth', linkId: expect.any(String), withPeer: true }]);
    expect(await lab.linkNames(b)).not.toContain('del6');
  });

  it('removes several interfaces of one namespace together', async () => {
    await koko(['-n', `${a},many1`, '-n', `${b},many1`]);
    await koko(['-n', `${a},many2`, '-n', `${b},many2`]);
    await koko(['-n', `${a},keep1`, '-n', `${b},keep1`, '--group', '5']);
    const result = await koko(['-N', `${a},many1`, '-N', `${a},many2`]);
    expect(result.exitCode).toBe(0);
    const left = await lab.links(a);
    expect(left.map((link) => link.ifname)).not.toContain('many1');
    expect(left.map((link) => link.ifname)).not.toContain('many2');
    expect(left.find((link) => link.ifname === 'keep1')?.group).toBe('5');
    expect(await lab.linkNames(b)).toContain('keep1');
  });

  it('deletes every named interface even with a repeated link id', async () => {
    // Interfaces tagged by hand with one id must still be told apart by their peers.
    await koko(['-n', `${a},dup1`, '-n', `${b},dup1`, '--id', 'dupid']);
    await mustRun(['ip', 'link', 'add', 'dup2', 'netns', a, 'type', 'veth', 'peer', 'name', 'dup2', 'netns', b]);
    await mustRun(['ip', '-n', a, 'link', 'set', 'dup2', 'alias', 'koko:dupid']);
    await mustRun(['ip', '-n', b, 'link', 'set', 'dup2', 'alias', 'koko:dupid']);
    const result = await koko(['-N', `${a},dup1`, '-N', `${a},dup2`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.linkNames(a)).not.toContain('dup1');
    expect(await lab.linkNames(a)).not.toContain('dup2');
  });

  it('reports a missing interface', async () => {
    const result = await koko(['-N', `${a},nosuch`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`interface "nosuch" not found in netns "${a}"`);
  });

  it('refuses to delete lo', async () => {
    const result = await koko(['-N', `${a},lo`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('refusing to delete lo');
    expect(await lab.linkNames(a)).toContain('lo');
  });
});
