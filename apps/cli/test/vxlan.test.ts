import { Lab, koko, kokoJson, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('kx');
afterAll(() => lab.cleanup());

/**
 * Two simulated hosts: netns hostA and hostB joined by an underlay veth (192.0.2.1 and 192.0.2.2,
 * addresses that exist only inside these namespaces). Each host has an endpoint namespace, and
 * koko runs inside each host with `ip netns exec`, as it would on two machines.
 */
describe('vxlan between two simulated hosts', () => {
  let hostA: string;
  let hostB: string;
  let endA: string;
  let endB: string;

  beforeAll(async () => {
    [hostA, hostB, endA, endB] = await Promise.all([lab.netns('ha'), lab.netns('hb'), lab.netns('ea'), lab.netns('eb')]);
    await mustRun(['ip', 'link', 'add', 'under0', 'netns', hostA, 'type', 'veth', 'peer', 'name', 'under0', 'netns', hostB]);
    await mustRun(['ip', '-n', hostA, 'address', 'add', '192.0.2.1/24', 'dev', 'under0']);
    await mustRun(['ip', '-n', hostB, 'address', 'add', '192.0.2.2/24', 'dev', 'under0']);
    await mustRun(['ip', '-n', hostA, 'link', 'set', 'under0', 'up']);
    await mustRun(['ip', '-n', hostB, 'link', 'set', 'under0', 'up']);
  });

  it('carries ping across the underlay', async () => {
    const a = await koko(['-n', `${endA},vx100,10.41.0.1/24`, '-x', 'under0,192.0.2.2,100'], { netns: hostA });
    const b = await koko(['-n', `${endB},vx100,10.41.0.2/24`, '-x', 'under0,192.0.2.1,100'], { netns: hostB });
    expect(a.stderr + b.stderr).toBe('');
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(await lab.ping(endA, '10.41.0.2')).toBe(true);
  });

  it('runs a second VNI on the same parent', async () => {
    await koko(['-n', `${endA},vx200,10.42.0.1/24`, '-x', 'under0:192.0.2.2:200'], { netns: hostA });
    await koko(['-n', `${endB},vx200,10.42.0.2/24`, '-x', 'under0:192.0.2.1:200'], { netns: hostB });
    expect(await lab.ping(endA, '10.42.0.2')).toBe(true);
    expect(await lab.ping(endA, '10.41.0.2')).toBe(true);
  });

  it('lists the vxlan settings in JSON', async () => {
    const { exitCode, output } = await kokoJson(['--dry-run', '-n', `${endA},vx900`, '-x', 'under0,192.0.2.2,900,port=4790', '--group', '9'], { netns: hostA });
    expect(exitCode).toBe(0);
    expect((output.links as { settings: unknown }[])[0]!.settings).toEqual({ parent: 'under0', remote: '192.0.2.2', vni: 900, port: 4790, group: 9 });
  });

  it('explains a VNI and port already in use', async () => {
    // vx100 (VNI 100, port 4789) from the first test lives in endA now, but its socket is in hostA.
    const result = await koko(['-n', `${endA},vx101,10.43.0.1/24`, '-x', 'under0,192.0.2.2,100'], { netns: hostA });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Another vxlan made from this namespace uses the same VNI and UDP port, even if it now lives in another namespace');
    expect(result.stderr).toContain('Nothing had been changed.');
  });

  it('sets the UDP port and MTU it is given', async () => {
    const a = await koko(['-n', `${endA},vx300,10.43.0.1/24`, '-x', 'under0,192.0.2.2,300,port=4790,mtu=1400'], { netns: hostA });
    await koko(['-n', `${endB},vx300,10.43.0.2/24`, '-x', 'under0,192.0.2.1,300,port=4790,mtu=1400'], { netns: hostB });
    expect(a.exitCode).toBe(0);
    const link = (await lab.links(endA)).find((entry) => entry.ifname === 'vx300');
    expect(link?.mtu).toBe(1400);
    expect(link?.linkinfo?.info_data).toMatchObject({ id: 300, port: 4790, remote: '192.0.2.2' });
    expect(await lab.ping(endA, '10.43.0.2')).toBe(true);
  });

  it('rejects an MTU the parent cannot carry', async () => {
    const result = await koko(['-n', `${endA},vx500`, '-x', 'under0,192.0.2.2,500', '--mtu', '1451'], { netns: hostA });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('MTU 1451 is larger than 1450, the most a vxlan over MTU 1500 of parent interface "under0" can carry');
    expect(await lab.linkNames(endA)).not.toContain('vx500');
  });

  it('leaves nothing in the host namespace', async () => {
    const names = await lab.linkNames(hostA);
    expect(names).toEqual(['lo', 'under0']);
  });

  it('rejects a missing parent before changing anything', async () => {
    const before = await lab.linkNames(endA);
    const result = await koko(['-n', `${endA},vx400`, '-x', 'nosuch0,192.0.2.2,400'], { netns: hostA });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('parent interface "nosuch0" not found in the current namespace');
    expect(result.stderr).toContain('a parent in another namespace needs koko to run there, for example: ip netns exec NAME koko ...');
    expect(await lab.linkNames(endA)).toEqual(before);
  });
});
