/**
 * Benchmarks cross-host links through the controller, as root: 10 simulated hosts (HostLab) with
 * 20 named netns each, and 200 vxlan pairs between them created with one links.connectMany
 * request over HTTP. The floor is hand-written `ip -batch` input doing the same kernel work. Per
 * host, one batch makes its 40 vxlan ends (with MTU, group and VNI), then one batch per node tags
 * them, brings them up and adds their addresses. One shell per host runs them, and the hosts run
 * side by side, as the agents do.
 * Deleting is measured too: labs.delete against `ip link del group` in every node.
 * Run with `pnpm bench` (turbo) or `pnpm --filter @koko/web bench`. Prints a Markdown table.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostLab, median, mustRun, run, timed, type LabState } from '@koko/testkit';
import { createTRPCClient, httpLink } from '@trpc/client';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { pino } from 'pino';
import { Controller } from '../src/server/controller';
import { type ControllerRouter, controllerRouter } from '../src/server/router';

const HOSTS = 10;
const NODES_PER_HOST = 20;
const LINKS = 200;
const ROUNDS = 3;
/** The MTU the controller gives a vxlan over the lab's 1500-byte underlay. */
const VXLAN_MTU = 1450;
const VXLAN_PORT = 4789;
/** Interface group of the floor's interfaces, so one `ip link del group` per node removes them. */
const FLOOR_GROUP = 4712;

interface PlannedLink {
  index: number;
  /** Lab host numbers (1-based) and node names of the two ends. */
  a: { host: number; node: string; ifname: string; address: string };
  b: { host: number; node: string; ifname: string; address: string };
}



/**
 * Plans LINKS links so that every host has 40 ends and every node two: link m joins node
 * n(q+1) of host a to node n(q+1) of host b, where q = m / HOSTS (rounded down), a = m mod HOSTS
 * and b is a shifted by 1 + (q mod (HOSTS - 1)), which is never a itself.
 */
function planLinks(): PlannedLink[] {
  return Array.from({ length: LINKS }, (_, index) => {
    const round = Math.floor(index / HOSTS);
    const hostA = index % HOSTS;
    const hostB = (hostA + 1 + (round % (HOSTS - 1))) % HOSTS;
    const subnet = `10.${70 + Math.floor(index / 64)}.0.${(index % 64) * 4}`.split('.');
    const address = (last: number) => `${subnet.slice(0, 3).join('.')}.${Number(subnet[3]) + last}/30`;
    return {
      index,
      a: { host: hostA + 1, node: `n${round + 1}`, ifname: `vx${index}a`, address: address(1) },
      b: { host: hostB + 1, node: `n${round + 1}`, ifname: `vx${index}b`, address: address(2) },
    };
  });
}

/** Returns a shell here-document that feeds `lines` to `command`. */
function batchOf(command: string, lines: string[]): string {
  return `${command} <<'EOF'\n${lines.join('\n')}\nEOF`;
}

/**
 * Runs the floor: per host one `sh` that runs one batch making the host's vxlan ends, then one
 * batch per node finishing them. A shell per host keeps Node's process spawning out of the floor.
 */
async function runFloor(lab: LabState, links: PlannedLink[]): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (host) => {
      const create: string[] = [];
      const perNode = new Map<string, string[]>();
      for (const link of links) {
        for (const [end, other] of [
          [link.a, link.b],
          [link.b, link.a],
        ] as const) {
          if (end.host !== host.index) continue;
          const remote = lab.hosts[other.host - 1]!.address;
          create.push(
            `link add ${end.ifname} netns ${join(host.netnsDir, end.node)} mtu ${VXLAN_MTU} group ${FLOOR_GROUP} type vxlan id ${link.index + 1} remote ${remote} dstport ${VXLAN_PORT} dev under0`,
          );
          perNode.set(end.node, [
            ...(perNode.get(end.node) ?? []),
            `link set dev ${end.ifname} alias koko:bench${link.index}`,
            `link set dev ${end.ifname} up`,
            `address add ${end.address} dev ${end.ifname}`,
          ]);
        }
      }
      const script = [
        'set -e',
        batchOf(`ip -n ${host.name} -batch -`, create),
        ...[...perNode].map(([node, lines]) => batchOf(`nsenter --net=${join(host.netnsDir, node)} ip -batch -`, lines)),
      ];
      await mustRun(['sh', '-c', script.join('\n')]);
    }),
  );
}

/** Deletes every interface of `group` in every node: one `ip link del group` per node, one shell per host. */
async function deleteGroup(lab: LabState, group: number): Promise<void> {
  await Promise.all(
    lab.hosts.map((host) => {
      const script = ['set -e', ...host.nodes.map((node) => `nsenter --net=${join(host.netnsDir, node)} ip link del group ${group}`)];
      return mustRun(['sh', '-c', script.join('\n')]);
    }),
  );
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark creates network namespaces; run it as root');
  const work = mkdtempSync(join(tmpdir(), 'kmh-bench-'));
  const lab = new HostLab({ prefix: `kmhb${randomBytes(2).toString('hex')}`, dir: join(work, 'lab') });
  let controller: Controller | undefined;
  let server: ReturnType<typeof createHTTPServer> | undefined;

  try {
    const setup = await timed(() => lab.up(HOSTS, { nodes: NODES_PER_HOST }));
    const state = lab.requireState();
    // The controller neither follows the agents' change streams nor polls during the rounds: each
    // change of the floor would otherwise make it read all ten inventories while the floor runs.
    controller = await Controller.open({ databaseUrl: `file:${join(work, 'koko.db')}`, followChanges: false, pollIntervalMs: 3_600_000, logger: pino({ level: 'silent' }) });
    const served = controller;
    server = createHTTPServer({ router: controllerRouter, basePath: '/api/trpc/', createContext: () => ({ actor: 'bench', controller: served }) });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
    const client = createTRPCClient<ControllerRouter>({ links: [httpLink({ url })] });

    const hostIds = new Map<number, string>();
    for (const host of state.hosts) {
      hostIds.set(host.index, (await client.hosts.add.mutate({ name: host.name, agent: { socketPath: host.socketPath }, token: lab.token(host.index) })).id);
    }
    const topology = await client.topology.get.query({});
    const nodeId = (host: number, node: string) => topology.hosts.find((entry) => entry.id === hostIds.get(host))!.nodes.find((entry) => entry.kind === 'netns' && entry.name === node)!.id;
    const links = planLinks();
    const request = links.map((link) => ({
      a: { nodeId: nodeId(link.a.host, link.a.node), ifname: link.a.ifname, addresses: [link.a.address] },
      b: { nodeId: nodeId(link.b.host, link.b.node), ifname: link.b.ifname, addresses: [link.b.address] },
    }));

    const floorCreate: number[] = [];
    const floorDelete: number[] = [];
    const apiCreate: number[] = [];
    const apiDelete: number[] = [];
    const slowestAgent: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      floorCreate.push(await timed(() => runFloor(state, links)));
      const crossing = await run(['nsenter', `--net=${join(state.hosts[0]!.netnsDir, 'n1')}`, 'ping', '-c', '1', '-W', '2', links[0]!.b.address.split('/')[0]!]);
      if (crossing.exitCode !== 0) throw new Error(`the floor's first link carries no ping: ${crossing.stdout}`);
      floorDelete.push(await timed(() => deleteGroup(state, FLOOR_GROUP)));

      const benchLab = await client.labs.create.mutate({ name: `bench ${round}` });
      let made: Awaited<ReturnType<typeof client.links.connectMany.mutate>> = [];
      apiCreate.push(await timed(async () => (made = await client.links.connectMany.mutate({ labId: benchLab.id, links: request }))));
      const notUp = made.filter((link) => link.status !== 'up');
      if (notUp.length > 0) throw new Error(`${notUp.length} link(s) are not up, such as ${notUp[0]!.id}: ${notUp[0]!.lastError}`);
      const calls = await client.history.list.query({ labId: benchLab.id, action: 'agent.call', limit: 50 });
      const details = await Promise.all(calls.map((entry) => client.history.get.query({ id: entry.id })));
      slowestAgent.push(Math.max(...details.map((entry) => (entry.after as { durationMs?: number } | null)?.durationMs ?? 0)));
      apiDelete.push(await timed(() => client.labs.delete.mutate({ id: benchLab.id })));
    }

    const load = loadavg()[0]!.toFixed(1);
    const rows = [
      [`${LINKS} vxlan pairs on ${HOSTS} hosts × ${NODES_PER_HOST} netns, create`, median(floorCreate), median(apiCreate)],
      [`the same ${LINKS} pairs, delete`, median(floorDelete), median(apiDelete)],
    ] as const;
    process.stdout.write(`\nMulti-host benchmark: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, kernel ${release()}, Node ${process.version}, load average ${load}; lab setup ${Math.round(setup)} ms; medians of ${ROUNDS} rounds\n\n`);
    process.stdout.write('| work | floor (ip -batch) | controller (one request) | ratio |\n|---|---|---|---|\n');
    for (const [work, floor, api] of rows) process.stdout.write(`| ${work} | ${floor.toFixed(0)} ms | ${api.toFixed(0)} ms | ${(api / floor).toFixed(2)}× |\n`);
    process.stdout.write(`\nSlowest agent batch (applyBatch on one host, from the history): median ${median(slowestAgent).toFixed(0)} ms.\n`);
  } finally {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await controller?.close();
    await lab.down();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`multi-host bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
