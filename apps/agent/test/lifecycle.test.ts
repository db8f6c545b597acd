import type { LinkRequestInput } from '@koko/core';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, type RunningAgent, childProcesses, followChanges, linkNames, processAlive, sh, startAgent, waitFor } from './helpers';

const lab = new Lab('kag');
const agents: RunningAgent[] = [];
let a: string;
let b: string;

function veth(ifA: string, ifB: string): LinkRequestInput {
  return { kind: 'veth', a: { node: { kind: 'netns', name: a }, ifname: ifA }, b: { node: { kind: 'netns', name: b }, ifname: ifB } };
}

beforeAll(async () => {
  [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.stop('SIGKILL')));
  await lab.cleanup();
});

it('serializes two creates of one name in one netns', async () => {
  const agent = await startAgent();
  agents.push(agent);

  const results = await Promise.allSettled([agent.client.create.mutate({ link: veth('kdup0', 'kdup1') }), agent.client.create.mutate({ link: veth('kdup0', 'kdup2') })]);

  const rejected = results.filter((result) => result.status === 'rejected');
  expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  expect(rejected).toHaveLength(1);
  // Planned after the first one ran, the second finds the name taken. Interleaved, it would fail in the kernel instead.
  expect(((rejected[0] as PromiseRejectedResult).reason as TRPCClientError<never>).data).toMatchObject({ kokoCode: 'conflict' });
  await agent.client.delete.mutate({ interfaces: [{ node: { kind: 'netns', name: a }, ifname: 'kdup0' }] });
});

it('finishes the running batch on SIGTERM and rejects new changes', async () => {
  const agent = await startAgent();
  agents.push(agent);
  const count = 150;
  const links = Array.from({ length: count }, (_, index) => veth(`kt${index}a`, `kt${index}b`));

  const batch = agent.client.applyBatch.mutate({ create: links });
  for (let attempt = 0; attempt < 400; attempt++) {
    if ((await linkNames(a)).length > 1) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  agent.child.kill('SIGTERM');
  const late = agent.client.create.mutate({ link: veth('klate0', 'klate1') }).then(
    () => 'accepted',
    (error: unknown) => (error instanceof TRPCClientError ? String(error.data?.code ?? error.message) : String(error)),
  );

  const result = await batch.catch((error: unknown) => {
    throw new Error(`${String(error)}; agent logs: ${JSON.stringify(agent.logs)}`);
  });
  expect(result.links).toHaveLength(count);
  const done = await waitFor('the applyBatch log line', () => agent.logs.find((entry) => entry.msg === 'applyBatch done'));
  // A long batch logs its count and the first ids, not every id.
  expect(done.links).toBe(count);
  expect(done.linkIds).toEqual(result.links.slice(0, 10).map((link) => link.id));
  expect(await linkNames(a)).toHaveLength(count + 1);
  expect(await late).not.toBe('accepted');
  expect(await linkNames(a)).not.toContain('klate0');

  const code = await new Promise<number | null>((resolve) => (agent.child.exitCode !== null ? resolve(agent.child.exitCode) : agent.child.once('exit', resolve)));
  expect(code).toBe(0);
  expect(agent.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['stopping: finishing running changes, rejecting new ones', 'stopped']));
  await sh('ip', 'netns', 'exec', a, 'true');
});

it('a killed agent leaves no helper process behind', async () => {
  const agent = await startAgent();
  agents.push(agent);
  const doomed = await lab.netns('doomed');
  await sh('ip', '-n', doomed, 'link', 'add', 'kdoom0', 'type', 'veth', 'peer', 'name', 'kdoom1', 'netns', b);
  const { stop } = await followChanges(agent);

  const children = (await childProcesses(agent.child.pid!)).map((child) => child.pid);
  expect(children.length).toBeGreaterThanOrEqual(4); // a monitor and a reader in at least a, b and doomed
  stop();
  agent.child.kill('SIGKILL');

  await waitFor('the helpers to end', () => (children.every((pid) => !processAlive(pid)) ? true : undefined), 5000);
  await sh('ip', 'netns', 'del', doomed);
  await waitFor('the veth end in b to go', async () => ((await linkNames(b)).includes('kdoom1') ? undefined : true), 5000);
});
