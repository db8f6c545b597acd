import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type AgentClient, type AgentEvent, closeAgentClient, createAgentClient } from '@koko/agent-api';
import { mustRun, run, waitFor, waitForListening } from '@koko/testkit';
export { processAlive, run, waitFor } from '@koko/testkit';

const require = createRequire(import.meta.url);
export const TSX_CLI = require.resolve('tsx/cli');
/** tsx's loader, for `node --import`: the agent then runs in the one process the test starts, so its PID is the agent's. */
export const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
export const AGENT_ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** How long an agent may take to start: tsx compiles the sources on a loaded 2-core machine. */
const START_TIMEOUT_MS = 30_000;

/** The command that runs the agent with `args`, as the systemd unit does: node with tsx's loader. */
export function agentCommand(args: string[]): string[] {
  return [process.execPath, '--import', TSX_LOADER, AGENT_ENTRY, ...args];
}

/** Parses the JSON log lines in `text`, skipping anything else. */
export function parseLogLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface FinishedAgent {
  code: number | null;
  stderr: string;
  logs: Record<string, unknown>[];
}

/** Runs an agent that is expected to exit by itself (bad flags, a path it rejects) and returns how it ended. */
export async function runAgentToExit(args: string[], timeoutMs = START_TIMEOUT_MS): Promise<FinishedAgent> {
  const [file, ...rest] = agentCommand(args);
  const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stderr, logs: parseLogLines(stdout) };
}

export { type IpLink, Lab, TEST_IMAGE, ipLinks, linkNames } from '@koko/testkit';

/** Runs a command without a shell; throws with its output when it fails. */
export function sh(...argv: string[]): Promise<string> {
  return mustRun(argv);
}

/** Runs a command without a shell and returns its exit code. */
export async function trySh(...argv: string[]): Promise<number> {
  return (await run(argv)).exitCode;
}

export interface RunningAgent {
  /** `http://127.0.0.1:PORT` or `unix:/path`. */
  address: string;
  token: string;
  client: AgentClient;
  child: ChildProcess;
  /** Every log line the agent printed so far, parsed. */
  logs: Record<string, unknown>[];
  dir: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a real agent process through tsx, inside `netns` when given (with `ip netns exec`), on
 * a free loopback port or on a unix socket, with its token and state in `options.dir` or a fresh
 * temporary directory. Resolves once the agent logs that it listens.
 */
export async function startAgent(options: { socket?: boolean; netns?: string; dir?: string } = {}): Promise<RunningAgent> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kag-agent-'));
  const listen = options.socket ? `unix:${dir}/agent.sock` : '127.0.0.1:0';
  const command = agentCommand(['--listen', listen, '--token-file', `${dir}/token`, '--state-dir', dir]);
  const argv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const address = await waitForListening(child, logs, START_TIMEOUT_MS, () => stderr);

  const token = readFileSync(`${dir}/token`, 'utf8').trim();
  const client = address.startsWith('unix:') ? createAgentClient({ socketPath: address.slice(5), token }) : createAgentClient({ url: address, token });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    address,
    token,
    client,
    child,
    logs,
    dir,
    async stop(signal = 'SIGTERM') {
      await closeAgentClient(client);
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface RawResponse {
  status: number;
  body: string;
}

/** Sends one HTTP request to an agent address (`http://...` or `unix:/path`), without the typed client. */
export function rawRequest(address: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const target = address.startsWith('unix:') ? { socketPath: address.slice(5) } : { host: new URL(address).hostname, port: Number(new URL(address).port) };
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        // A change stream never ends by itself; its first bytes are enough.
        if (res.headers['content-type']?.includes('text/event-stream')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** A client following an agent's change stream: the events and stream errors so far, and `stop` to unsubscribe. */
export interface ChangeFollower {
  events: AgentEvent[];
  errors: unknown[];
  stop(): void;
}

/** Subscribes to the change stream of `agent` and resolves once the agent sends `ready`, which it does when it watches everything. */
export async function followChanges(agent: RunningAgent, timeoutMs = 10_000): Promise<ChangeFollower> {
  const events: AgentEvent[] = [];
  const errors: unknown[] = [];
  const subscription = agent.client.changes.subscribe(undefined, { onData: (event) => events.push(event), onError: (error) => errors.push(error) });
  try {
    await waitFor('the ready event', () => events.find((event) => event.type === 'ready'), timeoutMs);
  } catch (error) {
    subscription.unsubscribe();
    throw error;
  }
  return { events, errors, stop: () => subscription.unsubscribe() };
}

/** Lists the child processes of `pid` with their command lines, from ps. */
export async function childProcesses(pid: number): Promise<{ pid: number; args: string }[]> {
  // ps exits 1 when the process has no children, so its exit code is not checked.
  const lines = (await run(['ps', '--ppid', String(pid), '-o', 'pid=,args='])).stdout.split('\n');
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => ({ pid: Number(line.split(' ')[0]), args: line.slice(line.indexOf(' ') + 1) }));
}
