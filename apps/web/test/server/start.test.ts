import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir, waitFor } from './helpers';

// `pnpm start` as a user runs it, with its data in a temporary directory and a free port. It
// builds the web app first when there is no build, which takes about a minute on 2 cores.

const REPOSITORY = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = tempDir('start');
let child: ChildProcess | undefined;
let output = '';
let port: number;
let exited: Promise<number | null>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  port = await freePort();
  child = spawn('pnpm', ['start'], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KOKO_DATA_DIR: `${dir.path}/data`, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '' },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
});

afterAll(async () => {
  // Normally the test has stopped it; this only covers a failure halfway.
  const pids = /PIDs: pnpm start (\d+), web server (\d+), agent (\d+)/.exec(output);
  if (pids && running(Number(pids[1]))) process.kill(Number(pids[1]), 'SIGTERM');
  if (child && child.exitCode === null) await exited;
  dir.remove();
});

it('serves hosts.list and stops cleanly', async () => {
  const pids = await waitFor('pnpm start to print its PIDs', () => /running at (\S+) \(PIDs: pnpm start (\d+), web server (\d+), agent (\d+)\)/.exec(output) ?? undefined, 150_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${output}`);
  });
  const [, url, launcher, server, agent] = pids;
  expect(url).toBe(`http://127.0.0.1:${port}`);
  expect(output).toContain(`database ${dir.path}/data/koko.db`);

  const hosts = await waitFor('the local host to be online', async () => {
    const response = await fetch(`${url}/api/trpc/hosts.list`);
    const body = (await response.json()) as { result: { data: { name: string; status: string; agentUrl: string }[] } };
    return body.result.data[0]?.status === 'online' ? body.result.data : undefined;
  });
  expect(hosts).toHaveLength(1);
  expect(hosts[0]!.agentUrl).toBe(`unix:${dir.path}/data/agent.sock`);

  // A change through HTTP is attributed to the x-koko-user header.
  const created = await fetch(`${url}/api/trpc/labs.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-koko-user': encodeURIComponent('Zoë') },
    body: JSON.stringify({ name: 'kct smoke' }),
  });
  expect(created.status).toBe(200);
  const history = (await (await fetch(`${url}/api/trpc/history.list?input=${encodeURIComponent(JSON.stringify({ action: 'lab.create' }))}`)).json()) as {
    result: { data: { actor: { name: string } }[] };
  };
  expect(history.result.data[0]!.actor.name).toBe('Zoë');

  // The same name as raw UTF-8 bytes, as curl sends what a terminal types.
  const raw = await fetch(`${url}/api/trpc/labs.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-koko-user': Buffer.from('Zoë', 'utf8').toString('latin1') },
    body: JSON.stringify({ name: 'kct raw name' }),
  });
  expect(raw.status).toBe(200);
  const latest = (await (await fetch(`${url}/api/trpc/history.list?input=${encodeURIComponent(JSON.stringify({ action: 'lab.create', limit: 1 }))}`)).json()) as {
    result: { data: { actor: { name: string } }[] };
  };
  expect(latest.result.data[0]!.actor.name).toBe('Zoë');

  const invalid = await fetch(`${url}/api/trpc/labs.create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '' }) });
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain('lab name is empty');

  const malformed = await fetch(`${url}/api/trpc/labs.create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
  expect(malformed.status).toBe(400);

  // A second start on the same port stops before it starts anything.
  const second = spawnSync('pnpm', ['-s', 'start'], { cwd: REPOSITORY, encoding: 'utf8', env: { ...process.env, KOKO_DATA_DIR: `${dir.path}/second`, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '' } });
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is in use, perhaps by another pnpm start; stop that, or set PORT to a free port`);
  expect(existsSync(`${dir.path}/second`)).toBe(false);

  // A second start on the same data directory finds its agent socket taken.
  const sameData = spawnSync('pnpm', ['-s', 'start'], { cwd: REPOSITORY, encoding: 'utf8', env: { ...process.env, KOKO_DATA_DIR: `${dir.path}/data`, PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_URL: '' } });
  expect(sameData.status).toBe(1);
  expect(sameData.stderr).toContain(`Another pnpm start may use the data directory ${dir.path}/data; stop it, or set KOKO_DATA_DIR to another directory.`);
  expect((await fetch(`${url}/api/trpc/hosts.list`)).status).toBe(200);

  const stream = await fetch(`${url}/api/trpc/changes`, { headers: { accept: 'text/event-stream' } });
  expect(stream.headers.get('content-type')).toContain('text/event-stream');
  const reader = stream.body!.getReader();
  let received = '';
  while (!received.includes('"type":"ready"')) {
    const chunk = await reader.read();
    if (chunk.done) break;
    received += new TextDecoder().decode(chunk.value);
  }
  await reader.cancel();
  expect(received).toContain('"type":"ready"');

  process.kill(Number(launcher), 'SIGTERM');
  expect(await exited).toBe(0);
  expect(running(Number(server))).toBe(false);
  expect(running(Number(agent))).toBe(false);
  expect(output).toContain('koko: stopped');
  expect(existsSync(`${dir.path}/data/agent.sock`)).toBe(false);
  // A clean close folds the write-ahead log back into the database file.
  expect(existsSync(`${dir.path}/data/koko.db-wal`)).toBe(false);
});
