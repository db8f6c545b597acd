import type { LinkRequestInput } from '@koko/core';
import { TRPCClientError } from '@trpc/client';
import type { AgentRouter } from '@koko/agent-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type RunningAgent, ipLinks, linkNames, sh, startAgent } from './helpers';

const lab = new Lab('kag');
let agent: RunningAgent;
let hostAgent: RunningAgent;
let a: string;
let b: string;
let host: string;
let guest: string;

function netns(name: string) {
  return { kind: 'netns' as const, name };
}

function veth(ifA: string, ifB: string, extra: Partial<{ addressesA: string[]; addressesB: string[]; id: string }> = {}): LinkRequestInput {
  return {
    kind: 'veth',
    ...(extra.id ? { id: extra.id } : {}),
    a: { node: netns(a), ifname: ifA, addresses: extra.addressesA ?? [] },
    b: { node: netns(b), ifname: ifB, addresses: extra.addressesB ?? [] },
  };
}

async function rejection(promise: Promise<unknown>): Promise<TRPCClientError<AgentRouter>> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AgentRouter>;
}

beforeAll(async () => {
  [a, b, host, guest] = await Promise.all([lab.netns('a'), lab.netns('b'), lab.netns('h'), lab.netns('g')]);
  // The simulated host's underlay: a veth whose far end sits in netns b, so parent links have a real parent.
  await sh('ip', '-n', host, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u0p', 'netns', b);
  await sh('ip', '-n', host, 'address', 'add', '10.77.0.1/24', 'dev', 'u0');
  await sh('ip', '-n', host, 'link', 'set', 'u0', 'up');
  [agent, hostAgent] = await Promise.all([startAgent(), startAgent({ socket: true, netns: host })]);
});

afterAll(async () => {
  await Promise.all([agent?.stop(), hostAgent?.stop()]);
  await lab.cleanup();
});

describe('veth', () => {
  it('creates and deletes a veth between two netns', async () => {
    const created = await agent.client.create.mutate({ link: veth('kv0', 'kv1', { addressesA: ['10.70.0.1/24'], addressesB: ['10.70.0.2/24'] }) });

    expect(created.links).toHaveLength(1);
    const [endA] = (await ipLinks(a)).filter((link) => link.ifname === 'kv0');
    expect(endA?.linkinfo?.info_kind).toBe('veth');
    expect(endA?.ifalias).toBe(`koko:${created.links[0]!.id}`);
    expect(endA?.addr_info?.map((entry) => `${entry.local}/${entry.prefixlen}`)).toContain('10.70.0.1/24');
    await sh('ip', 'netns', 'exec', a, 'ping', '-c', '1', '-W', '2', '10.70.0.2');

    const deleted = await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kv0' }] });

    expect(deleted.deleted).toHaveLength(1);
    expect(await linkNames(a)).toEqual(['lo']);
    expect(await linkNames(b)).not.toContain('kv1');
  });

  it('logs each operation with its link id and duration', async () => {
    const created = await agent.client.create.mutate({ link: veth('kl0', 'kl1', { id: 'kaglog1' }) });
    await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kl0' }] });

    const entry = agent.logs.find((line) => line.msg === 'create done' && (line.linkIds as string[]).includes(created.links[0]!.id));
    expect(entry).toBeDefined();
    expect(typeof entry!.durationMs).toBe('number');
  });

  it('plan prints the commands and changes nothing', async () => {
    const plan = await agent.client.plan.mutate({ create: [veth('kp0', 'kp1')] });

    expect(plan.links[0]!.kind).toBe('veth');
    expect(plan.batches[0]!.input!.join('\n')).toContain('type veth peer name kp1');
    expect(await linkNames(a)).toEqual(['lo']);
  });

  it('rejects a name that exists with a conflict naming it', async () => {
    await agent.client.create.mutate({ link: veth('kc0', 'kc1') });
    try {
      const error = await rejection(agent.client.create.mutate({ link: veth('kc0', 'kc9') }));

      expect(error.data?.code).toBe('CONFLICT');
      expect(error.data?.kokoCode).toBe('conflict');
      expect(error.message).toContain('"kc0" already exists');
      expect(await linkNames(b)).not.toContain('kc9');
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kc0' }] });
    }
  });
});

describe('batch', () => {
  it('applies creates and deletes in one request', async () => {
    await agent.client.create.mutate({ link: veth('kb0', 'kb1') });

    const result = await agent.client.applyBatch.mutate({
      delete: [{ node: netns(a), ifname: 'kb0' }],
      create: [veth('kb2', 'kb3'), veth('kb4', 'kb5'), veth('kb6', 'kb7')],
    });

    expect(result.deleted).toHaveLength(1);
    expect(result.links).toHaveLength(3);
    expect(await linkNames(a)).toEqual(['kb2', 'kb4', 'kb6', 'lo']);

    await agent.client.applyBatch.mutate({ delete: ['kb2', 'kb4', 'kb6'].map((ifname) => ({ node: netns(a), ifname })) });
    expect(await linkNames(a)).toEqual(['lo']);
  });

  it('changes nothing when one link of a batch is invalid', async () => {
    const error = await rejection(agent.client.applyBatch.mutate({ create: [veth('kd0', 'kd1'), veth('kd2', 'bad name')] }));

    expect(error.data?.field).toBe('create.1.b.ifname');
    expect(await linkNames(a)).toEqual(['lo']);
  });

  it('rejects deleting and creating one name in one batch', async () => {
    await agent.client.create.mutate({ link: veth('kr0', 'kr1') });
    try {
      const error = await rejection(agent.client.applyBatch.mutate({ delete: [{ node: netns(a), ifname: 'kr0' }], create: [veth('kr0', 'kr2')] }));

      expect(error.message).toContain('both deleted and created');
      expect(error.data?.field).toBe('create.0');
      expect(await linkNames(a)).toContain('kr0');
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kr0' }] });
    }
  });
});

describe('parent links', () => {
  it('creates and deletes a vxlan on the underlay', async () => {
    const created = await hostAgent.client.create.mutate({
      link: { kind: 'vxlan', endpoint: { node: netns(guest), ifname: 'kx0', addresses: ['10.71.0.1/24'] }, parent: 'u0', remote: '10.77.0.2', vni: 7001 },
    });

    const [vx] = (await ipLinks(guest)).filter((link) => link.ifname === 'kx0');
    expect(vx?.linkinfo?.info_kind).toBe('vxlan');
    expect(vx?.linkinfo?.info_data?.id).toBe(7001);
    expect(vx?.linkinfo?.info_data?.remote).toBe('10.77.0.2');
    expect(vx?.ifalias).toBe(`koko:${created.links[0]!.id}`);

    await hostAgent.client.delete.mutate({ interfaces: [{ node: netns(guest), ifname: 'kx0' }] });
    expect(await linkNames(guest)).toEqual(['lo']);
  });

  it('creates and deletes a macvlan on the underlay', async () => {
    await hostAgent.client.create.mutate({ link: { kind: 'macvlan', endpoint: { node: netns(guest), ifname: 'km0' }, parent: 'u0', mode: 'bridge' } });

    const [mv] = (await ipLinks(guest)).filter((link) => link.ifname === 'km0');
    expect(mv?.linkinfo?.info_kind).toBe('macvlan');
    expect(mv?.linkinfo?.info_data?.mode).toBe('bridge');

    await hostAgent.client.delete.mutate({ interfaces: [{ node: netns(guest), ifname: 'km0' }] });
    expect(await linkNames(guest)).toEqual(['lo']);
  });

  it('rejects vlan on a kernel without 8021q', async () => {
    const supported = (await sh('sh', '-c', 'unshare --net ip link add kagprobe0 type vlan id 5 2>&1 || true')).includes('Unknown device type') === false;
    const request = hostAgent.client.create.mutate({ link: { kind: 'vlan', endpoint: { node: netns(guest), ifname: 'kq0' }, parent: 'u0', vlanId: 5 } });
    if (supported) {
      await request;
      await hostAgent.client.delete.mutate({ interfaces: [{ node: netns(guest), ifname: 'kq0' }] });
      return;
    }

    const error = await rejection(request);

    expect(error.data?.kokoCode).toBe('unsupported');
    expect(error.message).toContain('no vlan support');
    expect(await linkNames(guest)).toEqual(['lo']);
  });

  it('rejects a missing parent with not-found', async () => {
    const error = await rejection(
      hostAgent.client.create.mutate({ link: { kind: 'macvlan', endpoint: { node: netns(guest), ifname: 'km1' }, parent: 'nope0', mode: 'bridge' } }),
    );

    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.message).toContain('"nope0"');
  });
});

describe('bad input', () => {
  const vxlan = (patch: Record<string, unknown>) => ({ kind: 'vxlan', endpoint: { node: netns(guest), ifname: 'kz0' }, parent: 'u0', remote: '10.77.0.2', vni: 10, ...patch });
  const cases: [string, () => unknown, string][] = [
    ['interface name with a space', () => veth('k z', 'kz1'), 'link.a.ifname'],
    ['interface name with a newline', () => veth('kz0\nip link del u0', 'kz1'), 'link.a.ifname'],
    ['interface name with a semicolon', () => veth('kz0;reboot', 'kz1'), 'link.a.ifname'],
    ['interface name of 16 bytes', () => veth('kagabcdefghijklm', 'kz1'), 'link.a.ifname'],
    ['VNI 0', () => vxlan({ vni: 0 }), 'link.vni'],
    ['VNI 16777216', () => vxlan({ vni: 16_777_216 }), 'link.vni'],
    ['VLAN id 4095', () => ({ kind: 'vlan', endpoint: { node: netns(guest), ifname: 'kz0' }, parent: 'u0', vlanId: 4095 }), 'link.vlanId'],
    ['UDP port 0', () => vxlan({ port: 0 }), 'link.port'],
    ['MTU 67', () => ({ ...veth('kz0', 'kz1'), mtu: 67 }), 'link.mtu'],
    ['address with prefix 33', () => veth('kz0', 'kz1', { addressesA: ['10.0.0.1/33'] }), 'link.a.addresses.0'],
    ['address that is no IP', () => veth('kz0', 'kz1', { addressesB: ['10.0.0.300/24'] }), 'link.b.addresses.0'],
  ];

  it.each(cases)('rejects %s naming the field', async (_name, link, field) => {
    const before = await Promise.all([linkNames(a), linkNames(b), linkNames(guest), linkNames(host)]);

    const error = await rejection(hostAgent.client.create.mutate({ link: link() as never }));

    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.data?.kokoCode).toBe('invalid');
    expect(error.data?.field).toBe(field);
    expect(error.message).toContain(field);
    expect(await Promise.all([linkNames(a), linkNames(b), linkNames(guest), linkNames(host)])).toEqual(before);
  });

  it('rejects a field it does not know', async () => {
    const error = await rejection(agent.client.create.mutate({ link: veth('kz0', 'kz1'), colour: 'red' } as never));

    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('colour');
  });
});

describe('statistics', () => {
  it('reads counters that grow with traffic', async () => {
    await agent.client.create.mutate({ link: veth('ks0', 'ks1', { addressesA: ['10.72.0.1/24'], addressesB: ['10.72.0.2/24'] }) });
    try {
      const refs = [{ node: netns(a), ifname: 'ks0' }, { node: netns(b), ifname: 'ks1' }];
      const before = await agent.client.stats.query({ interfaces: refs });
      await sh('ip', 'netns', 'exec', a, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.72.0.2');
      const after = await agent.client.stats.query({ interfaces: refs });

      expect(after.interfaces.map((entry) => entry.ifname)).toEqual(['ks0', 'ks1']);
      expect(after.interfaces[0]!.counters.txPackets).toBeGreaterThanOrEqual(before.interfaces[0]!.counters.txPackets + 3);
      expect(after.interfaces[1]!.counters.rxPackets).toBeGreaterThanOrEqual(before.interfaces[1]!.counters.rxPackets + 3);
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'ks0' }] });
    }
  });

  it('names a missing interface', async () => {
    const error = await rejection(agent.client.stats.query({ interfaces: [{ node: netns(a), ifname: 'nothere0' }] }));

    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.data?.field).toBe('interfaces.0');
    expect(error.message).toContain('"nothere0"');
  });

  it('reports a missing interface per item', async () => {
    const refs = [
      { node: netns(a), ifname: 'lo' },
      { node: netns(a), ifname: 'kafnothere0' },
      { node: netns('kaf-no-such-netns'), ifname: 'eth0' },
      { node: netns(b), ifname: 'lo' },
    ];

    const result = await agent.client.stats.query({ interfaces: refs });

    expect(result.interfaces.map((entry) => [entry.index, entry.ifname, entry.namespace])).toEqual([
      [0, 'lo', `netns "${a}"`],
      [3, 'lo', `netns "${b}"`],
    ]);
    expect(result.missing.map((entry) => [entry.index, entry.ifname])).toEqual([
      [1, 'kafnothere0'],
      [2, 'eth0'],
    ]);
    expect(result.missing[0]!.message).toContain(`"kafnothere0" not found in netns "${a}"`);
    expect(result.missing[1]!.message).toContain('kaf-no-such-netns');
  });

  it('fails when no interface is found', async () => {
    const error = await rejection(
      agent.client.stats.query({ interfaces: [{ node: netns(a), ifname: 'kafnothere0' }, { node: netns(b), ifname: 'kafnothere1' }] }),
    );

    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.message).toContain('none of the 2 requested interfaces was found');
  });
});

describe('error fields', () => {
  it('names the conflicting item of a batch', async () => {
    await agent.client.create.mutate({ link: veth('kaf0', 'kaf1') });
    try {
      const error = await rejection(agent.client.applyBatch.mutate({ create: [veth('kaf2', 'kaf3'), veth('kaf0', 'kaf4'), veth('kaf5', 'kaf6')] }));

      expect(error.data?.code).toBe('CONFLICT');
      expect(error.data?.field).toBe('create.1');
      expect(error.data?.issues).toEqual([{ field: 'create.1', message: error.message }]);
      expect(await linkNames(a)).toEqual(['kaf0', 'lo']);
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kaf0' }] });
    }
  });

  it('names the second use of a name in a batch', async () => {
    const links = [veth('kaf7', 'kaf8'), veth('kaf9', 'kaf10'), veth('kaf11', 'kaf12'), veth('kaf13', 'kaf8')];

    const error = await rejection(agent.client.plan.mutate({ create: links }));

    expect(error.data?.code).toBe('CONFLICT');
    expect(error.data?.field).toBe('create.3');
  });

  it('names the link of a create that conflicts', async () => {
    await agent.client.create.mutate({ link: veth('kaf14', 'kaf15') });
    try {
      const error = await rejection(agent.client.create.mutate({ link: veth('kaf14', 'kaf16') }));

      expect(error.data?.field).toBe('link');
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kaf14' }] });
    }
  });

  it('names the node that does not exist', async () => {
    const link: LinkRequestInput = { kind: 'veth', a: { node: netns(a), ifname: 'kaf17' }, b: { node: netns('kaf-no-such-netns'), ifname: 'kaf18' } };

    const error = await rejection(agent.client.applyBatch.mutate({ create: [veth('kaf19', 'kaf20'), link] }));

    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.data?.field).toBe('create.1.b.node');
    expect(await linkNames(a)).toEqual(['lo']);
  });

  it('names the missing interface of a delete', async () => {
    await agent.client.create.mutate({ link: veth('kaf21', 'kaf22') });
    try {
      const refs = [{ node: netns(a), ifname: 'kaf21' }, { node: netns(a), ifname: 'lo' }, { node: netns(b), ifname: 'kafnothere0' }];
      const batchError = await rejection(agent.client.applyBatch.mutate({ delete: [refs[0]!, refs[2]!] }));
      const deleteError = await rejection(agent.client.delete.mutate({ interfaces: [refs[0]!, refs[2]!] }));

      expect(batchError.data?.code).toBe('NOT_FOUND');
      expect(batchError.data?.field).toBe('delete.1');
      expect(deleteError.data?.field).toBe('interfaces.1');
      expect(await linkNames(a)).toContain('kaf21');
    } finally {
      await agent.client.delete.mutate({ interfaces: [{ node: netns(a), ifname: 'kaf21' }] });
    }
  });
});

describe('error wording', () => {
  it('names an invalid field once', async () => {
    const link = { kind: 'vlan', endpoint: { node: netns(guest), ifname: 'kaf23' }, parent: 'u0' };

    const error = await rejection(hostAgent.client.applyBatch.mutate({ create: [link as never] }));

    expect(error.message).toBe('invalid input: create.0.vlanId: VLAN id is missing');
    expect(error.message.split('create.0.vlanId')).toHaveLength(2);
  });

  it('lists several problems one per line', async () => {
    const links = [
      { kind: 'vlan', endpoint: { node: netns(guest), ifname: 'kaf24' }, parent: 'u0' },
      { ...veth('kaf25', 'kaf26'), mtu: 67 },
    ];

    const error = await rejection(hostAgent.client.applyBatch.mutate({ create: links as never }));
    const lines = error.message.split('\n');

    expect(lines[0]).toBe('invalid input, 2 problems:');
    expect(lines[1]).toMatch(/^- create\.0\.vlanId: /);
    expect(lines[2]).toMatch(/^- create\.1\.mtu: /);
    expect(error.data?.issues.map((issue) => issue.field)).toEqual(['create.0.vlanId', 'create.1.mtu']);
  });
});
