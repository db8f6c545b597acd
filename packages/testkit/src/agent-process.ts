import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The agent's TypeScript entry point. */
export const AGENT_ENTRY = fileURLToPath(new URL('../../../apps/agent/src/main.ts', import.meta.url));
/** How long an agent may take to start: tsx compiles the sources, slowly on a loaded 2-core machine. */
const AGENT_START_TIMEOUT_MS = 30_000;

export interface AgentProcess {
  /** `unix:/path/agent.sock`, the address a controller registers. */
  address: string;
  socketPath: string;
  token: string;
  /** Directory with the socket, token file and host id. */
  dir: string;
  pid: number;
  child: ChildProcess;
  /** Every JSON log line the agent printed so far. */
  logs: Record<string, unknown>[];
  /** Stops the agent by its PID and waits for it to exit; removes `dir` unless the caller gave it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a real agent process (node with the tsx loader) on a unix socket in `options.dir` or a fresh
 * temporary directory, inside netns `options.netns` when given (with `ip netns exec`), and
 * resolves once it logs that it listens. A token file in the directory is reused, so an agent
 * restarted on the same directory keeps its token and host id.
 */
export async function startAgentProcess(options: { netns?: string; dir?: string } = {}): Promise<AgentProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'koko-agent-'));
  const socketPath = join(dir, 'agent.sock');
  // `node --import tsx` runs the agent in this very process, so stopping the PID stops the agent;
  // the tsx command line would put a second process in between that a SIGKILL leaves orphaned.
  const command = [process.execPath, '--import', 'tsx', AGENT_ENTRY, '--listen', `unix:${socketPath}`, '--token-file', join(dir, 'token'), '--state-dir', dir];
  const argv = options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await waitForListening(child, logs, AGENT_START_TIMEOUT_MS, () => stderr);

  return {
    address: `unix:${socketPath}`,
    socketPath,
    token: readFileSync(join(dir, 'token'), 'utf8').trim(),
    dir,
    pid: child.pid!,
    child,
    logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects the JSON log lines an agent child prints into `logs` and resolves with the address of
 * its `listening` line. Rejects when the agent exits first or stays silent for `timeoutMs`.
 */
export function waitForListening(child: ChildProcess, logs: Record<string, unknown>[], timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start within ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
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
          // Not a log line.
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it listened: ${stderr()}`));
    });
  });
}
