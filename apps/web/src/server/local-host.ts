import { hostname } from 'node:os';
import { closeAgentClient, createAgentClient, type HostInfo } from '@koko/agent-api';
import { KokoError, quote } from '@koko/core';
import { findHostByName, listHosts, registerHost, SYSTEM_ACTOR, updateHost, type HostRecord, type KokoDatabase } from '@koko/db';
import { agentAddressOf, agentCallError, AGENT_TIMEOUTS } from './agents';
import { underlayCandidatesOf } from './hosts';

/** Turns the machine's host name into a koko host name: letters, digits, `_ . -`, at most 63 characters. */
export function localHostName(machine = hostname()): string {
  const cleaned = machine.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return cleaned || 'local';
}

export interface LocalHostResult {
  host: HostRecord;
  /** Outcome: registered now, token updated, or already registered as it is. */
  action: 'registered' | 'token-updated' | 'unchanged';
}

/**
 * Registers the agent that `pnpm start` runs as this machine's host, unless a host with its
 * address exists. An existing host gets the current token, since deleting the token file makes
 * the agent write a new one. The agent must accept the token for host info first.
 */
export async function ensureLocalHost(db: KokoDatabase, agentUrl: string, token: string, name = localHostName()): Promise<LocalHostResult> {
  const info = await hostInfoOf(agentUrl, token, name);
  const existing = (await listHosts(db)).find((host) => host.agentUrl === agentUrl);
  if (existing) {
    const { token: stored } = await db.read((client) => client.host.findUniqueOrThrow({ where: { id: existing.id }, select: { token: true } }));
    if (stored === token) return { host: existing, action: 'unchanged' };
    return { host: await updateHost(db, existing.id, { token }, SYSTEM_ACTOR), action: 'token-updated' };
  }

  let chosen = name;
  if (await findHostByName(db, chosen)) chosen = `${name.slice(0, 57)}-local`;
  if (await findHostByName(db, chosen)) {
    throw new KokoError('conflict', `hosts ${quote(name)} and ${quote(chosen)} are both registered with other agents; remove one of them, or register this agent (${agentUrl}) yourself`);
  }
  const underlay = underlayCandidatesOf(info)[0]?.address;
  const host = await registerHost(db, { name: chosen, agentUrl, token, ...(underlay !== undefined && { underlay }) }, SYSTEM_ACTOR);
  return { host, action: 'registered' };
}

async function hostInfoOf(agentUrl: string, token: string, name: string): Promise<HostInfo> {
  const client = createAgentClient({ ...agentAddressOf(agentUrl), token });
  const signal = AbortSignal.timeout(AGENT_TIMEOUTS.query);
  try {
    return await client.hostInfo.query(undefined, { signal });
  } catch (error) {
    throw agentCallError(error, { id: '', name, agentUrl }, 'host info', signal.aborted);
  } finally {
    await closeAgentClient(client);
  }
}
