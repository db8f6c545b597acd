import { Lab, capture, koko, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('kr');
afterAll(() => lab.cleanup());

/**
 * Namespace a and b share a veth (eth1, 10.71.0.1 and .2). A mirror copies a's eth1 traffic onto a
 * new veth whose other end sits in namespace m, where tcpdump watches. b pings a, so a's eth1 sees
 * echo requests on ingress and sends echo replies on egress: each direction shows only its own kind.
 */
describe('traffic mirror', () => {
  let a: string;
  let b: string;
  let m: string;

  beforeAll(async () => {
    [a, b, m] = await Promise.all([lab.netns('a'), lab.netns('b'), lab.netns('m')]);
    await mustRun(['ip', 'link', 'add', 'eth1', 'netns', a, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', b]);
    await mustRun(['ip', '-n', a, 'address', 'add', '10.71.0.1/24', 'dev', 'eth1']);
    await mustRun(['ip', '-n', b, 'address', 'add', '10.71.0.2/24', 'dev', 'eth1']);
    await mustRun(['ip', '-n', a, 'link', 'set', 'eth1', 'up']);
    await mustRun(['ip', '-n', b, 'link', 'set', 'eth1', 'up']);
  });

  it('copies ingress traffic only', async () => {
    const result = await koko(['-n', `${a},mirin,mirror:ingress:eth1`, '-n', `${m},tapin`]);
    expect(result.exitCode).toBe(0);
    await mustRun(['ip', '-n', m, 'link', 'set', 'tapin', 'up']);
    const packets = await capture(m, 'tapin', 'icmp', 3, () => lab.ping(b, '10.71.0.1', ['-c', '3']));
    expect(packets.length).toBeGreaterThanOrEqual(2);
    expect(packets.every((line) => line.includes('10.71.0.2 > 10.71.0.1: ICMP echo request'))).toBe(true);
  });

  it('copies egress traffic only', async () => {
    const result = await koko(['-n', `${a},mireg,mirror:egress:eth1`, '-n', `${m},tapeg`]);
    expect(result.exitCode).toBe(0);
    await mustRun(['ip', '-n', m, 'link', 'set', 'tapeg', 'up']);
    const packets = await capture(m, 'tapeg', 'icmp', 3, () => lab.ping(b, '10.71.0.1', ['-c', '3']));
    expect(packets.length).toBeGreaterThanOrEqual(2);
    expect(packets.every((line) => line.includes('10.71.0.1 > 10.71.0.2: ICMP echo reply'))).toBe(true);
  });

  it('copies both directions', async () => {
    const result = await koko(['-n', `${a},mirbo,mirror:both:eth1`, '-n', `${m},tapbo`]);
    expect(result.exitCode).toBe(0);
    await mustRun(['ip', '-n', m, 'link', 'set', 'tapbo', 'up']);
    const packets = await capture(m, 'tapbo', 'icmp', 4, () => lab.ping(b, '10.71.0.1', ['-c', '3']));
    expect(packets.some((line) => line.includes('echo request'))).toBe(true);
    expect(packets.some((line) => line.includes('echo reply'))).toBe(true);
  });

  it('removes its filters when the mirror target is deleted', async () => {
    const filtersBefore = await mustRun(['ip', 'netns', 'exec', a, 'tc', 'filter', 'show', 'dev', 'eth1', 'ingress']);
    expect(filtersBefore).toContain('mirin');
    const result = await koko(['-N', `${a},mirin`]);
    expect(result.exitCode).toBe(0);
    const ingress = await mustRun(['ip', 'netns', 'exec', a, 'tc', 'filter', 'show', 'dev', 'eth1', 'ingress']);
    expect(ingress).not.toContain('mirin');
    expect(ingress).toContain('mirbo');
    expect(await lab.linkNames(m)).not.toContain('tapin');
  });

  it('removes its filters when the far end is deleted', async () => {
    const created = await koko(['-n', `${a},mirfar,mirror:ingress:eth1`, '-n', `${m},tapfar`]);
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toContain('mirroring ingress of eth1');
    expect(await mustRun(['ip', 'netns', 'exec', a, 'tc', 'filter', 'show', 'dev', 'eth1', 'ingress'])).toContain('mirfar');

    const result = await koko(['-N', `${m},tapfar`]);
    expect(result.exitCode).toBe(0);
    const ingress = await mustRun(['ip', 'netns', 'exec', a, 'tc', 'filter', 'show', 'dev', 'eth1', 'ingress']);
    expect(ingress).not.toContain('mirfar');
    expect(ingress).not.toContain('device *');
    expect(await lab.linkNames(a)).not.toContain('mirfar');
  });

  it('rejects a missing mirror source', async () => {
    const result = await koko(['-n', `${a},mirx,mirror:both:nosuch`, '-n', `${m},tapx`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`mirror source interface "nosuch" not found in netns "${a}"`);
    expect(await lab.linkNames(m)).not.toContain('tapx');
  });
});
