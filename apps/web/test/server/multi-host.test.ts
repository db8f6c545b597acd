import { randomBytes } from 'node:crypto';
import { HostLab, mustRun, type RunResult } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Controller } from '../../src/server/controller';
import type { LinkView } from '../../src/server/views';
import { callerFor, expectTRPCError, fieldOf, nodeIn, tempDir, waitFor, type Caller } from './helpers';

// Three simulated hosts from the lab harness: each a netns with an agent, joined by an underlay
// bridge, with its own nodes n1 and n2 that only its agent lists. The controller follows the
// agents' change streams and polls every 5 s, as it does in production.

const prefix = `kmh${randomBytes(2).toString('hex')}`;
const dir = tempDir('multi-host');
const lab = new HostLab({ prefix, dir: `${dir.path}/lab` });
let controller: Controller;
let alice: Caller;
/** Controller host ids of lab hosts 1 to 3, at index 1 to 3. */
const hostIds: string[] = [];

/** Node ids of n1 and n2 on each lab host: nodes[host][node]. */
async function nodeIds(): Promise<Record<number, { n1: string; n2: string }>> {
  const topology = await alice.topology.get({});
  const ids: Record<number, { n1: string; n2: string }> = {};
  for (const index of [1, 2, 3]) ids[index] = { n1: nodeIn(topology, hostIds[index]!, 'netns', 'n1').id, n2: nodeIn(topology, hostIds[index]!, 'netns', 'n2').id };
  return ids;
}

function ping(host: number, node: string, address: string, extra: string[] = []): Promise<RunResult> {
  return lab.inNode(host, node, ['ping', '-c', '2', '-i', '0.2', '-W', '2', ...extra, address]);
}

interface IpDetails {
  ifname: string;
  mtu: number;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; remote?: string; remote6?: string; port?: number } };
}

async function interfaceIn(host: number, node: string, ifname: string): Promise<IpDetails | undefined> {
  const result = await lab.inNode(host, node, ['ip', '-json', '-details', 'link', 'show']);
  return (JSON.parse(result.stdout) as IpDetails[]).find((entry) => entry.ifname === ifname);
}

async function hostStatus(index: number): Promise<string | undefined> {
  return (await alice.hosts.list()).find((host) => host.id === hostIds[index])?.status;
}

/** Messages the controller logged, to tell which path noticed a stopped agent. */
const logged: { msg: string; hostId?: string }[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { msg: string; hostId?: string });
    done();
  },
});

beforeAll(async () => {
  await lab.up(3, { nodes: 2 });
  controller = await Controller.open({ databaseUrl: `file:${dir.path}/koko.db`, followChanges: true, pollIntervalMs: 5000, logger: pino({ level: 'info' }, logSink) });
  alice = callerFor(controller, 'alice');
  for (const index of [1, 2, 3]) {
    const host = lab.requireState().hosts[index - 1]!;
    hostIds[index] = (await alice.hosts.add({ name: host.name, agent: { socketPath: host.socketPath }, token: lab.token(index) })).id;
  }
});

afterAll(async () => {
  await controller?.close();
  await lab.down();
  dir.remove();
});

describe('multi-host lab', () => {
  it('lists only the nodes of each host', async () => {
    const topology = await alice.topology.get({});
    for (const index of [1, 2, 3]) {
      const host = topology.hosts.find((entry) => entry.id === hostIds[index])!;
      expect(host.status).toBe('online');
      expect(host.nodes.filter((node) => node.kind === 'netns').map((node) => node.name).sort()).toEqual(['n1', 'n2']);
      expect(host.nodes.filter((node) => node.kind === 'current')).toHaveLength(1);
    }
  });

  it('offers underlay candidates, IPv4 first', async () => {
    const hosts = await alice.hosts.list();
    const first = hosts.find((host) => host.id === hostIds[1])!;
    expect(first).toMatchObject({ underlay: '198.18.0.1', underlayInterface: 'under0' });
    expect(first.underlayCandidates).toEqual([
      { interface: 'under0', address: '198.18.0.1', family: 4, mtu: 1500, state: 'UP' },
      { interface: 'under0', address: '2001:2::1', family: 6, mtu: 1500, state: 'UP' },
    ]);
    await expectTRPCError(alice.hosts.update({ id: hostIds[1]!, underlay: '198.18.0.9' }), 'BAD_REQUEST', /198\.18\.0\.9.*pick one of: 198\.18\.0\.1 \(under0\), 2001:2::1 \(under0\)/);
  });

  it('vxlan over an IPv6 underlay', async () => {
    const ids = await nodeIds();
    await alice.hosts.update({ id: hostIds[3]!, underlay: '2001:2::3' });

    const suggestion = await alice.links.suggest({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 } });
    expect(suggestion.mtu).toBeNull();
    expect(suggestion.problem).toMatch(/uses underlay 198\.18\.0\.1 \(IPv4\) but host .* uses 2001:2::3 \(IPv6\)/);
    await expectTRPCError(alice.links.connect({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 } }), 'BAD_REQUEST', /underlay addresses of one family/);

    await alice.hosts.update({ id: hostIds[1]!, underlay: '2001:2::1' });
    const link = await alice.links.connect({ a: { nodeId: ids[1]!.n2, ifname: 'v6x', addresses: ['10.66.0.1/30'] }, b: { nodeId: ids[3]!.n2, ifname: 'v6x', addresses: ['10.66.0.2/30'] } });
    expect(link).toMatchObject({ status: 'up', mtu: 1430 });
    const end = await interfaceIn(1, 'n2', 'v6x');
    expect(end?.mtu).toBe(1430);
    expect(end?.linkinfo?.info_data?.remote6).toBe('2001:2::3');
    expect((await ping(1, 'n2', '10.66.0.2')).exitCode).toBe(0);
    expect((await ping(1, 'n2', '10.66.0.2', ['-M', 'do', '-s', String(1430 - 28)])).exitCode).toBe(0);

    await expectTRPCError(alice.hosts.update({ id: hostIds[1]!, underlay: '198.18.0.1' }), 'CONFLICT', /has 1 vxlan link\(s\) over underlay 2001:2::1/);
    await alice.links.delete({ id: link.id });
    await alice.hosts.update({ id: hostIds[1]!, underlay: '198.18.0.1' });
    await alice.hosts.update({ id: hostIds[3]!, underlay: '198.18.0.3' });
  });

  it('pair MTU follows the smaller parent', async () => {
    const ids = await nodeIds();
    await mustRun(['ip', '-n', `${prefix}-h3`, 'link', 'set', 'under0', 'mtu', '1400']);
    try {
      await alice.hosts.refresh({ id: hostIds[3]! });
      const suggestion = await alice.links.suggest({ a: { nodeId: ids[2]!.n2 }, b: { nodeId: ids[3]!.n2 } });
      expect(suggestion).toMatchObject({ kind: 'vxlan', mtu: 1350, port: 4789, problem: null });

      const link = await alice.links.connect({ a: { nodeId: ids[2]!.n2, ifname: 'small', addresses: ['10.67.0.1/30'] }, b: { nodeId: ids[3]!.n2, ifname: 'small', addresses: ['10.67.0.2/30'] } });
      expect(link).toMatchObject({ status: 'up', mtu: 1350 });
      expect((await interfaceIn(2, 'n2', 'small'))?.mtu).toBe(1350);
      expect((await interfaceIn(3, 'n2', 'small'))?.mtu).toBe(1350);
      expect((await ping(2, 'n2', '10.67.0.2', ['-M', 'do', '-s', String(1350 - 28)])).exitCode).toBe(0);
      await expectTRPCError(
        alice.links.connect({ a: { nodeId: ids[2]!.n2 }, b: { nodeId: ids[3]!.n2 }, mtu: 1400 }),
        'BAD_REQUEST',
        /MTU 1400 is larger than 1350, the most a vxlan over IPv4 can carry over parent interface "under0" \(MTU 1400\) of host ".*-h3"/,
      );
      await alice.links.delete({ id: link.id });
    } finally {
      await mustRun(['ip', '-n', `${prefix}-h3`, 'link', 'set', 'under0', 'mtu', '1500']);
      await alice.hosts.refresh({ id: hostIds[3]! });
    }
  });

  describe('three hosts joined pairwise', () => {
    let l12: LinkView;
    let l23: LinkView;
    let l13: LinkView;
    let veth: LinkView;

    beforeAll(async () => {
      const ids = await nodeIds();
      l12 = await alice.links.connect({ a: { nodeId: ids[1]!.n1, ifname: 'to2', addresses: ['10.61.12.1/30'] }, b: { nodeId: ids[2]!.n1, ifname: 'to1', addresses: ['10.61.12.2/30'] } });
      [l23, l13, veth] = await alice.links.connectMany({
        links: [
          { a: { nodeId: ids[2]!.n1, ifname: 'to3', addresses: ['10.61.23.1/30'] }, b: { nodeId: ids[3]!.n1, ifname: 'to2', addresses: ['10.61.23.2/30'] } },
          { a: { nodeId: ids[1]!.n1, ifname: 'to3', addresses: ['10.61.13.1/30'] }, b: { nodeId: ids[3]!.n1, ifname: 'to1', addresses: ['10.61.13.2/30'] }, port: 8472 },
          { a: { nodeId: ids[1]!.n1, ifname: 'local', addresses: ['10.61.11.1/30'] }, b: { nodeId: ids[1]!.n2, ifname: 'local', addresses: ['10.61.11.2/30'] } },
        ],
      }) as [LinkView, LinkView, LinkView];
    });

    it('builds vxlan pairs and a veth', () => {
      for (const link of [l12, l23, l13]) expect(link).toMatchObject({ kind: 'vxlan', status: 'up', mtu: 1450 });
      expect(veth).toMatchObject({ kind: 'veth', status: 'up', mtu: null, vni: null, port: null });
      expect([l12.port, l23.port, l13.port]).toEqual([4789, 4789, 8472]);
      expect(new Set([l12.vni, l23.vni, l13.vni]).size).toBe(3);
    });

    it('ends carry VNI, remote, port and MTU', async () => {
      const end = await interfaceIn(1, 'n1', 'to3');
      expect(end?.mtu).toBe(1450);
      expect(end?.linkinfo?.info_kind).toBe('vxlan');
      expect(end?.linkinfo?.info_data).toMatchObject({ id: l13.vni, remote: '198.18.0.3', port: 8472 });
      const peer = await interfaceIn(3, 'n1', 'to1');
      expect(peer?.linkinfo?.info_data).toMatchObject({ id: l13.vni, remote: '198.18.0.1', port: 8472 });
    });

    it('pings across every link', async () => {
      const checks: [number, string, string][] = [
        [1, 'n1', '10.61.12.2'],
        [2, 'n1', '10.61.23.2'],
        [3, 'n1', '10.61.13.1'],
        [1, 'n1', '10.61.11.2'],
      ];
      for (const [host, node, address] of checks) {
        const result = await ping(host, node, address);
        expect(result.exitCode, `ping from host ${host} ${node} to ${address}: ${result.stdout}${result.stderr}`).toBe(0);
      }
    });

    it('largest DF ping fits, one byte more is too long', async () => {
      const largest = 1450 - 28;
      const fits = await ping(1, 'n1', '10.61.12.2', ['-M', 'do', '-s', String(largest)]);
      expect(fits.exitCode, fits.stdout + fits.stderr).toBe(0);
      expect(fits.stdout).toContain(`${largest + 8} bytes from 10.61.12.2`);

      const tooLong = await ping(1, 'n1', '10.61.12.2', ['-M', 'do', '-s', String(largest + 1)]);
      expect(tooLong.exitCode).not.toBe(0);
      expect(tooLong.stdout + tooLong.stderr).toMatch(/message too long, mtu=1450/);
    });

    it('rejects an MTU above the vxlan limit', async () => {
      const ids = await nodeIds();
      const before = (await alice.links.list({})).length;
      const error = await expectTRPCError(alice.links.connect({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[2]!.n2 }, mtu: 1451 }), 'BAD_REQUEST', /MTU 1451 is larger than 1450.*use 1450 or less/);
      expect(fieldOf(error)).toBe('mtu');
      expect((await alice.links.list({})).length).toBe(before);

      const chosen = await alice.links.connect({ a: { nodeId: ids[1]!.n2, ifname: 'mtu', addresses: ['10.62.0.1/30'] }, b: { nodeId: ids[2]!.n2, ifname: 'mtu', addresses: ['10.62.0.2/30'] }, mtu: 1400 });
      expect(chosen).toMatchObject({ status: 'up', mtu: 1400 });
      expect((await interfaceIn(2, 'n2', 'mtu'))?.mtu).toBe(1400);
      await alice.links.delete({ id: chosen.id });
    });

    it('rejects a UDP port on a veth', async () => {
      const ids = await nodeIds();
      await expectTRPCError(alice.links.connect({ a: { nodeId: ids[2]!.n1 }, b: { nodeId: ids[2]!.n2 }, port: 4790 }), 'BAD_REQUEST', /port 4790 applies to vxlan links between two hosts/);
    });

    it('never hands out a VNI a link holds', async () => {
      const ids = await nodeIds();
      const extra = await alice.links.connect({ a: { nodeId: ids[2]!.n2, ifname: 'vni', addresses: [] }, b: { nodeId: ids[3]!.n2, ifname: 'vni', addresses: [] } });
      const held = (await alice.links.list({})).filter((link) => link.id !== extra.id).map((link) => link.vni);
      expect(extra.vni).not.toBeNull();
      expect(held).not.toContain(extra.vni);
      await alice.links.delete({ id: extra.id });

      const vnis = (await alice.links.list({})).flatMap((link) => (link.vni === null ? [] : [link.vni]));
      expect(new Set(vnis).size).toBe(vnis.length);
    });

    it('batch: fills in distinct names and addresses', async () => {
      const ids = await nodeIds();
      const links = await alice.links.connectMany({
        links: [
          { a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[2]!.n2 } },
          { a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 } },
        ],
      });
      expect(links.map((link) => link.status)).toEqual(['up', 'up']);
      const [first, second] = (links as [LinkView, LinkView]).map((link) => link.endpoints) as [LinkView['endpoints'], LinkView['endpoints']];
      expect(first[0]!.ifname).not.toBe(second[0]!.ifname);
      expect(first[0]!.addresses).toHaveLength(1);
      expect(second[0]!.addresses).toHaveLength(1);
      expect(first[0]!.addresses[0]).not.toBe(second[0]!.addresses[0]);
      expect((await ping(1, 'n2', second[1]!.addresses[0]!.split('/')[0]!)).exitCode).toBe(0);

      for (const link of links) await alice.links.delete({ id: link.id });
    });

    it('batch: leaves later names and addresses to their links', async () => {
      const ids = await nodeIds();
      const suggested = await alice.links.suggest({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[2]!.n2 } });
      // The second link names what the first would otherwise get.
      const links = await alice.links.connectMany({
        links: [
          { a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[2]!.n2 } },
          { a: { nodeId: ids[1]!.n2, ifname: suggested.a.ifname, addresses: suggested.a.addresses }, b: { nodeId: ids[3]!.n2, addresses: suggested.b.addresses } },
        ],
      });
      expect(links.map((link) => link.status)).toEqual(['up', 'up']);
      const [first, second] = links.map((link) => link.endpoints[0]!);
      expect(second!.ifname).toBe(suggested.a.ifname);
      expect(second!.addresses).toEqual(suggested.a.addresses);
      expect(first!.ifname).not.toBe(suggested.a.ifname);
      expect(first!.addresses).not.toEqual(suggested.a.addresses);

      for (const link of links) await alice.links.delete({ id: link.id });
    });

    it('batch: one bad link fails alone, its other half undone', async () => {
      const ids = await nodeIds();
      await lab.inNode(2, 'n2', ['ip', 'link', 'add', 'taken0', 'type', 'veth', 'peer', 'name', 'taken1']);
      const [good, bad] = await alice.links.connectMany({
        links: [
          { a: { nodeId: ids[1]!.n2, ifname: 'good', addresses: ['10.63.0.1/30'] }, b: { nodeId: ids[2]!.n2, ifname: 'good', addresses: ['10.63.0.2/30'] } },
          { a: { nodeId: ids[1]!.n2, ifname: 'bad', addresses: ['10.63.0.5/30'] }, b: { nodeId: ids[2]!.n2, ifname: 'taken0', addresses: ['10.63.0.6/30'] } },
        ],
      });
      expect(good?.status).toBe('up');
      expect(bad?.status).toBe('failed');
      expect(bad?.lastError).toMatch(/interface "taken0" already exists/);
      expect(await interfaceIn(1, 'n2', 'bad')).toBeUndefined();
      expect((await ping(1, 'n2', '10.63.0.2')).exitCode).toBe(0);

      const entries = await alice.history.list({ action: 'agent.call', limit: 20 });
      expect(entries.map((entry) => entry.summary)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^create 2 link end\(s\) of lab "default" on host ".*-h2" failed$/),
          expect.stringMatching(/^undo 1 link end\(s\) of lab "default" on host ".*-h1"$/),
        ]),
      );
      await alice.links.delete({ id: good!.id });
      await alice.links.delete({ id: bad!.id });
      await lab.inNode(2, 'n2', ['ip', 'link', 'del', 'taken0']);
    });

    it('batch: rejects repeated names before storing any', async () => {
      const ids = await nodeIds();
      const before = (await alice.links.list({})).length;
      await expectTRPCError(
        alice.links.connectMany({
          links: [
            { a: { nodeId: ids[1]!.n2, ifname: 'twice' }, b: { nodeId: ids[2]!.n2 } },
            { a: { nodeId: ids[1]!.n2, ifname: 'twice' }, b: { nodeId: ids[3]!.n2 } },
          ],
        }),
        'CONFLICT',
        /links 1 and 2 of the request both name interface "twice" in netns "n2" on host ".*-h1"/,
      );
      await expectTRPCError(
        alice.links.connectMany({ links: [{ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[2]!.n2 } }, { a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 }, mtu: 9000 }] }),
        'BAD_REQUEST',
        /^link 2 of 2: MTU 9000 is larger than 1450/,
      );
      await expectTRPCError(alice.links.connectMany({ links: [] }), 'BAD_REQUEST', /links is empty/);
      expect((await alice.links.list({})).length).toBe(before);
    });

    it('stopped agent ends its stream', async () => {
      const stoppedAt = Date.now();
      await lab.stopAgent(2, 'SIGTERM');
      await waitFor('host 2 offline', async () => ((await hostStatus(2)) === 'offline' ? true : undefined), 5000);
      expect(Date.now() - stoppedAt).toBeLessThan(5000);
      expect(logged.filter((entry) => entry.hostId === hostIds[2]).map((entry) => entry.msg)).toContain('the agent ended its change stream; reading the host now');

      await lab.startAgent(2);
      expect((await alice.hosts.refresh({ id: hostIds[2]! })).status).toBe('online');
      expect((await ping(1, 'n1', '10.61.12.2')).exitCode).toBe(0);
    });

    it('offline host: others keep working', async () => {
      const ids = await nodeIds();
      const stoppedAt = Date.now();
      await lab.stopAgent(3, 'SIGKILL');
      await waitFor('host 3 offline', async () => ((await hostStatus(3)) === 'offline' ? true : undefined), 5000);
      expect(Date.now() - stoppedAt).toBeLessThan(5000);
      expect(logged.filter((entry) => entry.hostId === hostIds[3]).map((entry) => entry.msg)).toContain('lost the agent change stream; reading the host now');

      const topology = await alice.topology.get({});
      const third = topology.hosts.find((host) => host.id === hostIds[3])!;
      expect(third.nodes.map((node) => node.state)).toEqual(third.nodes.map(() => 'unknown'));
      const status = (link: LinkView) => topology.links.find((entry) => entry.id === link.id);
      expect(status(l13)).toMatchObject({ status: 'unknown', storedStatus: 'up' });
      expect(status(l23)).toMatchObject({ status: 'unknown', storedStatus: 'up' });
      expect(status(l12)).toMatchObject({ status: 'up' });

      // The kernel keeps forwarding without the agent.
      expect((await ping(1, 'n1', '10.61.13.2')).exitCode).toBe(0);

      const fresh = await alice.links.connect({ a: { nodeId: ids[1]!.n2, ifname: 'while', addresses: ['10.64.0.1/30'] }, b: { nodeId: ids[2]!.n2, ifname: 'while', addresses: ['10.64.0.2/30'] } });
      expect(fresh.status).toBe('up');
      expect((await ping(1, 'n2', '10.64.0.2')).exitCode).toBe(0);
      await expectTRPCError(alice.links.connect({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 } }), 'PRECONDITION_FAILED', /host ".*-h3" is not online/);
      expect((await alice.links.suggest({ a: { nodeId: ids[1]!.n2 }, b: { nodeId: ids[3]!.n2 } })).problem).toMatch(/host ".*-h3" is not online/);
    });

    it('restart: state returns without duplicates', async () => {
      const before = await alice.topology.get({});
      const nodesBefore = before.hosts.find((host) => host.id === hostIds[3])!.nodes.map((node) => node.id).sort();
      const linksBefore = before.links.map((link) => link.id).sort();

      await lab.startAgent(3);
      await waitFor('host 3 online', async () => ((await hostStatus(3)) === 'online' ? true : undefined), 15_000);

      const after = await waitFor('links of host 3 up', async () => {
        const topology = await alice.topology.get({});
        return topology.links.every((link) => link.status === 'up') ? topology : undefined;
      });
      const third = after.hosts.find((host) => host.id === hostIds[3])!;
      expect(third.nodes.map((node) => node.id).sort()).toEqual(nodesBefore);
      expect(third.nodes.filter((node) => node.kind === 'netns').map((node) => node.state)).toEqual(['present', 'present']);
      expect(after.links.map((link) => link.id).sort()).toEqual(linksBefore);
      const keys = after.hosts.flatMap((host) => host.nodes.map((node) => `${host.id}/${node.kind}/${node.name}`));
      expect(new Set(keys).size).toBe(keys.length);
      // Each host's underlay veth, whose peer is on the bridge, is the only link koko did not make.
      expect(after.foreignLinks.map((link) => link.endpoints.map((end) => `${end.hostId}/${end.ifname}`)).sort()).toEqual(
        [1, 2, 3].map((index) => [`${hostIds[index]}/under0`]).sort(),
      );
      expect((await ping(2, 'n1', '10.61.23.2')).exitCode).toBe(0);
    });
  });
});
