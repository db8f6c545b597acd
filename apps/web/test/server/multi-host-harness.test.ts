import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HostLab, mustRun, processAlive, run, type LabState, type RunResult } from '@koko/testkit';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/server/controller';
import { controllerRouter } from '../../src/server/router';
import { callerFor, nodeIn, openController, tempDir, waitFor, type Caller } from './helpers';

// Runs the real `pnpm lab:hosts` script, with its own prefix and directory, against a controller
// served over HTTP the way the dashboard serves it, and checks that down leaves nothing behind.

const SCRIPT = fileURLToPath(new URL('../../scripts/lab-hosts.ts', import.meta.url));
const prefix = `kmh${randomBytes(2).toString('hex')}`;
const dir = tempDir('lab-hosts');
const labDir = `${dir.path}/lab`;
let controller: Controller;
let alice: Caller;
let server: ReturnType<typeof createHTTPServer>;
let url: string;

function labHosts(args: string[], dashboard = url): Promise<RunResult> {
  return run([process.execPath, '--import', 'tsx', SCRIPT, ...args, '--prefix', prefix, '--dir', labDir, '--url', dashboard]);
}

async function rootInterfaces(): Promise<string[]> {
  return (await mustRun(['ip', '-o', 'link', 'show'])).split('\n').filter(Boolean).map((line) => line.split(': ')[1]!.split('@')[0]!);
}

async function labNamespaces(): Promise<string[]> {
  return (await mustRun(['ip', 'netns', 'list'])).split('\n').map((line) => line.split(' ')[0]!).filter((name) => name.startsWith(`${prefix}-`));
}

async function labMounts(): Promise<string[]> {
  return (await mustRun(['findmnt', '-rn', '-o', 'TARGET'])).split('\n').filter((target) => target.includes(prefix));
}


/** Names our lab could have put in the machine's own namespace, had it leaked a veth or the bridge there. */
const LAB_INTERFACE = /^(under0|br0|h[0-9]+)$/;

beforeAll(async () => {
  controller = await openController(`${dir.path}/koko.db`);
  alice = callerFor(controller, 'alice');
  server = createHTTPServer({
    router: controllerRouter,
    basePath: '/api/trpc/',
    createContext: ({ req }) => ({ actor: String(req.headers['x-koko-user'] ?? 'anonymous'), controller }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new HostLab({ prefix, dir: labDir }).down().catch(() => undefined);
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await controller?.close();
  dir.remove();
});

describe('pnpm lab:hosts', () => {
  let rootBefore: string[];
  let state: LabState;

  it('up 2 creates and registers hosts', async () => {
    rootBefore = await rootInterfaces();
    const result = await labHosts(['up', '2']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`registered ${prefix}-h1 (underlay 198.18.0.1 on under0)`);
    expect(result.stdout).toContain(`registered ${prefix}-h2 (underlay 198.18.0.2 on under0)`);

    state = JSON.parse(readFileSync(`${labDir}/state.json`, 'utf8')) as LabState;
    expect(state.hosts.map((host) => host.name)).toEqual([`${prefix}-h1`, `${prefix}-h2`]);
    expect(state.hosts.every((host) => host.pid !== null && processAlive(host.pid))).toBe(true);
    expect((await labNamespaces()).sort()).toEqual([`${prefix}-h1`, `${prefix}-h2`, `${prefix}-ul`]);
    expect((await rootInterfaces()).filter((name) => LAB_INTERFACE.test(name) && !rootBefore.includes(name))).toEqual([]);

    const hosts = (await alice.hosts.list()).filter((host) => host.name.startsWith(prefix));
    expect(hosts.map((host) => [host.name, host.status, host.underlay])).toEqual([
      [`${prefix}-h1`, 'online', '198.18.0.1'],
      [`${prefix}-h2`, 'online', '198.18.0.2'],
    ]);
    const history = await alice.history.list({ action: 'host.register' });
    expect(history.map((entry) => entry.actor.name)).toEqual(['pnpm lab:hosts', 'pnpm lab:hosts']);
  });

  it('up again changes nothing', async () => {
    const result = await labHosts(['up', '2']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`lab "${prefix}" is up already`);
    expect(result.stdout).toContain(`${prefix}-h1 is registered and online`);
    expect((JSON.parse(readFileSync(`${labDir}/state.json`, 'utf8')) as LabState).hosts.map((host) => host.pid)).toEqual(state.hosts.map((host) => host.pid));
    expect((await alice.hosts.list()).filter((host) => host.name.startsWith(prefix))).toHaveLength(2);
  });

  it('restarts a stopped agent', async () => {
    const stopped = state.hosts[1]!.pid!;
    process.kill(stopped, 'SIGTERM');
    await waitFor('the agent to exit', () => (processAlive(stopped) ? undefined : true));
    const result = await labHosts(['up', '2']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`started the stopped agent(s) of ${prefix}-h2`);
    state = JSON.parse(readFileSync(`${labDir}/state.json`, 'utf8')) as LabState;
    expect(processAlive(state.hosts[1]!.pid!)).toBe(true);
  });

  it.each([
    [['up', '3'], /a lab of 2 host\(s\) with 2 node\(s\) each is already up/],
    [['up', '0'], /host count 0 is out of range; give a whole number from 1 to 20/],
    [['up', '21'], /host count 21 is out of range/],
    [['up', '2', '--nodes', '500'], /node count 500 is out of range/],
  ])('rejects %j', async (args, message) => {
    const result = await labHosts(args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it.each([
    [['up'], /up needs the number of hosts/],
    [['up', 'three'], /host count "three" is not a whole number/],
    [['sideways'], /unknown command "sideways"/],
    [['down', '--colour'], /unknown option "--colour"/],
  ])('usage error %j', async (args, message) => {
    const result = await labHosts(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('status lists hosts and agents', async () => {
    const result = await labHosts(['status']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${prefix}-h1 {2}198\\.18\\.0\\.1 {2}netns present {2}agent PID ${state.hosts[0]!.pid} {2}dashboard: online {2}nodes: n1 n2`));
  });

  it('down removes links, hosts, namespaces and files', async () => {
    const topology = await alice.topology.get({});
    const [h1, h2] = (await alice.hosts.list()).filter((host) => host.name.startsWith(prefix));
    const link = await alice.links.connect({ a: { nodeId: nodeIn(topology, h1!.id, 'netns', 'n1').id }, b: { nodeId: nodeIn(topology, h2!.id, 'netns', 'n1').id } });
    expect(link.status).toBe('up');

    const result = await labHosts(['down']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('deleted 1 link(s) that used the lab hosts');
    expect(result.stdout).toContain(`removed ${prefix}-h1, ${prefix}-h2 from the dashboard`);

    expect((await alice.hosts.list()).filter((host) => host.name.startsWith(prefix))).toEqual([]);
    expect(await alice.links.list({})).toEqual([]);
    expect(await labNamespaces()).toEqual([]);
    expect(await labMounts()).toEqual([]);
    expect(existsSync(`/run/${prefix}`)).toBe(false);
    expect(existsSync(labDir)).toBe(false);
    expect(state.hosts.map((host) => processAlive(host.pid!))).toEqual([false, false]);
    expect((await rootInterfaces()).filter((name) => LAB_INTERFACE.test(name) && !rootBefore.includes(name))).toEqual([]);
  });

  it('down again finds nothing', async () => {
    const result = await labHosts(['down']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`no lab "${prefix}" was up; nothing to remove`);
    const status = await labHosts(['status']);
    expect(status.stdout).toContain(`no lab "${prefix}" is up`);
  });

  it('without a dashboard, says how to register', async () => {
    const closed = 'http://127.0.0.1:9';
    const result = await labHosts(['up', '1', '--nodes', '0'], closed);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`No dashboard answers at ${closed}, so the hosts are not registered`);
    expect(result.stdout).toContain(`${prefix}-h1: ${labDir}/h1/agent-token`);
    expect(result.stdout).toContain(`"pnpm lab:hosts up 1 --nodes 0 --prefix ${prefix} --dir ${labDir} --url ${closed}" again`);
    expect((await alice.hosts.list()).filter((host) => host.name.startsWith(prefix))).toEqual([]);

    const down = await labHosts(['down'], closed);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain(`no dashboard answers at ${closed}`);
    expect(await labNamespaces()).toEqual([]);
  });

  it('takes the dashboard address from HOST and PORT', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, '--help'], { encoding: 'utf8', env: { ...process.env, HOST: '0.0.0.0', PORT: '3471' } });
    expect(help.stdout).toContain('--url URL       the dashboard to register with (default http://127.0.0.1:3471,');
  });

  it('up refuses leftovers, down removes them', async () => {
    await mustRun(['ip', 'netns', 'add', `${prefix}-h4`]);
    const result = await labHosts(['up', '1']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`an earlier lab "${prefix}" left netns ${prefix}-h4; remove them with: pnpm lab:hosts down --prefix ${prefix}`);
    const status = await labHosts(['status']);
    expect(status.exitCode).toBe(1);

    expect((await labHosts(['down'])).exitCode).toBe(0);
    expect(await labNamespaces()).toEqual([]);
  });
});
