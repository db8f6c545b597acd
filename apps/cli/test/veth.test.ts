import { Lab, koko, kokoJson, linkNames, run } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const lab = new Lab('kv');
afterAll(() => lab.cleanup());

describe('veth between named namespaces', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = await lab.netns('a');
    b = await lab.netns('b');
  });

  it('carries IPv4 ping', async () => {
    const result = await koko(['-n', `${a},eth1,10.11.0.1/24`, '-n', `${b},eth1,10.11.0.2/24`]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^created veth [0-9a-f]{10}: eth1 in netns/);
    expect(await lab.ping(a, '10.11.0.2')).toBe(true);
  });

  it('carries IPv6 ping', async () => {
    const result = await koko(['-n', `${a},eth2,fd11::1/64`, '-n', `${b},eth2,fd11::2/64`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.ping(a, 'fd11::2')).toBe(true);
  });

  it('carries dual-stack ping with several addresses', async () => {
    const result = await koko(['-n', `${a},eth3,10.13.0.1/24,fd13::1/64,10.14.0.1/24`, '-n', `${b},eth3,10.13.0.2/24,fd13::2/64,10.14.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.ping(a, '10.13.0.2')).toBe(true);
    expect(await lab.ping(a, 'fd13::2')).toBe(true);
    expect(await lab.ping(a, '10.14.0.2')).toBe(true);
  });

  it('tags both ends with the link id and sets the group and MTU', async () => {
    const { exitCode, output } = await kokoJson(['-n', `${a},eth4`, '-n', `${b},eth4`, '--id', 'vethtag1', '--group', '77', '--mtu', '1400']);
    expect(exitCode).toBe(0);
    expect(output.ok).toBe(true);
    for (const netns of [a, b]) {
      const link = (await lab.links(netns)).find((entry) => entry.ifname === 'eth4');
      expect(link?.ifalias).toBe('koko:vethtag1');
      expect(link?.group).toBe('77');
      expect(link?.mtu).toBe(1400);
      expect(link?.linkinfo?.info_kind).toBe('veth');
      expect(link?.flags).toContain('UP');
    }
  });

  it('takes names that are ip keywords', async () => {
    for (const [left, right] of [
      ['up', 'down'],
      ['help', 'nomaster'],
    ]) {
      const result = await koko(['-n', `${a},${left},10.15.0.1/30`, '-n', `${b},${right},10.15.0.2/30`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await linkNames(a)).toContain(left);
      expect(await linkNames(b)).toContain(right);
      expect(await lab.ping(a, '10.15.0.2')).toBe(true);
      expect((await koko(['-N', `${a},${left}`])).exitCode).toBe(0);
    }
    expect(await linkNames(a)).not.toContain('veth0');
  });

  it('rejects an MTU too small for IPv6 before any change', async () => {
    const result = await koko(['-n', `${a},small6,fd15::1/64`, '-n', `${b},small6,fd15::2/64`, '--mtu', '1000']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/MTU 1000 is below 1280, the least an interface with an IPv6 address such as fd15::1\/64 takes; give an MTU of 1280 or more/);
    expect(await linkNames(a)).not.toContain('small6');
  });

  it('rejects a link id already in use', async () => {
    const result = await koko(['-n', `${a},eth5`, '-n', `${b},eth5`, '--id', 'vethtag1']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`link id vethtag1 is already used by eth4 in netns "${a}"; pick another id or leave --id out`);
    expect(await lab.linkNames(a)).not.toContain('eth5');
  });

  it('rejects a name that exists and changes nothing', async () => {
    const before = [await lab.linkNames(a), await lab.linkNames(b)];
    const result = await koko(['-n', `${a},eth1`, '-n', `${b},eth9`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`interface "eth1" already exists in netns "${a}"`);
    expect(result.stderr).toContain(`koko -N ${a},eth1`);
    expect([await lab.linkNames(a), await lab.linkNames(b)]).toEqual(before);
  });

  it('does not offer to delete an interface koko did not make', async () => {
    await run(['ip', '-n', a, 'link', 'add', 'hand7', 'type', 'veth', 'peer', 'name', 'hand8']);
    const result = await koko(['-n', `${a},hand7`, '-n', `${b},hand7`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`koko: interface "hand7" already exists in netns "${a}" and koko did not make it; pick another name`);
    expect(result.stderr).not.toContain('koko -N');

    const deleted = await koko(['-N', `${a},hand7`]);
    expect(deleted.exitCode).toBe(0);
    expect(deleted.stderr).toBe(`koko: note: hand7 in netns "${a}" was not made by koko`);
    expect(await lab.linkNames(a)).not.toContain('hand8');
  });

  it('rejects a missing netns with the fix', async () => {
    const result = await koko(['-n', `${a},eth8`, '-n', `${lab.prefix}-missing,eth8`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`netns "${lab.prefix}-missing" not found`);
    expect(result.stderr).toContain('ip netns add');
    expect(await lab.linkNames(a)).not.toContain('eth8');
  });
});

describe('veth with Docker containers', () => {
  let c1: string;
  let c2: string;
  let n: string;
  beforeAll(async () => {
    [c1, c2, n] = await Promise.all([lab.container('c1'), lab.container('c2'), lab.netns('n')]);
  });

  it('joins two containers', async () => {
    const result = await koko(['-d', `${c1},eth1,10.21.0.1/24`, '-d', `${c2},eth1,10.21.0.2/24`]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(await lab.pingFromContainer(c1, '10.21.0.2')).toBe(true);
  });

  it('carries IPv6 between containers that have IPv6 switched off', async () => {
    const sysctl = await run(['docker', 'exec', c1, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6']);
    expect(sysctl.stdout.trim()).toBe('1');
    const result = await koko(['-d', `${c1},eth6,fd26::1/64,10.26.0.1/24`, '-d', `${c2},eth6,fd26::2/64,10.26.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.pingFromContainer(c1, 'fd26::2')).toBe(true);
    expect(await lab.pingFromContainer(c1, '10.26.0.2')).toBe(true);
  });

  it('joins a container and a netns in the colon form', async () => {
    const result = await koko(['-d', `${c1}:eth2:10.22.0.1/24`, '-n', `${n}:eth2:10.22.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.ping(n, '10.22.0.1')).toBe(true);
  });

  it('joins a container by PID and a netns by path', async () => {
    const pid = await lab.containerPid(c2);
    const result = await koko(['-p', `${pid},eth3,10.23.0.1/24`, '-a', `/run/netns/${n},eth3,10.23.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.ping(n, '10.23.0.1')).toBe(true);
  });

  it('joins a process namespace by /proc path', async () => {
    const other = await lab.netns('p');
    const pid = await lab.processIn(other);
    const result = await koko(['-a', `/proc/${pid}/ns/net,eth1,10.24.0.1/24`, '-n', `${n},eth4,10.24.0.2/24`]);
    expect(result.exitCode).toBe(0);
    expect(await lab.ping(n, '10.24.0.1')).toBe(true);
  });

  it('rejects a stopped container with the fix', async () => {
    const stopped = await lab.container('stopped');
    await lab.stopContainer(stopped);
    const result = await koko(['-d', `${stopped},eth1`, '-n', `${n},eth9`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`container "${stopped}" is not running`);
    expect(result.stderr).toContain(`docker start ${stopped}`);
    expect(await lab.linkNames(n)).not.toContain('eth9');
  });

  it('rejects a missing container', async () => {
    const result = await koko(['-d', `${lab.prefix}-nosuch,eth1`, '-n', `${n},eth9`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`container "${lab.prefix}-nosuch" not found`);
  });
});

describe('veth to the current namespace', () => {
  it('creates one end where koko runs', async () => {
    const host = await lab.netns('host');
    const peer = await lab.netns('peer');
    const result = await koko(['-c', 'cur0,10.31.0.1/24', '-n', `${peer},eth1,10.31.0.2/24`], { netns: host });
    expect(result.exitCode).toBe(0);
    expect(await lab.linkNames(host)).toContain('cur0');
    expect(await lab.ping(host, '10.31.0.2')).toBe(true);
  });
});
