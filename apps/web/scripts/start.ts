// pnpm start: runs koko on this machine. It migrates the database, starts a local agent on a unix
// socket, registers that agent as this machine's host, builds the web app when there is no
// build or its sources changed since, and serves it with `next start`. SIGINT or SIGTERM stops both child processes.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateDatabase, openDatabase } from '@koko/db';
import { ensureLocalHost } from '../src/server/local-host';
import { staleBuildCause } from './stale-build';

const require = createRequire(import.meta.url);
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const WEB_APP = join(REPOSITORY, 'apps/web');
const AGENT_ENTRY = join(REPOSITORY, 'apps/agent/src/main.ts');
/** Sources of the web build. A change in any of them after the last build makes pnpm start build again. */
const BUILD_SOURCES = [
  'apps/web/src',
  'apps/web/next.config.ts',
  'apps/web/package.json',
  'apps/web/tsconfig.json',
  'packages/core/src',
  'packages/db/src',
  'packages/agent-api/src',
  'prisma/schema.prisma',
  'pnpm-lock.yaml',
].map((path) => join(REPOSITORY, path));

/** How long the agent and the web server may take to start, in milliseconds: tsx compiles the agent first. */
const START_TIMEOUT_MS = 60_000;
/** How long a child may take to stop after SIGTERM before it gets SIGKILL, in milliseconds. */
const STOP_TIMEOUT_MS = 15_000;

const HELP = `pnpm start: run koko's web server with a local agent

Usage: pnpm start [--build]

  --build   build the web app again even when the build is newer than its sources

Environment:
  HOST           address the web server listens on (default 127.0.0.1)
  PORT           its port (default 3000)
  KOKO_DATA_DIR  directory of the database, the agent socket, token and log (default ./data)
  DATABASE_URL   SQLite file URL (default file:<KOKO_DATA_DIR>/koko.db)

Run it as root: the agent creates interfaces in other network namespaces.
`;

function say(message: string): void {
  process.stdout.write(`koko: ${message}\n`);
}

function fail(message: string, status = 1): never {
  process.stderr.write(`koko: ${message}\n`);
  process.exit(status);
}

interface Settings {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  rebuild: boolean;
}

function readSettings(args: string[]): Settings {
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    if (arg !== '--build') fail(`unknown option ${JSON.stringify(arg)}; run pnpm start --help`, 2);
  }
  const port = Number(process.env.PORT || '3000');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`PORT=${JSON.stringify(process.env.PORT)} is invalid; give a port from 1 to 65535`, 2);
  // pnpm runs scripts from the repository root, so a relative KOKO_DATA_DIR is relative to it.
  const dataDir = resolve(process.env.KOKO_DATA_DIR || join(REPOSITORY, 'data'));
  return {
    host: process.env.HOST || '127.0.0.1',
    port,
    dataDir,
    databaseUrl: process.env.DATABASE_URL || `file:${join(dataDir, 'koko.db')}`,
    rebuild: args.includes('--build'),
  };
}

/** Resolves when `child` exits, with its exit code or signal. */
function exitOf(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(String(child.exitCode ?? child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(String(code ?? signal))));
}

/** Sends SIGTERM to a child by its PID, then SIGKILL if it has not exited after STOP_TIMEOUT_MS. */
async function stopChild(child: ChildProcess | undefined, name: string): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    say(`${name} (PID ${child.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
    process.kill(child.pid!, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Starts the agent on a unix socket in the data directory, its log in agent.log; resolves once it listens. */
async function startAgent(dataDir: string): Promise<{ child: ChildProcess; socketPath: string; token: string; logFile: string }> {
  const socketPath = join(dataDir, 'agent.sock');
  const tokenFile = join(dataDir, 'agent-token');
  const logFile = join(dataDir, 'agent.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  // `node --import tsx` rather than the tsx command, which would put a wrapper process between this one and the agent.
  const argv = ['--import', 'tsx', AGENT_ENTRY, '--listen', `unix:${socketPath}`, '--token-file', tokenFile, '--state-dir', join(dataDir, 'agent')];
  const child = spawn(process.execPath, argv, { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`)), START_TIMEOUT_MS);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      if (!buffered.includes('"msg":"listening"')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const lastLines = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('\n');
      // The agent's own advice names its socket path, which pnpm start derives from the data directory.
      const hint = /another process listens on|in use/.test(lastLines) ? `\nAnother pnpm start may use the data directory ${dataDir}; stop it, or set KOKO_DATA_DIR to another directory.` : '';
      reject(new Error(`the agent exited with ${code} before it listened:\n${lastLines}\n(full log: ${logFile})${hint}`));
    });
  });
  return { child, socketPath, token: readFileSync(tokenFile, 'utf8').trim(), logFile };
}

/**
 * Exits with a message naming PORT when something already listens on the web server's port.
 * Otherwise `next start` would fail only after the agent started, and the start-up check would
 * take the other server's response for this one's.
 */
async function requireFreePort(host: string, port: number): Promise<void> {
  const problem = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'is in use' : `cannot be used (${error.code ?? error.message})`));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
  if (problem !== undefined) fail(`port ${port} on ${host} ${problem}, perhaps by another pnpm start; stop that, or set PORT to a free port`, 1);
}

/** Returns why the web app must be built before it is served, or undefined when its build is current. */
function buildReason(forced: boolean): string | undefined {
  if (forced) return '--build was given';
  const buildIdFile = join(WEB_APP, '.next', 'BUILD_ID');
  const changed = staleBuildCause(buildIdFile, BUILD_SOURCES);
  if (changed === buildIdFile) return 'there is no build yet';
  return changed === undefined ? undefined : `${relative(REPOSITORY, changed)} changed since the last build`;
}

/** Lock file held around `next build`, so two builds (a start and an end-to-end run) never write one `.next` at once. */
const BUILD_LOCK = '/tmp/koko-next-build.lock';

/** Runs `next build` in the web app under the build lock (flock, from util-linux), with its output on this terminal. */
async function buildWebApp(): Promise<void> {
  const argv = [BUILD_LOCK, process.execPath, require.resolve('next/dist/bin/next'), 'build'];
  const child = spawn('flock', argv, { cwd: WEB_APP, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  const code = await exitOf(child);
  if (code !== '0') throw new Error(`next build failed (exit ${code}); fix the error above and run pnpm start again`);
}

/** Waits until the web server responds to hosts.list. */
async function waitForWebServer(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error('the web server exited while starting; see its output above');
    try {
      const response = await fetch(`${url}/api/trpc/hosts.list`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the web server did not respond at ${url} within ${START_TIMEOUT_MS / 1000} s`);
}

/** How often the launcher checks that its parent still runs, in milliseconds. */
const PARENT_CHECK_MS = 1000;

/**
 * Calls `onExit` once the parent process is gone. pnpm exits on SIGTERM without passing the
 * signal on, and this process would otherwise keep both children running after it.
 */
function watchParent(onExit: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, PARENT_CHECK_MS);
  timer.unref();
}

/** Returns the URL to print and the URL to check, which reaches a wildcard listen address through loopback. */
function localUrl(host: string, port: number): { shown: string; check: string } {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  let checkHost = bracketed;
  if (host === '0.0.0.0') checkHost = '127.0.0.1';
  if (host === '::') checkHost = '[::1]';
  return { shown: `http://${bracketed}:${port}`, check: `http://${checkHost}:${port}` };
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('the agent creates interfaces in other network namespaces and needs root; run: sudo pnpm start', 2);
  await requireFreePort(settings.host, settings.port);
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });

  const migrated = migrateDatabase({ url: settings.databaseUrl });
  say(`database ${migrated.file}${migrated.applied.length > 0 ? ` (applied ${migrated.applied.join(', ')})` : ''}`);

  let agent: ChildProcess | undefined;
  let server: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (reason: string, status: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}; stopping the web server and the agent`);
    await stopChild(server, 'the web server');
    await stopChild(agent, 'the agent');
    say('stopped');
    process.exit(status);
  };
  process.on('SIGINT', () => void stopAll('received SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('received SIGTERM', 0));
  watchParent(() => void stopAll('the process that started pnpm start exited', 0));

  try {
    const started = await startAgent(settings.dataDir);
    agent = started.child;
    void exitOf(agent).then((code) => stopAll(`the agent exited (${code}); see ${started.logFile}`, 1));
    say(`agent listening on unix:${started.socketPath} (PID ${agent.pid}, log ${started.logFile})`);

    const db = await openDatabase({ url: settings.databaseUrl });
    try {
      const { host, action } = await ensureLocalHost(db, `unix:${started.socketPath}`, started.token);
      const outcome = { unchanged: 'is registered', registered: 'registered', 'token-updated': 'is registered; its token was updated' }[action];
      say(`host ${JSON.stringify(host.name)} ${outcome} as this machine's agent`);
    } finally {
      await db.close();
    }

    const reason = buildReason(settings.rebuild);
    if (reason === undefined) {
      say('the web app build is newer than its sources; using it');
    } else {
      say(`building the web app (next build): ${reason}`);
      await buildWebApp();
    }

    const nextArgs = [require.resolve('next/dist/bin/next'), 'start', '-H', settings.host, '-p', String(settings.port)];
    server = spawn(process.execPath, nextArgs, {
      cwd: WEB_APP,
      stdio: 'inherit',
      // NEXT_MANUAL_SIG_HANDLE lets the controller close its database before the server exits.
      env: { ...process.env, DATABASE_URL: settings.databaseUrl, NEXT_TELEMETRY_DISABLED: '1', NEXT_MANUAL_SIG_HANDLE: '1' },
    });
    void exitOf(server).then((code) => stopAll(`the web server exited (${code})`, 1));
    const url = localUrl(settings.host, settings.port);
    await waitForWebServer(url.check, server);
    say(`running at ${url.shown} (PIDs: pnpm start ${process.pid}, web server ${server.pid}, agent ${agent.pid}); press Ctrl+C to stop`);
  } catch (error) {
    process.stderr.write(`koko: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll('start failed', 1);
  }
}

void main();
