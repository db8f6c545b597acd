import { createLink } from '@koko/db';
import { Lab, linkNames, mustRun } from '@koko/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Controller } from '../../src/server/controller';
import { addHost, callerFor, nodeIn, openController, startAgentProcess, tempDir, type AgentProcess } from './helpers';

// A controller makes links, positions and history, then stops. A new controller over the same
// SQLite file must find all of it, while the links keep working in the kernel.

const lab = new Lab('kct');
const dir = tempDir('restart');
const file = `${dir.path}/koko.db`;
let agent: AgentProcess;
let controller: Controller | undefined;
let n1: string;
let n2: string;

beforeAll(async () => {
  const h = await lab.netns('h');
  [n1, n2] = await Promise.all([lab.netns('n1'), lab.netns('n2')]);
  agent = await startAgentProcess({ netns: h });
});

afterAll(async () => {
  await controller?.close();
  await agent?.stop();
  await lab.cleanup();
  dir.remove();
});

it('loses nothing across a controller restart', async () => {
  controller = await openController(file);
  const alice = callerFor(controller, 'alice');
  const host = await addHost(alice, 'h', agent);
  const team = await alice.labs.create({ name: 'kct keep' });
  let topology = await alice.topology.get({});
  const [id1, id2] = [nodeIn(topology, host.id, 'netns', n1).id, nodeIn(topology, host.id, 'netns', n2).id];
  const link = await alice.links.connect({ labId: team.id, a: { nodeId: id1, ifname: 'e1', addresses: ['10.221.0.1/30'] }, b: { nodeId: id2, ifname: 'e1', addresses: ['10.221.0.2/30'] } });
  // An interface made after the controller's last read of the host: the agent refuses to create over it.
  await mustRun(['ip', '-n', n1, 'link', 'add', 'kfail0', 'type', 'veth', 'peer', 'name', 'kfail1']);
  const failed = await alice.links.connect({ labId: team.id, a: { nodeId: id1, ifname: 'kfail0', addresses: [] }, b: { nodeId: id2, ifname: 'e9', addresses: [] } });
  await alice.nodes.savePosition({ nodeId: id1, x: 120, y: -40 });
  expect(failed.status).toBe('failed');
  // A link stored as pending whose creation never ran, as when the server dies halfway.
  const stuck = await createLink(controller.db, { labId: team.id, link: { kind: 'veth', a: { host: 'h', node: { kind: 'netns', name: n1 }, ifname: 'e5' }, b: { host: 'h', node: { kind: 'netns', name: n2 }, ifname: 'e5' } } }, { name: 'alice' });

  topology = await alice.topology.get({ labId: team.id });
  const history = await alice.history.list({ limit: 1000 });
  const labs = await alice.labs.list();
  await controller.close();

  controller = await openController(file);
  const again = callerFor(controller, 'alice');
  expect((await again.hosts.refresh({ id: host.id })).status).toBe('online');
  const after = await again.topology.get({ labId: team.id });

  const others = (links: typeof topology.links) => links.filter((entry) => entry.id !== stuck.id);
  expect(others(after.links)).toEqual(others(topology.links));
  expect(after.links.find((entry) => entry.id === stuck.id)).toMatchObject({ status: 'failed', createdBy: 'alice' });
  expect(after.links.find((entry) => entry.id === stuck.id)?.lastError).toMatch(/the link was not finished when the controller stopped: interface "e5" is missing/);
  expect(after.links.find((entry) => entry.id === link.id)?.status).toBe('up');
  expect(after.links.find((entry) => entry.id === failed.id)?.lastError).toBe(failed.lastError);
  expect(nodeIn(after, host.id, 'netns', n1).position).toEqual({ x: 120, y: -40 });
  const lastBefore = history[0]!.id;
  expect((await again.history.list({ limit: 1000 })).filter((entry) => entry.id <= lastBefore)).toEqual(history);
  const withoutCounts = (list: typeof labs) => list.map(({ linksByStatus: _counts, ...lab }) => lab);
  const labsAfter = await again.labs.list();
  expect(withoutCounts(labsAfter)).toEqual(withoutCounts(labs));
  expect(labsAfter.find((entry) => entry.id === team.id)?.linksByStatus).toEqual({ pending: 0, up: 1, failed: 2, drifted: 0 });
  expect((await again.hosts.list()).map((entry) => [entry.id, entry.name, entry.agentUrl, entry.underlay])).toEqual([[host.id, 'h', agent.address, null]]);
  expect(await lab.ping(n1, '10.221.0.2')).toBe(true);

  // The new controller changes what the old one made.
  await again.links.delete({ id: link.id });
  expect(await linkNames(n1)).toEqual(['kfail0', 'kfail1', 'lo']);
});
