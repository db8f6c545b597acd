import { type AgentClient, closeAgentClient, createAgentClient } from '@koko/agent-api';
import { KokoError, type KokoErrorCode, quote } from '@koko/core';
import { getAgentCredentials, type KokoDatabase } from '@koko/db';
import { TRPCClientError } from '@trpc/client';

/** Reason an agent call failed: no connection, a rejected token, a timeout, or an error the agent returned for the request. */
export type AgentFailureKind = 'unreachable' | 'token-rejected' | 'timeout' | 'rejected';

/** A failed agent call. Its message names the host and the fix; `code` is the agent's error category when it responded. */
export class AgentCallError extends KokoError {
  constructor(
    readonly kind: AgentFailureKind,
    code: KokoErrorCode,
    message: string,
    /** The agent's own message, without the host prefix. */
    readonly agentMessage: string,
  ) {
    super(code, message);
  }
}

/** How long each kind of call may take, in milliseconds. Changes hold namespace locks on the agent, so they get longer. */
export const AGENT_TIMEOUTS = {
  /** hostInfo, stats and plan: a few process starts each. */
  query: 10_000,
  /** A full inventory reads every namespace of the host: about 0.2 s for 200 namespaces on 2 cores. */
  inventory: 30_000,
  /** create, delete and applyBatch, which wait behind other changes to the same namespaces. */
  change: 120_000,
} as const;

/** The host fields a call needs to find its agent and name it in messages. */
export interface AgentHost {
  id: string;
  name: string;
  agentUrl: string;
}

/** Returns the client options for an agent address: an http(s) URL, or `unix:/path` for a socket. */
export function agentAddressOf(agentUrl: string): { url: string } | { socketPath: string } {
  return agentUrl.startsWith('unix:') ? { socketPath: agentUrl.slice('unix:'.length) } : { url: agentUrl };
}

/** Returns the message at the bottom of an error's cause chain, where fetch keeps the socket error. */
function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | undefined)?.cause;
    if (!(cause instanceof Error)) break;
    current = cause;
  }
  return current instanceof Error ? current.message : String(current);
}

/** Turns whatever an agent call threw into an AgentCallError that names the host and the fix. */
export function agentCallError(error: unknown, host: AgentHost, what: string, timedOut: boolean): AgentCallError {
  const where = `host ${quote(host.name)}`;
  if (timedOut) {
    const message = `${what} on ${where} timed out; the agent at ${host.agentUrl} did not respond in time. Check that it runs and is not stuck`;
    return new AgentCallError('timeout', 'failed', message, 'timed out');
  }
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; kokoCode?: KokoErrorCode | null } | undefined;
    if (data?.code === 'UNAUTHORIZED') {
      const message = `the agent of ${where} at ${host.agentUrl} rejected koko's token; copy the token from the agent's token file and update the host`;
      return new AgentCallError('token-rejected', 'failed', message, error.message);
    }
    if (data?.code) return new AgentCallError('rejected', data.kokoCode ?? 'failed', `${where}: ${error.message}`, error.message);
  }
  const cause = rootMessage(error);
  const message = `cannot reach the agent of ${where} at ${host.agentUrl} (${cause}); check that the agent runs and listens there`;
  return new AgentCallError('unreachable', 'failed', message, cause);
}

async function callAgent<T>(
  client: AgentClient,
  host: AgentHost,
  what: string,
  timeoutMs: number,
  work: (client: AgentClient, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await work(client, signal);
  } catch (error) {
    throw agentCallError(error, host, what, signal.aborted);
  }
}

interface PooledClient {
  key: string;
  client: AgentClient;
}

/** One typed client per host, made on first use from the address and token in the database. */
export class AgentPool {
  readonly #clients = new Map<string, PooledClient>();

  constructor(private readonly db: KokoDatabase) {}

  async clientFor(hostId: string): Promise<AgentClient> {
    const credentials = await getAgentCredentials(this.db, hostId);
    const key = `${credentials.agentUrl}\n${credentials.token}`;
    const pooled = this.#clients.get(hostId);
    if (pooled?.key === key) return pooled.client;
    if (pooled) void closeAgentClient(pooled.client);

    const client = createAgentClient({ ...agentAddressOf(credentials.agentUrl), token: credentials.token });
    this.#clients.set(hostId, { key, client });
    return client;
  }

  /**
   * Calls a host's agent with a timeout; any failure becomes an AgentCallError. `what` names the
   * call in messages, such as `create veth link 3fa2c10b7e`.
   */
  async call<T>(host: AgentHost, what: string, timeoutMs: number, work: (client: AgentClient, signal: AbortSignal) => Promise<T>): Promise<T> {
    return callAgent(await this.clientFor(host.id), host, what, timeoutMs, work);
  }

  /** Calls an agent that is not registered yet, with the token given, through a client made for this call only. */
  async callWith<T>(host: AgentHost, token: string, what: string, timeoutMs: number, work: (client: AgentClient, signal: AbortSignal) => Promise<T>): Promise<T> {
    const client = createAgentClient({ ...agentAddressOf(host.agentUrl), token });
    try {
      return await callAgent(client, host, what, timeoutMs, work);
    } finally {
      await closeAgentClient(client);
    }
  }

  /** Forgets the client of a host whose address or token changed, or that was removed. */
  forget(hostId: string): void {
    const pooled = this.#clients.get(hostId);
    this.#clients.delete(hostId);
    if (pooled) void closeAgentClient(pooled.client);
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((pooled) => closeAgentClient(pooled.client)));
  }
}
