import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const WEB_APP = join(REPOSITORY, 'apps/web');
const START_SCRIPT = join(WEB_APP, 'scripts/start.ts');
/** `pnpm start` compiles the agent with tsx and opens the database before it serves: allow for a loaded machine. */
const START_TIMEOUT_MS = 120_000;
/** The lock every e2e run takes around `next build`, so two runs never write one `.next` at once. */
const BUILD_LOCK = '/tmp/koko-next-build.lock';

export interface RunningApp {
  url: string;
  dataDir: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs `next build` in apps/web, holding the build lock, and throws with its output when it fails. */
export async function buildWebApp(): Promise<void> {
  const next = require.resolve('next/dist/bin/next', { paths: [WEB_APP] });
  const child = spawn('flock', [BUILD_LOCK, process.execPath, next, 'build'], { cwd: WEB_APP, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await exitOf(child);
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${output.slice(-4000)}`);
}

/** Waits until the web server at `url` returns the controller's health query. */
async function waitForHealth(url: string, exited: Promise<number | null>): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`pnpm start exited with ${exitCode} before the app responded`);
    try {
      const response = await fetch(`${url}/api/trpc/health`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the app did not respond at ${url} within ${START_TIMEOUT_MS / 1000} s`);
}

/**
 * Starts the app the way a user does, with `pnpm start` (apps/web/scripts/start.ts): the web
 * server, a local agent registered as this machine's host, and a fresh SQLite database, all in a
 * temporary data directory and on a free port. Resolves once the app responds over HTTP.
 */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kui-app-'));
  const logFile = join(dataDir, 'start.log');
  // The output goes to a file, not a pipe, so the app keeps running cleanly if this process dies.
  const log = openSync(logFile, 'a');
  const tsx = require.resolve('tsx/cli', { paths: [REPOSITORY] });
  const child = spawn(process.execPath, [tsx, START_SCRIPT], {
    cwd: REPOSITORY,
    stdio: ['ignore', log, log],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), KOKO_DATA_DIR: dataDir, KOKO_LOG_LEVEL: 'warn', NEXT_TELEMETRY_DISABLED: '1', ...env },
  });
  closeSync(log);

  const exited = exitOf(child);
  const stop = async () => {
    // start.ts stops the web server and the agent it started when it gets SIGTERM.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForHealth(url, exited);
  } catch (error) {
    await stop();
    // The data directory goes too, so the error carries the end of the log.
    const log = readFileSync(logFile, 'utf8').slice(-3000);
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n--- end of the pnpm start log ---\n${log}`, { cause: error });
  }

  return {
    url,
    dataDir,
    pid: child.pid!,
    logFile,
    async stop() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls a controller query over HTTP, as the dashboard does (no transformer, so plain JSON). */
export async function query<T>(url: string, procedure: string, input?: unknown): Promise<T> {
  const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${url}/api/trpc/${procedure}${search}`);
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok || !body.result) throw new Error(`${procedure} failed (${response.status}): ${body.error?.message ?? JSON.stringify(body)}`);
  return body.result.data;
}

/** Calls a controller mutation over HTTP as the display name `actor`. */
export async function mutate<T>(url: string, procedure: string, input: unknown, actor = 'e2e'): Promise<T> {
  const response = await fetch(`${url}/api/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-koko-user': actor },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!response.ok || !body.result) throw new Error(`${procedure} failed (${response.status}): ${body.error?.message ?? JSON.stringify(body)}`);
  return body.result.data;
}
