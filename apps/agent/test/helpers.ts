import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentClient, closeAgentClient, createAgentClient } from '@koko/agent-api';
import { execa } from 'execa';

const require = createRequire(import.meta.url);
export const TSX_CLI = require.resolve('tsx/cli');
export const AGENT_ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const TEST_IMAGE = process.env.KOKO_TEST_IMAGE ?? 'koko-test-busybox:latest';
/** How long an agent may take to start: tsx compiles the sources on a loaded 2-core machine. */
const START_TIMEOUT_MS = 30_000;

/** A unique prefix for everything one test file makes: `kag` and four hex digits. */
export function newPrefix(): string {
  return `kag${randomBytes(2).toString('hex')}`;
}

/** Runs a command without a shell; throws with its output when it fails. */
export async function sh(...argv: string[]): Promise<string> {
  const result = await execa(argv[0]!, argv.slice(1), { reject: false });
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${result.exitCode}): ${result.stderr || result.stdout}`);
  return String(result.stdout);
}

export async function trySh(...argv: string[]): Promise<number> {
  const result = await execa(argv[0]!, argv.slice(1), { reject: false });
  return result.exitCode ?? 1;
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  ifalias?: string;
  mtu: number;
  operstate: string;
  address?: string;
  flags?: string[];
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `ip -json -details address show` in a named netns. */
export async function ipLinks(netns: string): Promise<IpLink[]> {
  return JSON.parse(await sh('ip', '-n', netns, '-json', '-details', 'address', 'show')) as IpLink[];
}

export async function linkNames(netns: string): Promise<string[]> {
  return (await ipLinks(netns)).map((link) => link.ifname).sort();
}

/** Named netns and containers made by one test file; `cleanup` removes them all, whatever failed. */
export class Lab {
  readonly namespaces: string[] = [];
  readonly containers: string[] = [];

  constructor(readonly prefix: string) {}

  async netns(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    await sh('ip', 'netns', 'add', full);
    this.namespaces.push(full);
    await sh('ip', '-n', full, 'link', 'set', 'lo', 'up');
    return full;
  }

  async container(name: string): Promise<string> {
    const full = `${this.prefix}-${name}`;
    this.containers.push(full);
    await sh('docker', 'run', '-d', '--network', 'none', '--label', `kag.test=${this.prefix}`, '--name', full, TEST_IMAGE, 'sleep', '3600');
    return full;
  }

  async cleanup(): Promise<void> {
    for (const container of this.containers) await trySh('docker', 'rm', '-f', container);
    for (const netns of this.namespaces) await trySh('ip', 'netns', 'del', netns);
  }
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
  const command = [process.execPath, TSX_CLI, AGENT_ENTRY, '--listen', listen, '--token-file', `${dir}/token`, '--state-dir', dir];
  const argv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(String(entry.address));
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it listened: ${stderr}`));
    });
  });

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

/** Waits until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
