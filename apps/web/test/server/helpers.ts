import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, type AgentProcess } from '@koko/testkit';
import { pino } from 'pino';
import { Controller } from '../../src/server/controller';
import { controllerRouter } from '../../src/server/router';
import type { Topology } from '../../src/server/topology';
import type { NodeView } from '../../src/server/views';

/** Creates a temporary directory for one test file's database; `remove` deletes it. */
export function tempDir(tag: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kct-${tag}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Opens a controller on the SQLite file `file`. Polling is slow and the change stream off unless
 * asked, so tests read hosts when they mean to (hosts.refresh) and see no background writes.
 */
export function openController(file: string, options: { pollIntervalMs?: number; followChanges?: boolean } = {}): Promise<Controller> {
  return Controller.open({
    databaseUrl: `file:${file}`,
    pollIntervalMs: options.pollIntervalMs ?? 600_000,
    followChanges: options.followChanges ?? false,
    logger: pino({ level: process.env.KOKO_TEST_LOG_LEVEL ?? 'silent' }),
  });
}

/** A tRPC caller acting as `actor`, the way the route handler builds one for a request. */
export function callerFor(controller: Controller, actor = 'alice') {
  return controllerRouter.createCaller({ actor, controller });
}

export type Caller = ReturnType<typeof callerFor>;

/** Registers an agent process as host `name`. */
export function addHost(caller: Caller, name: string, agent: AgentProcess) {
  return caller.hosts.add({ name, agent: { socketPath: agent.socketPath }, token: agent.token });
}

/** Finds a node in a topology by host id, kind and name; throws naming what is there when it is missing. */
export function nodeIn(topology: Topology, hostId: string, kind: NodeView['kind'], name: string): NodeView {
  const host = topology.hosts.find((entry) => entry.id === hostId);
  const node = host?.nodes.find((entry) => entry.kind === kind && entry.name === name);
  if (!node) throw new Error(`node ${kind} ${name} not in the topology of host ${hostId}; it has ${host?.nodes.length ?? 0} nodes`);
  return node;
}

/** Waits until `check` resolves to something other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { startAgentProcess, type AgentProcess };
