import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_PROCEDURES, type AgentRouter, createAgentClient } from '@koko/agent-api';
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type RunningAgent, linkNames, rawRequest, startAgent } from './helpers';

const lab = new Lab('kag');
let netnsA: string;
let netnsB: string;
const agents: Record<'tcp' | 'socket', RunningAgent | undefined> = { tcp: undefined, socket: undefined };

/** Builds a request each procedure would accept with the right token; create and applyBatch would make a real veth. */
function requestFor(procedure: (typeof AGENT_PROCEDURES)[number]): { method: string; body?: unknown } {
  const link = { kind: 'veth', a: { node: { kind: 'netns', name: netnsA }, ifname: 'kagauth0' }, b: { node: { kind: 'netns', name: netnsB }, ifname: 'kagauth1' } };
  switch (procedure) {
    case 'hostInfo':
    case 'inventory':
    case 'changes':
      return { method: 'GET' };
    case 'stats':
      return { method: 'GET', body: { interfaces: [{ node: { kind: 'netns', name: netnsA }, ifname: 'lo' }] } };
    case 'create':
      return { method: 'POST', body: { link } };
    case 'plan':
    case 'applyBatch':
      return { method: 'POST', body: { create: [link] } };
    case 'delete':
      return { method: 'POST', body: { interfaces: [{ node: { kind: 'netns', name: netnsA }, ifname: 'lo' }] } };
  }
}

function pathFor(procedure: string, method: string, body: unknown): string {
  if (method === 'GET' && body !== undefined) return `/${procedure}?input=${encodeURIComponent(JSON.stringify(body))}`;
  return `/${procedure}`;
}

beforeAll(async () => {
  netnsA = await lab.netns('a');
  netnsB = await lab.netns('b');
  [agents.tcp, agents.socket] = await Promise.all([startAgent(), startAgent({ socket: true })]);
});

afterAll(async () => {
  await Promise.all(Object.values(agents).map((agent) => agent?.stop()));
  await lab.cleanup();
});

describe.each(['tcp', 'socket'] as const)('agent on %s', (transport) => {
  it.each(AGENT_PROCEDURES)('rejects %s without a token', async (procedure) => {
    const agent = agents[transport]!;
    const { method, body } = requestFor(procedure);
    const response = await rawRequest(agent.address, method, pathFor(procedure, method, body), {}, method === 'POST' ? JSON.stringify(body) : undefined);

    expect(response.status).toBe(401);
    expect(response.body).toContain('UNAUTHORIZED');
    expect(await linkNames(netnsA)).toEqual(['lo']);
  });

  it.each(AGENT_PROCEDURES)('rejects %s with a wrong token', async (procedure) => {
    const agent = agents[transport]!;
    const { method, body } = requestFor(procedure);
    const headers = { authorization: `Bearer ${'x'.repeat(agent.token.length)}` };
    const response = await rawRequest(agent.address, method, pathFor(procedure, method, body), headers, method === 'POST' ? JSON.stringify(body) : undefined);

    expect(response.status).toBe(401);
    expect(response.body).toContain('UNAUTHORIZED');
    expect(await linkNames(netnsA)).toEqual(['lo']);
  });

  it('accepts the token from the token file', async () => {
    const agent = agents[transport]!;
    const info = await agent.client.hostInfo.query();

    expect(info.hostId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

it('typed client with a wrong token gets UNAUTHORIZED', async () => {
  const agent = agents.tcp!;
  const client = createTRPCClient<AgentRouter>({
    links: [httpLink({ url: agent.address, headers: { authorization: 'Bearer wrong-token-of-enough-length' } })],
  });

  const error = await client.create.mutate(requestFor('create').body as never).catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(TRPCClientError);
  expect((error as TRPCClientError<AgentRouter>).data?.code).toBe('UNAUTHORIZED');
  expect(await linkNames(netnsA)).toEqual(['lo']);
});

it('logs rejections without the token value', async () => {
  const agent = agents.tcp!;
  const wrong = 'kagwrongtoken0123456789';
  await rawRequest(agent.address, 'GET', '/inventory', { authorization: `Bearer ${wrong}` });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await rawRequest(agent.address, 'GET', '/inventory', { authorization: `Bearer ${wrong}` });
  await new Promise((resolve) => setTimeout(resolve, 200));

  const text = JSON.stringify(agent.logs);
  expect(agent.logs.some((entry) => String(entry.msg).startsWith('rejected a request'))).toBe(true);
  expect(text).not.toContain(wrong);
  expect(text).not.toContain(agent.token);
});

it('keeps token and host id across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kag-restart-'));
  const started: RunningAgent[] = [];
  try {
    const first = await startAgent({ dir });
    started.push(first);
    const firstId = (await first.client.hostInfo.query()).hostId;
    await first.stop();
    const second = await startAgent({ dir });
    started.push(second);
    const secondId = (await second.client.hostInfo.query()).hostId;
    await second.stop();

    expect(statSync(`${dir}/token`).mode & 0o777).toBe(0o600);
    expect(second.token).toBe(first.token);
    expect(secondId).toBe(firstId);
    expect(first.logs.some((entry) => entry.msg === 'generated a new bearer token (mode 0600)')).toBe(true);
    expect(second.logs.some((entry) => entry.msg === 'using the bearer token from the token file')).toBe(true);
  } finally {
    // An agent a failed check left running; stop() does nothing for one that already exited.
    await Promise.all(started.map((agent) => agent.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  }
});

it('typed client of agent-api with a wrong token gets UNAUTHORIZED', async () => {
  const client = createAgentClient({ url: agents.tcp!.address, token: 'wrong-token-of-enough-length' });

  const error = await client.inventory.query().catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(TRPCClientError);
  expect((error as TRPCClientError<AgentRouter>).data?.code).toBe('UNAUTHORIZED');
});
