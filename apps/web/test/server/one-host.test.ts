import { Lab, mustRun } from '@koko/testkit';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/server/controller';
import type { ControllerEvent } from '../../src/server/events';
import { addHost, callerFor, expectTRPCError, fieldOf, nodeIn, openController, startAgentProcess, tempDir, waitFor, type AgentProcess, type Caller } from './helpers';

// One simulated host: an agent inside netns h1, with two containers and a netns as nodes. The
// controller follows the agent's change stream, as it does in production.

const lab = new Lab('kct');
const dir = tempDir('one-host');
let agent: AgentProcess;
let controller: Controller;
let alice: Caller;
let hostId: string;
let c1: string;
let c2: string;
let c3: string;
let n1: string;

async function interfacesOf(container: string): Promise<{ ifname: string; ifalias?: string; addresses: string[] }[]> {
  const links = await lab.linksOfPid(await lab.containerPid(container));
  return links.map((link) => ({ ifname: link.ifname, ...(link.ifalias !== undefined && { ifalias: link.ifalias }), addresses: (link.addr_info ?? []).map((entry) => `${entry.local}/${entry.prefixlen}`) }));
}

async function topologyNode(kind: 'docker' | 'netns', name: string) {
  return nodeIn(await alice.topology.get({}), hostId, kind, name);
}

beforeAll(async () => {
  const h1 = await lab.netns('h1');
  [c1, c2, c3, n1] = await Promise.all([lab.container('c1'), lab.container('c2'), lab.container('c3'), lab.netns('n1')]);
  agent = await startAgentProcess({ netns: h1, dir: dir.path + '/agent' });
  controller = await openController(`${dir.path}/koko.db`, { followChanges: true });
  alice = callerFor(controller, 'alice');
  hostId = (await addHost(alice, 'h1', agent)).id;
});

afterAll(async () => {
  await controller?.close();
  await agent?.stop();
  await lab.cleanup();
  dir.remove();
});

describe('hosts', () => {
  it('lists a registered host without token', async () => {
    const hosts = await alice.hosts.list();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.status).toBe('online');
    expect(hosts[0]!.agentUrl).toBe(agent.address);
    expect(JSON.stringify(hosts)).not.toContain(agent.token);
    const history = await alice.history.list({ action: 'host.register' });
    expect(history[0]!.actor.name).toBe('alice');
    expect(JSON.stringify(await alice.history.get({ id: history[0]!.id }))).not.toContain(agent.token);
  });

  it('rejects a wrong token', async () => {
    await expectTRPCError(alice.hosts.add({ name: 'wrong', agent: { socketPath: agent.socketPath }, token: 'x'.repeat(40) }), 'BAD_REQUEST', /rejected koko's token; copy the token/);
  });

  it('rejects an unreachable agent', async () => {
    await expectTRPCError(alice.hosts.add({ name: 'nowhere', agent: { socketPath: `${dir.path}/missing.sock` }, token: agent.token }), 'BAD_REQUEST', /cannot reach the agent of host "nowhere".*ENOENT/);
  });

  it('rejects one agent registered twice', async () => {
    await expectTRPCError(alice.hosts.add({ name: 'again', agent: { socketPath: agent.socketPath }, token: agent.token }), 'CONFLICT', /already registered/);
  });

  it('rejects unknown input fields', async () => {
    const topology = await alice.topology.get({});
    const [a, b] = [nodeIn(topology, hostId, 'docker', c1), nodeIn(topology, hostId, 'netns', n1)];
    const misspelt = { a: { nodeId: a.id, adresses: ['10.59.9.1/30'] }, b: { nodeId: b.id } } as unknown as Parameters<typeof alice.links.connect>[0];
    await expectTRPCError(alice.links.connect(misspelt), 'BAD_REQUEST', /adresses/);
    await expectTRPCError(alice.links.plan({ a: { nodeId: a.id }, b: { nodeId: b.id }, mtuu: 1400 } as unknown as Parameters<typeof alice.links.plan>[0]), 'BAD_REQUEST', /mtuu/);
    expect((await alice.links.list({})).length).toBe(0);
  });

  it('names the field of an unknown id', async () => {
    const topology = await alice.topology.get({});
    const known = nodeIn(topology, hostId, 'netns', n1).id;

    expect(fieldOf(await expectTRPCError(alice.links.suggest({ a: { nodeId: known }, b: { nodeId: 'kctnonode0' } }), 'NOT_FOUND', /kctnonode0/))).toBe('b.nodeId');
    expect(fieldOf(await expectTRPCError(alice.links.suggest({ labId: 'kctnolab0', a: { nodeId: known }, b: { nodeId: known } }), 'NOT_FOUND', /kctnolab0/))).toBe('labId');
    const batch = alice.links.connectMany({ links: [{ a: { nodeId: known }, b: { nodeId: known } }, { a: { nodeId: 'kctnonode1' }, b: { nodeId: known } }] });
    expect(fieldOf(await expectTRPCError(batch, 'NOT_FOUND', /kctnonode1/))).toBe('links.1.a.nodeId');
  });

  it('rejects invalid host input', async () => {
    await expectTRPCError(alice.hosts.add({ name: 'bad name', agent: { socketPath: agent.socketPath }, token: agent.token }), 'BAD_REQUEST', /host name "bad name" is invalid/);
    await expectTRPCError(alice.hosts.add({ name: 'rel', agent: { socketPath: 'agent.sock' }, token: agent.token }), 'BAD_REQUEST', /must be absolute/);
  });

  it('lists containers and netns as nodes', async () => {
    const topology = await alice.topology.get({});
    expect(nodeIn(topology, hostId, 'docker', c1).state).toBe('running');
    expect(nodeIn(topology, hostId, 'docker', c1).image).toBe('koko-test-busybox:latest');
    expect(nodeIn(topology, hostId, 'netns', n1).present).toBe(true);
  });

  it('shows a rejected token', async () => {
    const rejected = await alice.hosts.update({ id: hostId, token: 'y'.repeat(40) });
    expect(rejected.status).toBe('token-rejected');
    expect(rejected.lastError).toMatch(/rejected koko's token/);

    const restored = await alice.hosts.update({ id: hostId, token: agent.token });
    expect(restored.status).toBe('online');
    expect(restored.lastError).toBeNull();
  });

  it('lists a foreign veth', async () => {
    await mustRun(['ip', '-n', n1, 'link', 'add', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1', 'netns', `/proc/${await lab.containerPid(c2)}/ns/net`]);
    await mustRun(['ip', '-n', n1, 'address', 'add', '10.59.0.1/30', 'dev', 'hand0']);
    await alice.hosts.refresh({ id: hostId });

    const topology = await alice.topology.get({});
    const foreign = topology.foreignLinks.find((link) => link.endpoints.some((end) => end.ifname === 'hand0'));
    expect(foreign?.kind).toBe('veth');
    expect(foreign?.tag).toBeNull();
    expect(foreign?.endpoints.map((end) => [end.nodeId, end.ifname, end.addresses])).toEqual([
      [nodeIn(topology, hostId, 'netns', n1).id, 'hand0', ['10.59.0.1/30']],
      [nodeIn(topology, hostId, 'docker', c2).id, 'hand1', []],
    ]);
  });
});

describe('names koko did not make', () => {
  it('are rejected before anything is stored', async () => {
    const topology = await alice.topology.get({});
    const [a, b] = [nodeIn(topology, hostId, 'netns', n1), nodeIn(topology, hostId, 'docker', c1)];
    expect(a.interfaces).toContain('hand0');
    const before = (await alice.links.list({})).length;

    const error = await expectTRPCError(
      alice.links.connect({ a: { nodeId: a.id, ifname: 'hand0' }, b: { nodeId: b.id } }),
      'CONFLICT',
      /interface "hand0" already exists in netns "kct[0-9a-f]+-n1" on host "h1" and koko did not make it; pick another name/,
    );
    expect(fieldOf(error)).toBe('a.ifname');
    expect((await alice.links.list({})).length).toBe(before);
  });
});

describe('address suggestions', () => {
  /** Makes netns `name` with `address` on its lo (when given), reads the host again, and returns its node and n1's. */
  async function pairWithAddress(name: string, address?: string) {
    const netns = await lab.netns(name);
    if (address !== undefined) await mustRun(['ip', '-n', netns, 'address', 'add', address, 'dev', 'lo']);
    await alice.hosts.refresh({ id: hostId });
    return Promise.all([topologyNode('netns', netns), topologyNode('netns', n1)]);
  }

  it('skip the subnets of a node', async () => {
    const [a, b] = await pairWithAddress('n2', '192.0.2.1/29');

    const suggestion = await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } });
    expect(suggestion.a.addresses).toEqual(['192.0.2.9/30']);
    expect(suggestion.b.addresses).toEqual(['192.0.2.10/30']);
  });

  it('follow an address added later', async () => {
    const [a, b] = await pairWithAddress('n4');
    expect((await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } })).a.addresses).toEqual(['192.0.2.1/30']);

    // No refresh and no poll (the interval is 10 minutes here): the agent's change stream reports the address.
    await mustRun(['ip', '-n', a.name, 'address', 'add', '192.0.2.1/28', 'dev', 'lo']);
    await waitFor(
      'the suggestion to leave 192.0.2.0/28',
      async () => ((await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } })).a.addresses[0] === '192.0.2.17/30' ? true : undefined),
      5000,
    );
  });

  it('come from the pool a lab was created with', async () => {
    const [a, b] = await pairWithAddress('n5', '192.0.2.1/24');

    const other = await alice.labs.create({ name: 'kct other pool', pool: { ipv4: '198.51.100.0/24', ipv4Prefix: 31 } });
    expect(other.pool).toMatchObject({ ipv4: '198.51.100.0/24', ipv4Prefix: 31, ipv6: '2001:db8::/32', ipv6Prefix: 64 });
    const suggestion = await alice.links.suggest({ labId: other.id, a: { nodeId: a.id }, b: { nodeId: b.id } });
    expect([suggestion.a.addresses, suggestion.b.addresses]).toEqual([['198.51.100.0/31'], ['198.51.100.1/31']]);

    await expectTRPCError(alice.labs.create({ name: 'kct bad pool', pool: { ipv4: '198.51.100.7/24' } }), 'BAD_REQUEST', /IPv4 pool "198\.51\.100\.7\/24" has host bits set; write the range as 198\.51\.100\.0\/24/);
    await alice.labs.delete({ id: other.id });
  });

  it('add an IPv6 pair on request', async () => {
    const [a, b] = await pairWithAddress('n6', '2001:db8::1/48');

    const suggestion = await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id }, ipv6: true });
    expect(suggestion.a.addresses).toHaveLength(2);
    expect(suggestion.a.addresses[1]).toBe('2001:db8:1::1/64');
    expect(suggestion.b.addresses[1]).toBe('2001:db8:1::2/64');
    expect((await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } })).a.addresses).toHaveLength(1);

    const link = await alice.links.connect({ a: { nodeId: a.id }, b: { nodeId: b.id }, ipv6: true });
    expect(link.status).toBe('up');
    expect(link.endpoints.map((end) => end.addresses.length)).toEqual([2, 2]);
    await alice.links.delete({ id: link.id });
  });

  it('report a pool a node covers', async () => {
    const [a, b] = await pairWithAddress('n3', '192.0.2.1/23');

    const suggestion = await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } });
    expect(suggestion.a.ifname).toBe('eth1');
    expect(suggestion.a.addresses).toEqual([]);
    expect(suggestion.b.addresses).toEqual([]);
    expect(suggestion.addressProblem).toMatch(/IPv4 pool 192\.0\.2\.0\/24 (of lab "default" )?has no free \/30 left beside the addresses already on the link's nodes \(192\.0\.2\.1\/23\); .*create a lab with another pool/);
    await expectTRPCError(alice.links.connect({ a: { nodeId: a.id }, b: { nodeId: b.id } }), 'CONFLICT', /IPv4 pool 192\.0\.2\.0\/24 of lab "default" has no free \/30 left/);
  });
});

describe('links on one host', () => {
  it('veth between containers carries ping', async () => {
    const [a, b] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c2)]);
    const suggestion = await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: b.id } });
    expect(suggestion.kind).toBe('veth');
    expect(suggestion.a.ifname).toBe('eth1');

    const plans = await alice.links.plan({ a: { nodeId: a.id, ...suggestion.a }, b: { nodeId: b.id, ...suggestion.b } });
    expect(plans).toHaveLength(1);
    expect(plans[0]!.script).toContain('type veth');

    const link = await alice.links.connect({ a: { nodeId: a.id, ...suggestion.a }, b: { nodeId: b.id, ...suggestion.b } });
    expect(link.status).toBe('up');
    expect(link.kind).toBe('veth');
    expect(link.createdBy).toBe('alice');

    const made = (await interfacesOf(c1)).find((entry) => entry.ifname === 'eth1');
    expect(made?.ifalias).toBe(`koko:${link.id}`);
    expect(made?.addresses).toContain(suggestion.a.addresses[0]);
    expect(await lab.pingFromContainer(c1, suggestion.b.addresses[0]!.split('/')[0]!)).toBe(true);

    const removal = await alice.links.planDelete({ id: link.id });
    expect(removal).toHaveLength(1);
    expect(removal[0]!.script).toContain('link delete dev eth1');
    expect((await interfacesOf(c1)).map((entry) => entry.ifname)).toContain('eth1');

    const detail = await alice.links.get({ id: link.id });
    expect(detail.stats.every((entry) => entry.error === null)).toBe(true);
    expect(detail.stats[0]!.stats!.counters.rxPackets).toBeGreaterThan(0);

    await alice.links.delete({ id: link.id });
    expect((await interfacesOf(c1)).map((entry) => entry.ifname)).not.toContain('eth1');
    expect((await interfacesOf(c2)).map((entry) => entry.ifname)).not.toContain('eth1');
    await expectTRPCError(alice.links.get({ id: link.id }), 'NOT_FOUND', /does not exist/);

    const steps = (await alice.history.list({ linkId: link.id })).map((entry) => `${entry.action}:${entry.outcome}`).reverse();
    expect(steps).toEqual(['link.create:pending', 'agent.call:ok', 'link.status:ok', 'agent.call:ok', 'link.delete:ok']);
  });

  it('connect fills in names and addresses', async () => {
    const [a, n] = await Promise.all([topologyNode('docker', c1), topologyNode('netns', n1)]);
    const link = await alice.links.connect({ a: { nodeId: a.id }, b: { nodeId: n.id, ifname: 'own0' } });
    expect(link.status).toBe('up');

    const [endA, endB] = link.endpoints;
    expect(endA!.ifname).toMatch(/^eth\d+$/);
    expect(endB!.ifname).toBe('own0');
    expect(endA!.addresses[0]).toMatch(/^192\.0\.2\.\d+\/30$/);
    expect((await interfacesOf(c1)).find((entry) => entry.ifname === endA!.ifname)?.addresses).toEqual(endA!.addresses);
    expect(await lab.ping(n1, endA!.addresses[0]!.split('/')[0]!)).toBe(true);

    // The next suggestion skips the names and the address pair this link took.
    const next = await alice.links.suggest({ a: { nodeId: a.id }, b: { nodeId: n.id } });
    expect(next.a.ifname).not.toBe(endA!.ifname);
    expect(next.a.addresses).not.toEqual(endA!.addresses);
  });

  it('concurrent connects: one wins', async () => {
    const [a, b, n] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c2), topologyNode('netns', n1)]);
    const results = await Promise.allSettled([
      callerFor(controller, 'alice').links.connect({ a: { nodeId: a.id, ifname: 'eth5', addresses: ['10.55.0.1/30'] }, b: { nodeId: b.id, ifname: 'eth5', addresses: ['10.55.0.2/30'] } }),
      callerFor(controller, 'bob').links.connect({ a: { nodeId: a.id, ifname: 'eth5', addresses: ['10.56.0.1/30'] }, b: { nodeId: n.id, ifname: 'eth5', addresses: ['10.56.0.2/30'] } }),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = (lost[0] as PromiseRejectedResult).reason as TRPCError;
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toMatch(/interface "eth5" in container ".*-c1" on host "h1" is already used by link \w+ in lab "default"; pick another interface name/);
    expect((won[0] as PromiseFulfilledResult<{ status: string }>).value.status).toBe('up');
    expect((await interfacesOf(c1)).filter((entry) => entry.ifname === 'eth5')).toHaveLength(1);
  });

  it('failed create leaves nothing half-made', async () => {
    const [a, stopped] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c3)]);
    await lab.stopContainer(c3);

    const link = await alice.links.connect({ a: { nodeId: a.id, ifname: 'eth7', addresses: ['10.57.0.1/30'] }, b: { nodeId: stopped.id, ifname: 'eth7', addresses: ['10.57.0.2/30'] } });
    expect(link.status).toBe('failed');
    expect(link.lastError).toMatch(/container ".*-c3" is not running \(state: exited\); start it with: docker start/);
    expect((await interfacesOf(c1)).map((entry) => entry.ifname)).not.toContain('eth7');

    const steps = (await alice.history.list({ linkId: link.id })).map((entry) => `${entry.action}:${entry.outcome}`).reverse();
    expect(steps).toEqual(['link.create:pending', 'agent.call:failed', 'link.status:failed']);

    // Deleting the failed link leaves an interface of the same name that koko did not make.
    await mustRun(['nsenter', `--net=/proc/${await lab.containerPid(c1)}/ns/net`, 'ip', 'link', 'add', 'eth7', 'type', 'veth', 'peer', 'name', 'eth7p']);
    await alice.links.delete({ id: link.id });
    expect((await interfacesOf(c1)).map((entry) => entry.ifname)).toContain('eth7');
  });

  it('drift, then retry repairs', async () => {
    const [a, b] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c2)]);
    const link = await alice.links.connect({ a: { nodeId: a.id, ifname: 'eth8', addresses: ['10.58.0.1/30'] }, b: { nodeId: b.id, ifname: 'eth8', addresses: ['10.58.0.2/30'] } });
    expect(link.status).toBe('up');

    await mustRun(['nsenter', `--net=/proc/${await lab.containerPid(c1)}/ns/net`, 'ip', 'link', 'del', 'eth8']);
    // The agent's change stream makes the controller read the host again without a request.
    const drifted = await waitFor('the link to drift', async () => {
      const found = (await alice.links.list({})).find((entry) => entry.id === link.id);
      return found?.status === 'drifted' ? found : undefined;
    });
    expect(drifted.lastError).toMatch(/interface "eth8" is missing from container ".*-c1" on host "h1"/);

    const repaired = await alice.links.retry({ id: link.id });
    expect(repaired.status).toBe('up');
    expect(await lab.pingFromContainer(c1, '10.58.0.2')).toBe(true);
  });

  it('rejects invalid link input', async () => {
    const [a, b] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c2)]);
    const before = (await alice.links.list({})).length;
    await expectTRPCError(alice.links.connect({ a: { nodeId: a.id, ifname: 'eth 1', addresses: [] }, b: { nodeId: b.id, ifname: 'eth9', addresses: [] } }), 'BAD_REQUEST', /interface name "eth 1" contains a space.*field a.ifname/);
    await expectTRPCError(alice.links.connect({ a: { nodeId: a.id, ifname: 'eth9', addresses: ['10.0.0.1'] }, b: { nodeId: b.id, ifname: 'eth9', addresses: [] } }), 'BAD_REQUEST', /address "10.0.0.1" has no prefix length/);
    await expectTRPCError(alice.links.connect({ a: { nodeId: a.id, ifname: 'eth9' }, b: { nodeId: b.id, ifname: 'eth9' }, mtu: 20 }), 'BAD_REQUEST', /MTU 20 is out of range/);
    await expectTRPCError(alice.links.connect({ a: { nodeId: 'nope', ifname: 'eth9' }, b: { nodeId: b.id, ifname: 'eth9' } }), 'NOT_FOUND', /node "nope" does not exist/);
    expect(await alice.links.list({})).toHaveLength(before);
  });
});

describe('live changes', () => {
  // The controller polls every 10 minutes in these tests, so an event that arrives at all came
  // through the agent's change stream. A bound in milliseconds would only measure the machine's load.
  it('pushes host changes without polling', async () => {
    const stream = await alice.changes();
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'ready' });

    // Other changes may be in flight; wait for the event after which the new netns is a node.
    const started = Date.now();
    const extra = await lab.netns('live');
    let seenAfter: number | undefined;
    while (seenAfter === undefined) {
      const next = await Promise.race([iterator.next(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
      if (next === null || next.done) break;
      const event: ControllerEvent = next.value;
      if (event.type !== 'topology' || !event.changed.includes('nodes') || !event.hostIds.includes(hostId)) continue;
      const nodes = (await alice.topology.get({})).hosts[0]!.nodes;
      if (nodes.some((node) => node.kind === 'netns' && node.name === extra && node.present)) seenAfter = Date.now() - started;
    }
    await iterator.return?.();

    expect(seenAfter).toBeDefined();
  });
});

describe('an unresponsive agent', () => {
  it('offline host keeps links, reconciles later', async () => {
    const [a, b] = await Promise.all([topologyNode('docker', c1), topologyNode('docker', c2)]);
    const link = await alice.links.connect({ a: { nodeId: a.id, ifname: 'eth10', addresses: ['10.60.0.1/30'] }, b: { nodeId: b.id, ifname: 'eth10', addresses: ['10.60.0.2/30'] } });
    const linkCount = (await alice.links.list({})).length;

    await agent.stop();
    const offline = await alice.hosts.refresh({ id: hostId });
    expect(offline.status).toBe('offline');
    expect(offline.lastError).toMatch(/cannot reach the agent of host "h1"/);
    const topology = await alice.topology.get({});
    expect(topology.links.find((entry) => entry.id === link.id)).toMatchObject({ status: 'unknown', storedStatus: 'up' });
    expect(nodeIn(topology, hostId, 'docker', c1).state).toBe('unknown');
    expect(topology.links).toHaveLength(linkCount);
    await expectTRPCError(alice.links.connect({ a: { nodeId: a.id, ifname: 'eth11' }, b: { nodeId: b.id, ifname: 'eth11' } }), 'PRECONDITION_FAILED', /host "h1" is not online, so nothing was changed/);

    // The interface goes while the agent is down; the returning host's inventory shows it.
    await mustRun(['nsenter', `--net=/proc/${await lab.containerPid(c1)}/ns/net`, 'ip', 'link', 'del', 'eth10']);
    agent = await startAgentProcess({ netns: `${lab.prefix}-h1`, dir: dir.path + '/agent' });
    const online = await alice.hosts.refresh({ id: hostId });
    expect(online.status).toBe('online');
    const after = (await alice.links.list({})).find((entry) => entry.id === link.id);
    expect(after?.status).toBe('drifted');
    expect(await alice.links.list({})).toHaveLength(linkCount);
  });
});
