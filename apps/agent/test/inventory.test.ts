import { statSync } from 'node:fs';
import type { Inventory, NamespaceInfo } from '@koko/agent-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IpLink, Lab, type RunningAgent, childProcesses, followChanges, ipLinks, sh, startAgent, waitFor } from './helpers';

const lab = new Lab('kag');
let agent: RunningAgent;
let a: string;
let b: string;
let container: string;
let inventory: Inventory;

function namespaceIn(found: Inventory, name: string): NamespaceInfo {
  const entry = found.namespaces.find((item) => item.node.kind === 'netns' && item.node.name === name);
  if (!entry) throw new Error(`netns ${name} missing from the inventory`);
  return entry;
}

/** Lists the agent's `ip -batch` readers (its child processes that read commands from their input) with the inode of their network namespace. */
async function readersOf(agentPid: number): Promise<{ pid: number; namespaceInode: number }[]> {
  const readers = (await childProcesses(agentPid)).filter((child) => child.args.endsWith('ip -json -details -stats -batch -'));
  return readers.map(({ pid }) => ({ pid, namespaceInode: statSync(`/proc/${pid}/ns/net`).ino }));
}

function namespaceNamed(name: string): NamespaceInfo {
  const found = inventory.namespaces.find((entry) => entry.node.kind === 'netns' && entry.node.name === name);
  if (!found) throw new Error(`netns ${name} missing from the inventory`);
  return found;
}

/** The fields the inventory must report exactly as `ip -json` does. */
function kernelView(links: IpLink[]) {
  return links
    .map((link) => ({
      name: link.ifname,
      ifindex: link.ifindex,
      kind: link.linkinfo?.info_kind,
      mtu: link.mtu,
      mac: link.address,
      state: link.operstate,
      alias: link.ifalias,
      addresses: (link.addr_info ?? []).map((entry) => `${entry.local}/${entry.prefixlen}`).sort(),
    }))
    .sort((left, right) => left.ifindex - right.ifindex);
}

function agentView(namespace: NamespaceInfo) {
  return namespace.interfaces
    .map((info) => ({
      name: info.name,
      ifindex: info.ifindex,
      kind: info.kind,
      mtu: info.mtu,
      mac: info.mac,
      state: info.state,
      alias: info.alias,
      addresses: info.addresses.map((entry) => `${entry.address}/${entry.prefix}`).sort(),
    }))
    .sort((left, right) => left.ifindex - right.ifindex);
}

beforeAll(async () => {
  [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
  container = await lab.container('c1');
  agent = await startAgent();
  await agent.client.applyBatch.mutate({
    create: [
      { kind: 'veth', id: 'kagveth1', a: { node: { kind: 'netns', name: a }, ifname: 'ki0', addresses: ['10.73.0.1/24', 'fd73::1/64'] }, b: { node: { kind: 'netns', name: b }, ifname: 'ki1' } },
      { kind: 'veth', a: { node: { kind: 'docker', container }, ifname: 'eth1', addresses: ['10.74.0.1/24'] }, b: { node: { kind: 'netns', name: a }, ifname: 'ki2' } },
    ],
  });
  // A veth koko did not make, so the peer must be found without a koko tag.
  await sh('ip', '-n', a, 'link', 'add', 'kforeign0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'kforeign1', 'netns', b);
  inventory = await agent.client.inventory.query();
});

afterAll(async () => {
  await agent?.stop();
  await lab.cleanup();
});

/**
 * Reads a namespace through the agent between two equal reads of the kernel. A new veth can still
 * change after it is made (carrier up, IPv6 link-local address after duplicate detection), and a
 * loaded machine stretches that out, so a comparison with an older inventory would be racy.
 */
async function settledViews(readKernel: () => Promise<IpLink[]>, pick: (found: Inventory) => NamespaceInfo) {
  for (let attempt = 0; ; attempt++) {
    const before = kernelView(await readKernel());
    const agentSide = agentView(pick(await agent.client.inventory.query()));
    const after = kernelView(await readKernel());
    if (JSON.stringify(before) === JSON.stringify(after) || attempt === 10) return { agentSide, kernelSide: after };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('inventory', () => {
  it('matches ip -json in each netns', async () => {
    for (const name of [a, b]) {
      const pick = (found: Inventory) => found.namespaces.find((entry) => entry.node.kind === 'netns' && entry.node.name === name)!;
      const { agentSide, kernelSide } = await settledViews(() => ipLinks(name), pick);

      expect(agentSide, name).toEqual(kernelSide);
    }
  });

  it('matches ip -json in the container', async () => {
    const entry = inventory.containers.find((item) => item.name === container)!;
    const readKernel = async () => JSON.parse(await sh('nsenter', `--net=/proc/${entry.pid}/ns/net`, 'ip', '-json', '-details', 'address', 'show')) as IpLink[];
    const pick = (found: Inventory) => found.namespaces.find((item) => item.key === entry.namespaceKey)!;

    const { agentSide, kernelSide } = await settledViews(readKernel, pick);

    expect(agentSide).toEqual(kernelSide);
  });

  it('lists the container with its state, PID and labels', async () => {
    const entry = inventory.containers.find((item) => item.name === container);
    const pid = Number((await sh('docker', 'inspect', '-f', '{{.State.Pid}}', container)).trim());

    expect(entry?.running).toBe(true);
    expect(entry?.status).toBe('running');
    expect(entry?.pid).toBe(pid);
    expect(entry?.image).toContain('koko-test-busybox');
    expect(entry?.labels['koko.test']).toBe(lab.prefix);
    expect(inventory.netns).toEqual(expect.arrayContaining([a, b]));
  });

  it('resolves veth peers to namespace and name', () => {
    const nsA = namespaceNamed(a);
    const nsB = namespaceNamed(b);
    const peerOf = (name: string) => nsA.interfaces.find((info) => info.name === name)?.peer;
    const containerKey = inventory.containers.find((item) => item.name === container)!.namespaceKey;

    expect(peerOf('ki0')).toMatchObject({ namespaceKey: nsB.key, ifname: 'ki1' });
    expect(peerOf('ki2')).toMatchObject({ namespaceKey: containerKey, ifname: 'eth1' });
    expect(peerOf('kforeign0')).toMatchObject({ namespaceKey: nsB.key, ifname: 'kforeign1' });
  });

  it('reports the koko tag, counters and parameters', () => {
    const ki0 = namespaceNamed(a).interfaces.find((info) => info.name === 'ki0')!;
    const foreign = namespaceNamed(a).interfaces.find((info) => info.name === 'kforeign0')!;

    expect(ki0.linkId).toBe('kagveth1');
    expect(foreign.linkId).toBeUndefined();
    expect(foreign.mtu).toBe(1400);
    expect(ki0.counters.txPackets).toBeGreaterThanOrEqual(0);
    expect(ki0.addresses.map((entry) => entry.address)).toEqual(expect.arrayContaining(['10.73.0.1', 'fd73::1']));
  });

  it('reports host info with underlay and versions', async () => {
    const info = await agent.client.hostInfo.query();

    expect(info.iproute2).toMatch(/^\d+\.\d+/);
    expect(info.kernel).toBe((await sh('uname', '-r')).trim());
    expect(info.docker.reachable).toBe(true);
    expect(info.hostId).toBe(inventory.hostId);
  });
});

describe('veth peers seen from one end only', () => {
  const ownLab = new Lab('kaf');
  let x: string;
  let container1: string;
  let hostAgent: RunningAgent | undefined;

  afterAll(async () => {
    await hostAgent?.stop();
    await ownLab.cleanup();
  });

  function peerIn(found: Inventory, key: string | undefined, ifname: string) {
    return found.namespaces.find((entry) => entry.key === key)?.interfaces.find((info) => info.name === ifname)?.peer;
  }

  it('resolves the netns end of a hand-made veth into a container', async () => {
    // Two fresh netns and two fresh containers joined the same way, so both pairs are ifindex 2 to
    // ifindex 2 and the ifindexes alone cannot tell the pairs apart.
    const [y] = await Promise.all([ownLab.netns('y'), ownLab.netns('x').then((name) => (x = name))]);
    [container1] = await Promise.all([ownLab.container('c1'), ownLab.container('c2')]);
    const [pid1, pid2] = await Promise.all([ownLab.containerPid(container1), ownLab.containerPid(`${ownLab.prefix}-c2`)]);
    await sh('ip', '-n', x, 'link', 'add', 'kafp0', 'type', 'veth', 'peer', 'name', 'kafq0', 'netns', String(pid1));
    await sh('ip', '-n', y!, 'link', 'add', 'kafp0', 'type', 'veth', 'peer', 'name', 'kafq0', 'netns', String(pid2));

    const found = await agent.client.inventory.query();
    const containerKey = found.containers.find((item) => item.name === container1)!.namespaceKey;
    const netnsKey = found.namespaces.find((entry) => entry.node.kind === 'netns' && entry.node.name === x)!.key;

    expect(peerIn(found, containerKey, 'kafq0')).toMatchObject({ namespaceKey: netnsKey, ifname: 'kafp0' });
    expect(peerIn(found, netnsKey, 'kafp0')).toMatchObject({ namespaceKey: containerKey, ifname: 'kafq0' });
  });

  it("resolves a peer in the agent's own namespace", async () => {
    const [home, under, decoyA, decoyB] = await Promise.all([ownLab.netns('home'), ownLab.netns('u2'), ownLab.netns('da'), ownLab.netns('db')]);
    await sh('ip', '-n', home, 'link', 'add', 'kafhome0', 'type', 'veth', 'peer', 'name', 'kafund0', 'netns', under);
    await sh('ip', '-n', decoyA, 'link', 'add', 'kafdec0', 'type', 'veth', 'peer', 'name', 'kafdec1', 'netns', decoyB);
    hostAgent = await startAgent({ socket: true, netns: home });

    const found = await hostAgent.client.inventory.query();
    const own = found.namespaces.find((entry) => entry.node.kind === 'current')!;
    const underKey = found.namespaces.find((entry) => entry.node.kind === 'netns' && entry.node.name === under)!.key;

    expect(peerIn(found, own.key, 'kafhome0')).toMatchObject({ namespaceKey: underKey, ifname: 'kafund0' });
    expect(peerIn(found, underKey, 'kafund0')).toMatchObject({ namespaceKey: own.key, ifname: 'kafhome0' });
  });
});

describe('change stream', () => {
  it('sends container and interface events', async () => {
    const { events, errors, stop } = await followChanges(agent);
    try {

      await sh('docker', 'stop', '-t', '0', container);
      await waitFor('the die event', () => events.find((event) => event.type === 'container' && event.action === 'die' && event.name === container));
      await waitFor('the stop event', () => events.find((event) => event.type === 'container' && event.action === 'stop' && event.name === container));

      await sh('docker', 'start', container);
      await waitFor('the start event', () => events.find((event) => event.type === 'container' && event.action === 'start' && event.name === container));

      await sh('ip', '-n', a, 'link', 'add', 'khand0', 'type', 'veth', 'peer', 'name', 'khand1');
      const added = await waitFor('the added event', () => events.find((event) => event.type === 'interface' && event.action === 'added' && event.ifname === 'khand0'));
      expect(added).toMatchObject({ namespace: `netns "${a}"`, kind: 'veth' });

      await sh('ip', '-n', a, 'link', 'set', 'khand0', 'up');
      await waitFor('the up event', () => events.find((event) => event.type === 'interface' && event.action === 'up' && event.ifname === 'khand0'));
      await sh('ip', '-n', a, 'address', 'add', '10.73.5.1/32', 'dev', 'khand0');
      await waitFor('the changed event', () => events.find((event) => event.type === 'interface' && event.action === 'changed' && event.ifname === 'khand0'));
      await sh('ip', '-n', a, 'link', 'set', 'khand0', 'down');
      await waitFor('the down event', () => events.find((event) => event.type === 'interface' && event.action === 'down' && event.ifname === 'khand0'));

      await sh('ip', '-n', a, 'link', 'del', 'khand0');
      await waitFor('the removed event', () => events.find((event) => event.type === 'interface' && event.action === 'removed' && event.ifname === 'khand1'));
      expect(errors).toEqual([]);
    } finally {
      stop();
    }
  });

  it('reads the inventory through its readers', async () => {
    const { stop } = await followChanges(agent);
    try {
      const readers = await readersOf(agent.child.pid!);
      expect(readers.length).toBeGreaterThanOrEqual(3);
      expect(readers.map((reader) => reader.namespaceInode)).toContain(statSync(`/run/netns/${a}`).ino);

      // A change made just before the request shows at once: a reader reads, it does not cache.
      await sh('ip', '-n', a, 'address', 'add', '10.73.9.1/32', 'dev', 'ki0');
      const addresses = namespaceIn(await agent.client.inventory.query(), a).interfaces.find((info) => info.name === 'ki0')!.addresses;
      expect(addresses.map((entry) => entry.address)).toContain('10.73.9.1');

      // Counters change with no monitor event, and the inventory still has the latest ones.
      const before = namespaceIn(await agent.client.inventory.query(), a).interfaces.find((info) => info.name === 'ki0')!.counters.txPackets;
      await sh('ip', '-n', a, 'link', 'set', 'ki0', 'up');
      await sh('ip', '-n', b, 'address', 'add', '10.73.0.2/24', 'dev', 'ki1');
      await sh('ip', '-n', b, 'link', 'set', 'ki1', 'up');
      await sh('ip', 'netns', 'exec', a, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '10.73.0.2');
      const after = namespaceIn(await agent.client.inventory.query(), a).interfaces.find((info) => info.name === 'ki0')!.counters.txPackets;
      expect(after).toBeGreaterThan(before);
    } finally {
      stop();
    }
    await waitFor('the readers to stop', async () => ((await readersOf(agent.child.pid!)).length === 0 ? true : undefined));
  });

  it('releases a deleted netns at once', async () => {
    const { events, stop } = await followChanges(agent);
    try {
      const deleted = await lab.netns('gone');
      await waitFor('the namespace event', () => events.find((event) => event.type === 'namespace' && event.action === 'added' && event.namespace === `netns "${deleted}"`));
      await sh('ip', '-n', deleted, 'link', 'add', 'kgone0', 'type', 'veth', 'peer', 'name', 'kgone1', 'netns', b);

      // The monitor and the reader run inside the namespace and keep it alive. Once they stop, the
      // kernel frees it, so the veth goes, and its other end in b with it.
      await sh('ip', 'netns', 'del', deleted);
      await waitFor('the veth end in b to go', async () => ((await ipLinks(b)).some((link) => link.ifname === 'kgone1') ? undefined : true), 5000);
    } finally {
      stop();
    }
  });

  it('sees a netns that appears and goes', async () => {
    const { events, stop } = await followChanges(agent);
    try {
      const late = await lab.netns('late');

      await waitFor('the namespace event', () => events.find((event) => event.type === 'namespace' && event.action === 'added' && event.namespace === `netns "${late}"`));
      await sh('ip', '-n', late, 'link', 'add', 'klate0', 'type', 'veth', 'peer', 'name', 'klate1');
      await waitFor('the added event', () => events.find((event) => event.type === 'interface' && event.ifname === 'klate0'));
      await sh('ip', 'netns', 'del', late);
      await waitFor('the removal', () => events.find((event) => event.type === 'namespace' && event.action === 'removed' && event.namespace === `netns "${late}"`));
    } finally {
      stop();
    }
  });
});
