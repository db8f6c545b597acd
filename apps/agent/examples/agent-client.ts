/**
 * Calls one agent with the typed client of @koko/agent-api and prints a summary as JSON: a
 * starting point for your own scripts. Copy this file next to it (any file under apps/agent
 * resolves @koko/agent-api) and run it from the repository root:
 *
 *   KOKO_AGENT=unix:/run/koko/agent.sock KOKO_AGENT_TOKEN_FILE=/var/lib/koko/agent-token \
 *     node --import tsx apps/agent/examples/agent-client.ts
 *
 * KOKO_AGENT is `http://host:port` or `unix:/path` (default http://127.0.0.1:7420).
 */
import { readFileSync } from 'node:fs';
import { closeAgentClient, createAgentClient } from '@koko/agent-api';

const address = process.env.KOKO_AGENT ?? 'http://127.0.0.1:7420';
const token = readFileSync(process.env.KOKO_AGENT_TOKEN_FILE ?? '/var/lib/koko/agent-token', 'utf8').trim();
const agent = address.startsWith('unix:') ? createAgentClient({ socketPath: address.slice('unix:'.length), token }) : createAgentClient({ url: address, token });

try {
  const info = await agent.hostInfo.query();
  const inventory = await agent.inventory.query();
  const summary = {
    hostId: info.hostId,
    hostname: info.hostname,
    kernel: info.kernel,
    containers: inventory.containers.length,
    namespaces: inventory.namespaces.length,
    kokoInterfaces: inventory.namespaces.flatMap((namespace) => namespace.interfaces).filter((entry) => entry.linkId).length,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await closeAgentClient(agent);
}
