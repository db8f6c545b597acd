import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, type RunningAgent, sh, startAgent } from './helpers';

const lab = new Lab('kag');
const agents: RunningAgent[] = [];
let hostA: string;
let hostB: string;
let nodeA: string;
let nodeB: string;

beforeAll(async () => {
  [hostA, hostB, nodeA, nodeB] = await Promise.all([lab.netns('ha'), lab.netns('hb'), lab.netns('na'), lab.netns('nb')]);
  // The underlay between the two simulated hosts.
  await sh('ip', '-n', hostA, 'link', 'add', 'under0', 'type', 'veth', 'peer', 'name', 'under0', 'netns', hostB);
  await sh('ip', '-n', hostA, 'address', 'add', '10.78.0.1/24', 'dev', 'under0');
  await sh('ip', '-n', hostB, 'address', 'add', '10.78.0.2/24', 'dev', 'under0');
  await sh('ip', '-n', hostA, 'link', 'set', 'under0', 'up');
  await sh('ip', '-n', hostB, 'link', 'set', 'under0', 'up');
  agents.push(...(await Promise.all([startAgent({ socket: true, netns: hostA }), startAgent({ socket: true, netns: hostB })])));
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await lab.cleanup();
});

it('vxlan from one create per agent carries ping between hosts', async () => {
  const [agentA, agentB] = agents as [RunningAgent, RunningAgent];
  const [infoA, infoB] = await Promise.all([agentA.client.hostInfo.query(), agentB.client.hostInfo.query()]);
  expect(infoA.hostId).not.toBe(infoB.hostId);
  expect(infoA.underlay.find((entry) => entry.name === 'under0')?.addresses[0]?.address).toBe('10.78.0.1');
  expect(infoB.underlay.find((entry) => entry.name === 'under0')?.addresses[0]?.address).toBe('10.78.0.2');

  await agentA.client.create.mutate({
    link: { kind: 'vxlan', id: 'kagvx1', endpoint: { node: { kind: 'netns', name: nodeA }, ifname: 'vx0', addresses: ['10.79.0.1/24'] }, parent: 'under0', remote: '10.78.0.2', vni: 4242 },
  });
  await agentB.client.create.mutate({
    link: { kind: 'vxlan', id: 'kagvx1', endpoint: { node: { kind: 'netns', name: nodeB }, ifname: 'vx0', addresses: ['10.79.0.2/24'] }, parent: 'under0', remote: '10.78.0.1', vni: 4242 },
  });

  await sh('ip', 'netns', 'exec', nodeA, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.79.0.2');
  const stats = await agentB.client.stats.query({ interfaces: [{ node: { kind: 'netns', name: nodeB }, ifname: 'vx0' }] });
  expect(stats.interfaces[0]!.counters.rxPackets).toBeGreaterThanOrEqual(2);

  await agentA.client.delete.mutate({ interfaces: [{ node: { kind: 'netns', name: nodeA }, ifname: 'vx0' }] });
  const result = await sh('sh', '-c', `ip netns exec ${nodeA} ping -c 1 -W 1 10.79.0.2 >/dev/null 2>&1; echo $?`);
  expect(result.trim()).not.toBe('0');
});
