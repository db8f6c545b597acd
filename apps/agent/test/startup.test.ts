import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, agentCommand, followChanges, parseLogLines, processAlive, runAgentToExit, startAgent, waitFor } from './helpers';

const dirs: string[] = [];
/** PIDs of agents a test started outside startAgent; afterEach kills any still running. */
const strayPids: number[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kaf-start-'));
  dirs.push(dir);
  return dir;
}


async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return !processAlive(pid);
}

function killIfRunning(pid: number): void {
  try {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

afterEach(() => {
  for (const pid of strayPids.splice(0)) killIfRunning(pid);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('root agent script', () => {
  it('stops the agent when pnpm gets SIGTERM', async () => {
    const dir = tempDir();
    // What a shell script gets from `pnpm -s agent ... &` and `$!`: the PID of pnpm.
    const pnpm = spawn('pnpm', ['-s', 'agent', '--listen', '127.0.0.1:0', '--token-file', `${dir}/token`, '--state-dir', dir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    strayPids.push(pnpm.pid!);
    let output = '';
    pnpm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const listening = await waitFor('the listening line', () => parseLogLines(output).find((entry) => entry.msg === 'listening'), 30_000);
      const agentPid = Number(listening.pid);
      strayPids.push(agentPid);

      process.kill(pnpm.pid!, 'SIGTERM');

      expect(await waitUntilGone(agentPid, 10_000)).toBe(true);
    } finally {
      // Before the script execs node, pnpm's shell and tsx sat between pnpm and the agent: end them all.
      try {
        process.kill(-pnpm.pid!, 'SIGKILL');
      } catch {
        // The group is gone.
      }
    }
  });
});

describe('unix socket path', () => {
  it.each([
    ['a regular file', (path: string) => writeFileSync(path, 'kaf: not a socket\n'), 'a regular file'],
    ['a directory', (path: string) => mkdirSync(path), 'a directory'],
  ])('rejects %s at the path and keeps it', async (_name, make, described) => {
    const dir = tempDir();
    const path = join(dir, 'agent.sock');
    make(path);
    const before = statSync(path);

    const result = await runAgentToExit(['--listen', `unix:${path}`, '--token-file', `${dir}/token`, '--state-dir', dir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path} exists and is ${described}, not a socket`);
    expect(result.stderr).toContain('pick another socket path');
    expect(statSync(path).ino).toBe(before.ino);
    if (before.isFile()) expect(readFileSync(path, 'utf8')).toBe('kaf: not a socket\n');
  });

  it('replaces a stale socket with no listener', async () => {
    const dir = tempDir();
    const path = join(dir, 'agent.sock');
    // A process killed while it listens leaves its socket file behind.
    const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => holder.stdout!.once('data', resolve));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(statSync(path).isSocket()).toBe(true);

    const agent = await startAgent({ socket: true, dir });
    try {
      expect((await agent.client.hostInfo.query()).hostId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await agent.stop();
    }
  });
});

describe('start errors', () => {
  it('names a token path that is a directory', async () => {
    const dir = tempDir();
    const tokenDir = join(dir, 'tokens');
    mkdirSync(tokenDir);

    const result = await runAgentToExit(['--listen', '127.0.0.1:0', '--token-file', tokenDir, '--state-dir', dir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`token file ${tokenDir} is a directory`);
    expect(result.stderr).toContain('pick another --token-file');
    expect(result.stderr).not.toContain('EISDIR');
    expect(result.logs.find((entry) => entry.msg === 'cannot start')?.error).toContain(tokenDir);
  });

  it('names a port in use and the fix', async () => {
    const dir = tempDir();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const result = await runAgentToExit(['--listen', `127.0.0.1:${port}`, '--token-file', `${dir}/token`, '--state-dir', dir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`--listen 127.0.0.1:${port}: port ${port} is already in use`);
      expect(result.stderr).toContain('pick another port');
      expect(result.stderr).not.toContain('listen EADDRINUSE');
    } finally {
      holder.close();
    }
  });
});

describe('logs and stop', () => {
  it('logs a start line with version, address and PID', async () => {
    const agent = await startAgent();
    try {
      const first = agent.logs[0]!;

      expect(first.msg).toBe('starting');
      expect(first.pid).toBe(agent.child.pid);
      expect(first.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(first.listen).toBe('127.0.0.1:0');
    } finally {
      await agent.stop();
    }
  });

  it('stops at once with a change stream open', async () => {
    const agent = await startAgent();
    const { stop } = await followChanges(agent, 30_000);
    try {
      await agent.client.hostInfo.query();

      const started = performance.now();
      const code = await agent.stop();
      const elapsedMs = performance.now() - started;

      expect(code).toBe(0);
      expect(agent.logs.map((entry) => entry.msg)).toContain('stopped');
      // The stop used to wait 2 s for the change stream's kept-alive connection.
      expect(elapsedMs).toBeLessThan(1000);
    } finally {
      stop();
      await agent.stop('SIGKILL');
    }
  });

  it('stops on SIGTERM after its log reader is gone', async () => {
    const dir = tempDir();
    // A parent that starts the agent with its output on a pipe, then exits: the pipe has no reader left.
    const script = `
      const { spawn } = require('node:child_process');
      const [file, ...args] = JSON.parse(process.argv[1]);
      const agent = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
      agent.stdout.on('data', (chunk) => { if (String(chunk).includes('"listening"')) { console.log(agent.pid); process.exit(0); } });
    `;
    const command = JSON.stringify(agentCommand(['--listen', '127.0.0.1:0', '--token-file', `${dir}/token`, '--state-dir', dir]));
    const parent = spawn(process.execPath, ['-e', script, command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    parent.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => parent.once('close', resolve));
    const agentPid = Number(output.trim());
    expect(agentPid).toBeGreaterThan(0);
    strayPids.push(agentPid);

    process.kill(agentPid, 'SIGTERM');

    expect(await waitUntilGone(agentPid, 5000)).toBe(true);
  });
});
