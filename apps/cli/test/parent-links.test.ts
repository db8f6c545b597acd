import { Lab, koko, linkNames, mustRun, run } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('km');
afterAll(() => lab.cleanup());

/** Whether the running kernel has a link kind, asked in a throwaway namespace. */
async function kernelHas(kind: string): Promise<boolean> {
  const result = await run(['unshare', '--net', 'ip', 'link', 'add', 'probe0', 'type', kind, 'id', '1']);
  return !result.stderr.includes('Unknown device type');
}

const MACVLAN_MODES = ['default', 'private', 'vepa', 'bridge', 'passthru'] as const;

describe('macvlan', () => {
  let host: string;
  let outside: string;
  beforeAll(async () => {
    [host, outside] = await Promise.all([lab.netns('host'), lab.netns('out')]);
  });

  it.each(MACVLAN_MODES.map((mode, index) => [mode, index]))('carries ping in %s mode', async (mode, index) => {
    const parent = `par${index}`;
    const endpoint = await lab.netns(`e${index}`);
    await mustRun(['ip', 'link', 'add', parent, 'netns', host, 'type', 'veth', 'peer', 'name', `out${index}`, 'netns', outside]);
    await mustRun(['ip', '-n', host, 'link', 'set', parent, 'up']);
    await mustRun(['ip', '-n', outside, 'address', 'add', `10.5${index}.0.2/24`, 'dev', `out${index}`]);
    await mustRun(['ip', '-n', outside, 'link', 'set', `out${index}`, 'up']);

    const result = await koko(['-n', `${endpoint},mv0,10.5${index}.0.1/24`, '-M', `${parent},${mode}`], { netns: host });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const link = (await lab.links(endpoint)).find((entry) => entry.ifname === 'mv0');
    expect(link?.linkinfo?.info_kind).toBe('macvlan');
    expect(link?.linkinfo?.info_data?.mode).toBe(mode === 'default' ? 'vepa' : mode);
    expect(await lab.ping(endpoint, `10.5${index}.0.2`)).toBe(true);
  });

  it('rejects the loopback interface as parent', async () => {
    const endpoint = await lab.netns('elo');
    const result = await koko(['-n', `${endpoint},mvlo`, '-M', 'lo,bridge'], { netns: host });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('macvlan needs an Ethernet parent, and "lo" is the loopback interface; give a veth, bridge or physical interface');
    expect(await linkNames(endpoint)).toEqual(['lo']);
  });

  it('rejects an MTU above the parent MTU', async () => {
    const endpoint = await lab.netns('big');
    await mustRun(['ip', 'link', 'add', 'parbig', 'netns', host, 'type', 'veth', 'peer', 'name', 'outbig', 'netns', outside]);
    const result = await koko(['-n', `${endpoint},mv0`, '-M', 'parbig,bridge', '--mtu', '9000'], { netns: host });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('MTU 9000 is larger than the MTU 1500 of parent interface "parbig"');
  });
});

describe('vlan', () => {
  it('makes a vlan link or says the kernel lacks 8021q', async () => {
    const host = await lab.netns('vhost');
    const endpoint = await lab.netns('vend');
    await mustRun(['ip', '-n', host, 'link', 'add', 'trunk0', 'type', 'veth', 'peer', 'name', 'trunk1']);
    const before = await lab.linkNames(endpoint);
    const result = await koko(['-n', `${endpoint},eth0.10,10.61.0.1/24`, '-V', 'trunk0,10'], { netns: host });
    if (await kernelHas('vlan')) {
      expect(result.exitCode).toBe(0);
      const link = (await lab.links(endpoint)).find((entry) => entry.ifname === 'eth0.10');
      expect(link?.linkinfo?.info_data?.id).toBe(10);
    } else {
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('this kernel has no vlan support (8021q module)');
      expect(await lab.linkNames(endpoint)).toEqual(before);
      expect(await lab.linkNames(host)).toEqual(['lo', 'trunk0', 'trunk1']);
    }
  });
});
