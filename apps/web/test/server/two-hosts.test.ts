import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ipLinks, joinByUnderlay, Lab, linkNames, mustRun, run } from '@koko/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/server/controller';
import { addHost, callerFor, nodeIn, openController, startAgentProcess, tempDir, type AgentProcess, type Caller } from './helpers';

// Two simulated hosts: netns ha and hb joined by an underlay veth, one agent inside each. Both
// agents see every netns on the machine; the tests use na as a node of host A and nb of host B.

const lab = new Lab('kct');
const dir = tempDir('two-hosts');
const agents: AgentProcess[] = [];
let controller: Controller;
let alice: Caller;
let hostA: string;
let hostB: string;
let na: string;
let na2: string;
let nb: string;

const require = createRequire(import.meta.url);
const KOKO_COMMAND = `${process.execPath} ${require.resolve('tsx/cli')} ${fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url))}`;

async function nodeIds() {
  const topology = await alice.topology.get({});
  return {
    a: nodeIn(topology, hostA, 'netns', na).id,
    a2: nodeIn(topology, hostA, 'netns', na2).id,
    b: nodeIn(topology, hostB, 'netns', nb).id,
  };
}

beforeAll(async () => {
  const [ha, hb] = await Promise.all([lab.netns('ha'), lab.netns('hb')]);
  [na, na2, nb] = await Promise.all([lab.netns('na'), lab.netns('na2'), lab.netns('nb')]);
  await joinByUnderlay(ha, hb, '10.201.0.1', '10.201.0.2');
  agents.push(...(await Promise.all([startAgentProcess({ netns: ha }), startAgentProcess({ netns: hb })])));
  controller = await openController(`${dir.path}/koko.db`);
  alice = callerFor(controller, 'alice');
  hostA = (await addHost(alice, 'ha', agents[0]!)).id;
  hostB = (await addHost(alice, 'hb', agents[1]!)).id;
});

afterAll(async () => {
  await controller?.close();
  await Promise.all(agents.map((agent) => agent.stop()));
  await lab.cleanup();
  dir.remove();
});

describe('two hosts', () => {
  it('reports each host underlay', async () => {
    const hosts = await alice.hosts.list();
    expect(hosts.find((host) => host.id === hostA)).toMatchObject({ underlay: '10.201.0.1', underlayInterface: 'under0' });
    expect(hosts.find((host) => host.id === hostB)).toMatchObject({ underlay: '10.201.0.2', underlayInterface: 'under0' });
  });

  it('vxlan pair carries ping across hosts', async () => {
    const ids = await nodeIds();
    const suggestion = await alice.links.suggest({ a: { nodeId: ids.a }, b: { nodeId: ids.b } });
    expect(suggestion.kind).toBe('vxlan');
    expect(suggestion.vni).toBeGreaterThan(0);

    const plans = await alice.links.plan({ a: { nodeId: ids.a, ...suggestion.a }, b: { nodeId: ids.b, ...suggestion.b } });
    expect(plans.map((plan) => plan.hostName).sort()).toEqual(['ha', 'hb']);
    expect(plans.find((plan) => plan.hostName === 'ha')!.script).toContain('remote 10.201.0.2');

    const link = await alice.links.connect({ a: { nodeId: ids.a, ...suggestion.a }, b: { nodeId: ids.b, ...suggestion.b } });
    expect(link).toMatchObject({ kind: 'vxlan', status: 'up', vni: suggestion.vni });
    expect(link.endpoints.map((end) => end.parent)).toEqual(['under0', 'under0']);

    const ends = await Promise.all([ipLinks(na), ipLinks(nb)]);
    const [endA, endB] = ends.map((links) => links.find((entry) => entry.ifname === suggestion.a.ifname));
    expect(endA?.linkinfo?.info_kind).toBe('vxlan');
    expect(endA?.linkinfo?.info_data?.id).toBe(link.vni);
    expect(endA?.linkinfo?.info_data?.remote).toBe('10.201.0.2');
    expect(endB?.linkinfo?.info_data?.remote).toBe('10.201.0.1');
    expect(await lab.ping(na, suggestion.b.addresses[0]!.split('/')[0]!)).toBe(true);

    const detail = await alice.links.get({ id: link.id });
    expect(detail.stats.map((entry) => entry.stats?.counters.rxPackets ?? 0).every((count) => count > 0)).toBe(true);

    await alice.links.delete({ id: link.id });
    expect(await linkNames(na)).not.toContain(suggestion.a.ifname);
    expect(await linkNames(nb)).not.toContain(suggestion.b.ifname);
  });

  it('failed second half undoes the first', async () => {
    const ids = await nodeIds();
    await mustRun(['ip', '-n', nb, 'link', 'add', 'taken0', 'type', 'veth', 'peer', 'name', 'taken1']);

    const link = await alice.links.connect({ a: { nodeId: ids.a, ifname: 'vx3', addresses: ['10.203.0.1/30'] }, b: { nodeId: ids.b, ifname: 'taken0', addresses: ['10.203.0.2/30'] } });
    expect(link.status).toBe('failed');
    expect(link.lastError).toMatch(/host "hb": interface "taken0" already exists in netns ".*-nb"/);
    expect(await linkNames(na)).not.toContain('vx3');

    const steps = (await alice.history.list({ linkId: link.id })).reverse().map((entry) => `${entry.action}:${entry.outcome}:${entry.summary}`);
    expect(steps).toEqual([
      expect.stringMatching(/^link.create:pending:/),
      expect.stringMatching(/^agent.call:ok:create vxlan link \w+ \(end a\) on host "ha"$/),
      expect.stringMatching(/^agent.call:failed:create vxlan link \w+ \(end b\) on host "hb" failed$/),
      expect.stringMatching(/^agent.call:ok:undo vxlan link \w+ \(end a\) on host "ha"$/),
      expect.stringMatching(/^link.status:failed:/),
    ]);

    await alice.links.delete({ id: link.id });
    expect(await linkNames(nb)).toContain('taken0');
  });

  it('lab delete batches per host', async () => {
    const ids = await nodeIds();
    const team = await alice.labs.create({ name: 'kct team' });
    const vxlan = await alice.links.connect({ labId: team.id, a: { nodeId: ids.a, ifname: 'vx4', addresses: ['10.204.0.1/30'] }, b: { nodeId: ids.b, ifname: 'vx4', addresses: ['10.204.0.2/30'] } });
    await alice.links.connect({ labId: team.id, a: { nodeId: ids.a, ifname: 'eth4', addresses: ['10.205.0.1/30'] }, b: { nodeId: ids.a2, ifname: 'eth4', addresses: ['10.205.0.2/30'] } });
    expect((await alice.labs.list()).find((entry) => entry.id === team.id)?.linksByStatus.up).toBe(2);
    expect((await ipLinks(na)).find((entry) => entry.ifname === 'eth4')?.group).toBe(String(team.group));

    await alice.labs.delete({ id: team.id });
    expect(await linkNames(na)).not.toContain('vx4');
    expect(await linkNames(na)).not.toContain('eth4');
    expect(await linkNames(na2)).not.toContain('eth4');
    expect(await linkNames(nb)).not.toContain('vx4');
    expect((await alice.labs.list()).map((entry) => entry.id)).not.toContain(team.id);

    const calls = await alice.history.list({ labId: team.id, action: 'agent.call' });
    const deletes = calls.filter((entry) => entry.summary.startsWith('delete '));
    expect(deletes.map((entry) => entry.summary).sort()).toEqual(['delete 2 links of lab "kct team" on host "ha"', `delete link ${vxlan.id} on host "hb"`]);
    expect(deletes.every((entry) => entry.outcome === 'ok')).toBe(true);
  });

  it('lab export, script run, import', async () => {
    const ids = await nodeIds();
    const team = await alice.labs.create({ name: 'kct export' });
    const vxlan = await alice.links.connect({ labId: team.id, a: { nodeId: ids.a, ifname: 'vx6', addresses: ['10.206.0.1/30'] }, b: { nodeId: ids.b, ifname: 'vx6', addresses: ['10.206.0.2/30'] } });
    await alice.links.connect({ labId: team.id, a: { nodeId: ids.a, ifname: 'eth6', addresses: ['10.207.0.1/30'] }, b: { nodeId: ids.a2, ifname: 'eth6', addresses: ['10.207.0.2/30'] }, mtu: 1400 });

    const json = await alice.labs.export({ id: team.id, format: 'json' });
    const script = await alice.labs.export({ id: team.id, format: 'script' });
    expect(json.fileName).toBe('kct-export.koko.json');
    expect(script.content).toContain(`$KOKO -n ${na},vx6,10.206.0.1/30 -x under0,10.201.0.2,${vxlan.vni} --mtu 1450 --id ${vxlan.id} --group ${team.group}`);
    expect(script.content).toContain(`$KOKO -n ${nb},vx6,10.206.0.2/30 -x under0,10.201.0.1,${vxlan.vni} --mtu 1450 --id ${vxlan.id} --group ${team.group}`);
    expect(script.content).toContain(`-n ${na},eth6,10.207.0.1/30 -n ${na2},eth6,10.207.0.2/30 --mtu 1400`);

    // The script rebuilds the lab by hand: one part per host, run inside that host.
    await alice.labs.delete({ id: team.id });
    const file = `${dir.path}/lab.sh`;
    writeFileSync(file, script.content);
    for (const [host, name] of [[`${lab.prefix}-ha`, 'ha'], [`${lab.prefix}-hb`, 'hb']] as const) {
      const result = await run(['ip', 'netns', 'exec', host, 'env', `KOKO=${KOKO_COMMAND}`, 'sh', file, name]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
    }
    expect(await lab.ping(na, '10.206.0.2')).toBe(true);
    expect(await lab.ping(na, '10.207.0.2')).toBe(true);
    const usage = await run(['sh', file]);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('HOST is one of: ha hb');

    // Remove what the script made, then let an import create the same links through the agents.
    await mustRun(['ip', '-n', na, 'link', 'del', 'group', String(team.group)]);
    await mustRun(['ip', '-n', nb, 'link', 'del', 'group', String(team.group)]);
    const imported = await alice.labs.import({ json: json.content });
    expect(imported.lab.name).toBe('kct export');
    expect(imported.links.map((link) => link.status)).toEqual(['up', 'up']);
    expect(imported.links.find((link) => link.kind === 'vxlan')?.vni).toBe(vxlan.vni);
    expect(await lab.ping(na, '10.206.0.2')).toBe(true);
    expect((await ipLinks(na)).find((entry) => entry.ifname === 'eth6')?.mtu).toBe(1400);
  });

  it('rejects a file that is not a lab', async () => {
    await expect(alice.labs.import({ json: '{"format":"other"}' })).rejects.toThrow(/not a koko lab file/);
    await expect(alice.labs.import({ json: 'not json' })).rejects.toThrow(/the lab file is not valid JSON/);
  });
});
