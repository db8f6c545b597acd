import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, type AgentProcess } from '@koko/testkit';
import { TRPCError } from '@trpc/server';
import { pino } from 'pino';
import { expect } from 'vitest';
import { Controller } from '../../src/server/controller';
import { controllerRouter } from '../../src/server/router';
import type { Topology } from '../../src/server/topology';
import type { NodeView } from '../../src/server/views';

export { waitFor } from '@koko/testkit';

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


export { startAgentProcess, type AgentProcess };

/** Expects `promise` to reject with a TRPCError of `code` whose message matches `message`, and returns the error. */
export async function expectTRPCError(promise: Promise<unknown>, code: TRPCError['code'], message: RegExp): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  const trpcError = error as TRPCError;
  expect(trpcError.code).toBe(code);
  expect(trpcError.message).toMatch(message);
  return trpcError;
}

/** Returns the input field a controller error names, from the KokoError behind it. */
export function fieldOf(error: TRPCError): string | undefined {
  return (error.cause as { field?: string } | undefined)?.field;
}
