import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, type RunningAgent, startAgent } from './helpers';

let agent: RunningAgent;

beforeAll(async () => {
  agent = await startAgent({ socket: true });
});

afterAll(async () => {
  await agent?.stop();
});

it('example client runs as the docs show', async () => {
  // The exact command of docs/agent.md, from the repository root.
  const result = await execa('node', ['--import', 'tsx', 'apps/agent/examples/agent-client.ts'], {
    cwd: REPO_ROOT,
    env: { KOKO_AGENT: agent.address, KOKO_AGENT_TOKEN_FILE: `${agent.dir}/token` },
    reject: false,
  });

  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const summary = JSON.parse(result.stdout) as { hostId: string; namespaces: number };
  expect(summary.hostId).toBe((await agent.client.hostInfo.query()).hostId);
  expect(summary.namespaces).toBeGreaterThan(0);
});

it('curl takes the token header on its input', async () => {
  // The README's pattern, with this agent's token file and socket.
  const socket = agent.address.slice('unix:'.length);
  const script = `auth() { printf 'Authorization: Bearer %s\\n' "$(cat ${agent.dir}/token)"; }\nauth | curl -s --unix-socket ${socket} -H @- http://agent/hostInfo`;
  const result = await execa('bash', ['-c', script]);

  const body = JSON.parse(result.stdout) as { result?: { data: { hostId: string } } };
  expect(body.result?.data.hostId).toBe((await agent.client.hostInfo.query()).hostId);
});
