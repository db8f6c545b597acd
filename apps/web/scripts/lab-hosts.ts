// pnpm lab:hosts: simulated hosts for demos and tests. `up N` creates N hosts as network
// namespaces on one underlay bridge, starts an agent in each and registers them with the running
// dashboard; `down` removes them again; `status` shows them. The work is done by HostLab in
// @koko/testkit, which the tests use too.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostLab, LAB_SUBNET, LAB_UNDERLAY_INTERFACE, LabError, MAX_LAB_HOSTS, MAX_LAB_NODES, type LabState } from '@koko/testkit';
import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from '@trpc/client';
import type { ControllerRouter } from '../src/server/router';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_PREFIX = 'kokolab';
/** The dashboard `pnpm start` serves with the same HOST and PORT variables; a wildcard HOST is reached through loopback. */
const DEFAULT_URL = dashboardUrlFromEnvironment(process.env.HOST, process.env.PORT);

function dashboardUrlFromEnvironment(host: string | undefined, port: string | undefined): string {
  const reachable = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port || '3000'}`;
}
/** Display name of this script in the dashboard's history. */
const ACTOR = 'pnpm lab:hosts';
/** How long the dashboard may take to respond to the health check, in milliseconds. */
const HEALTH_TIMEOUT_MS = 3000;

const HELP = `pnpm lab:hosts: simulated hosts (network namespaces with one agent each) on this machine

Usage:
  pnpm lab:hosts up N [--nodes M] [--docker] [--url URL]   create N hosts (1-${MAX_LAB_HOSTS}) and register them
  pnpm lab:hosts down [--url URL]                          remove the hosts, their links in the dashboard, and the namespaces
  pnpm lab:hosts status [--url URL]                        show the hosts, their agents and their dashboard status

Options:
  --nodes M       named network namespaces per host, n1 to nM (0-${MAX_LAB_NODES}, default 2)
  --docker        host 1 also sees this machine's Docker containers (the other hosts never do)
  --url URL       the dashboard to register with (default ${DEFAULT_URL}, from HOST and PORT as pnpm start uses them)
  --prefix NAME   name prefix of the namespaces and hosts (default ${DEFAULT_PREFIX}), to run a second lab
  --dir DIR       where agent sockets, tokens, logs and the state file go (default <KOKO_DATA_DIR or ./data>/lab)

Host N is the network namespace ${DEFAULT_PREFIX}-hN with ${LAB_UNDERLAY_INTERFACE} at 198.18.0.N/24 and 2001:2::N/64, joined to
the others by the bridge br0 in the namespace ${DEFAULT_PREFIX}-ul. Its nodes are mounted under /run/${DEFAULT_PREFIX}/hN/;
run a command in one with: nsenter --net=/run/${DEFAULT_PREFIX}/h1/n1 ip address
Run it as root: it creates network namespaces and mounts.
`;

type Command = 'up' | 'down' | 'status';

interface Settings {
  command: Command;
  count: number;
  nodes: number;
  docker: boolean;
  url: string;
  prefix: string;
  dir: string;
}

type Client = TRPCClient<ControllerRouter>;

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** An error in the command line, printed with a pointer to --help; exit status 2. */
class UsageError extends Error {}

function wholeNumber(text: string | undefined, what: string): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new UsageError(`${what} ${JSON.stringify(text ?? '')} is not a whole number`);
  return Number(text);
}

function readSettings(args: string[]): Settings | undefined {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) return undefined;
  const [command, ...rest] = args;
  if (command !== 'up' && command !== 'down' && command !== 'status') throw new UsageError(`unknown command ${JSON.stringify(command)}; use up, down or status`);

  const settings: Settings = {
    command,
    count: 0,
    nodes: 2,
    docker: false,
    url: DEFAULT_URL,
    prefix: DEFAULT_PREFIX,
    dir: join(resolve(process.env.KOKO_DATA_DIR || join(REPOSITORY, 'data')), 'lab'),
  };
  const positional: string[] = [];
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index]!;
    const value = () => {
      const next = rest[++index];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--nodes') settings.nodes = wholeNumber(value(), '--nodes');
    else if (arg === '--docker') settings.docker = true;
    else if (arg === '--url') settings.url = value().replace(/\/+$/, '');
    else if (arg === '--prefix') settings.prefix = value();
    else if (arg === '--dir') settings.dir = resolve(value());
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    else positional.push(arg);
  }

  if (command === 'up') {
    if (positional.length !== 1) throw new UsageError('up needs the number of hosts, such as: pnpm lab:hosts up 3');
    settings.count = wholeNumber(positional[0], 'host count');
  } else if (positional.length > 0) {
    throw new UsageError(`${command} takes no arguments, but got ${positional.join(' ')}`);
  }
  if (!/^https?:\/\/[^/]+/.test(settings.url)) throw new UsageError(`--url ${JSON.stringify(settings.url)} is invalid; give one such as ${DEFAULT_URL}`);
  return settings;
}

/** Returns a client of the dashboard at `url`, or undefined when nothing responds there. */
async function dashboardAt(url: string): Promise<Client | undefined> {
  const client = createTRPCClient<ControllerRouter>({ links: [httpLink({ url: `${url}/api/trpc`, headers: { 'x-koko-user': ACTOR } })] });
  try {
    await client.health.query(undefined, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    return client;
  } catch (error) {
    if (error instanceof TRPCClientError && error.data !== undefined) {
      throw new LabError(`something responds at ${url}, but it is not the koko dashboard (${error.message}); check --url`);
    }
    return undefined;
  }
}

const agentUrlOf = (socketPath: string) => `unix:${socketPath}`;

/**
 * Registers every lab host with the dashboard. A host of the same name and socket that is not
 * online (from an earlier lab, whose agent had another token) gets the new token.
 */
async function registerHosts(client: Client, state: LabState): Promise<void> {
  const registered = await client.hosts.list.query();
  for (const host of state.hosts) {
    const token = readFileSync(host.tokenFile, 'utf8').trim();
    const agent = { socketPath: host.socketPath };
    const existing = registered.find((entry) => entry.name === host.name);
    if (!existing) {
      const added = await client.hosts.add.mutate({ name: host.name, agent, token });
      say(`  registered ${host.name} (underlay ${added.underlay ?? 'none'} on ${added.underlayInterface ?? '-'})`);
    } else if (existing.agentUrl !== agentUrlOf(host.socketPath)) {
      throw new LabError(`the dashboard already has a host named ${host.name} at ${existing.agentUrl}; remove it on the Hosts page, or use another --prefix`);
    } else if (existing.status !== 'online') {
      await client.hosts.update.mutate({ id: existing.id, agent, token });
      say(`  ${host.name} was registered already; gave it the agent's current token`);
    } else {
      say(`  ${host.name} is registered and online`);
    }
  }
}

/** Deletes the dashboard's links that use a lab host, then the hosts. Links a host cannot remove any more are deleted with force. */
async function unregisterHosts(client: Client, state: LabState): Promise<void> {
  const sockets = new Set(state.hosts.map((host) => agentUrlOf(host.socketPath)));
  const hosts = (await client.hosts.list.query()).filter((host) => sockets.has(host.agentUrl));
  const hostIds = new Set(hosts.map((host) => host.id));
  const links = (await client.links.list.query({})).filter((link) => link.endpoints.some((end) => hostIds.has(end.hostId)));
  for (const link of links) {
    try {
      await client.links.delete.mutate({ id: link.id });
    } catch {
      await client.links.delete.mutate({ id: link.id, force: true });
    }
  }
  if (links.length > 0) say(`deleted ${links.length} link(s) that used the lab hosts`);
  for (const host of hosts) await client.hosts.remove.mutate({ id: host.id });
  if (hosts.length > 0) say(`removed ${hosts.map((host) => host.name).join(', ')} from the dashboard`);
}

function printHosts(state: LabState): void {
  for (const host of state.hosts) {
    const nodes = host.nodes.length > 0 ? host.nodes.join(' ') : 'none';
    say(`  ${host.name}  ${host.address}  agent PID ${host.pid ?? '-'}  unix:${host.socketPath}  nodes: ${nodes}${host.docker ? ' + Docker containers' : ''}`);
  }
}

/** Quotes `word` for a POSIX shell when it contains anything but safe characters, to print a command to run again. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

async function up(lab: HostLab, settings: Settings): Promise<void> {
  const result = await lab.up(settings.count, { nodes: settings.nodes, docker: settings.docker });
  if (result.created) say(`lab "${lab.prefix}": ${settings.count} simulated host(s) up on bridge br0 in netns ${lab.underlayNetns} (${LAB_SUBNET})`);
  else if (result.restartedAgents.length > 0) say(`lab "${lab.prefix}" was up; started the stopped agent(s) of ${result.restartedAgents.join(', ')}`);
  else say(`lab "${lab.prefix}" is up already`);
  printHosts(result.state);

  const client = await dashboardAt(settings.url);
  if (!client) {
    say(`\nNo dashboard answers at ${settings.url}, so the hosts are not registered. Start it (pnpm start) and run`);
    say(`"pnpm lab:hosts ${process.argv.slice(2).map(shellWord).join(' ')}" again, or add each host on the Hosts page with its agent socket and the token in:`);
    for (const host of result.state.hosts) say(`  ${host.name}: ${host.tokenFile}`);
    return;
  }
  say(`dashboard at ${settings.url}:`);
  await registerHosts(client, result.state);
  const first = result.state.hosts[0];
  say(`\nOpen ${settings.url} and drag from a node of one host to a node of another to make a vxlan pair.`);
  if (first && first.nodes.length > 0) say(`Ping from a node with: nsenter --net=${lab.nodePath(first.index, first.nodes[0]!)} ping ADDRESS`);
}

async function down(lab: HostLab, settings: Settings): Promise<void> {
  const state = lab.readState();
  if (state) {
    const client = await dashboardAt(settings.url);
    if (client) await unregisterHosts(client, state);
    else say(`no dashboard answers at ${settings.url}; the hosts stay registered there (offline) until you remove them, or the next up takes them over`);
  }
  const result = await lab.down();
  if (!result.found) {
    say(`no lab "${lab.prefix}" was up; nothing to remove`);
    return;
  }
  say(`stopped ${result.stoppedAgents.length} agent(s); deleted ${result.deletedNetns.length} namespace(s): ${result.deletedNetns.join(' ') || 'none'}`);
}

async function status(lab: HostLab, settings: Settings): Promise<void> {
  if (!lab.readState()) {
    const leftovers = await lab.leftovers();
    if (leftovers.length === 0) {
      say(`no lab "${lab.prefix}" is up; create one with: pnpm lab:hosts up 3`);
      return;
    }
    throw new LabError(`no lab "${lab.prefix}" is up, but these are left: ${leftovers.join(', ')}; remove them with: pnpm lab:hosts down`);
  }
  const hosts = await lab.status();
  const client = await dashboardAt(settings.url);
  const registered = client ? await client.hosts.list.query() : [];
  say(`lab "${lab.prefix}" under ${lab.dir}; dashboard ${client ? `at ${settings.url}` : `not answering at ${settings.url}`}`);
  for (const { host, netnsExists, agentRunning } of hosts) {
    const entry = registered.find((item) => item.agentUrl === agentUrlOf(host.socketPath));
    let dashboard = '-';
    if (client) dashboard = entry ? entry.status : 'not registered';
    const agent = agentRunning ? `agent PID ${host.pid}` : 'agent stopped';
    say(`  ${host.name}  ${host.address}  netns ${netnsExists ? 'present' : 'missing'}  ${agent}  dashboard: ${dashboard}  nodes: ${host.nodes.join(' ') || 'none'}`);
  }
}

async function main(): Promise<number> {
  let settings: Settings | undefined;
  try {
    settings = readSettings(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`lab:hosts: ${error.message}; run pnpm lab:hosts --help\n`);
    return 2;
  }
  if (!settings) {
    process.stdout.write(HELP);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('lab:hosts: creating network namespaces and mounts needs root; run: sudo pnpm lab:hosts ...\n');
    return 2;
  }

  try {
    const lab = new HostLab({ prefix: settings.prefix, dir: settings.dir });
    if (settings.command === 'up') await up(lab, settings);
    else if (settings.command === 'down') await down(lab, settings);
    else await status(lab, settings);
    return 0;
  } catch (error) {
    const known = error instanceof LabError || error instanceof TRPCClientError;
    process.stderr.write(`lab:hosts: ${known ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

// A reader that stops early, such as `| head`, must not stop the command halfway through up or down.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main();
