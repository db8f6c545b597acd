import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, run, type RunResult } from './lab';
import { processAlive } from './process';

// A lab of simulated hosts on one machine. Each host is a network namespace `<prefix>-hN` with
// one agent in it. All hosts hang off one underlay: a Linux bridge br0 in the namespace
// `<prefix>-ul`, with one veth per host (`hN` on the bridge, `under0` in the host). Each host gets
// 198.18.0.N/24 and 2001:2::N/64 on under0, addresses from the benchmarking ranges (RFC 2544,
// RFC 5180) that exist only inside these namespaces.
//
// Each host has its own named namespaces (its nodes). They are mounted under /run/<prefix>/hN/
// rather than /run/netns, and each agent runs with that directory mounted over /run/netns in a
// mount namespace of its own, so every agent lists only the nodes of its host, as on separate
// machines. Nothing is created in the machine's own namespace: every veth is made with both ends
// already in lab namespaces.

/** Repository root, the working directory of the agents so that `node --import tsx` resolves. */
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
/** The agent's TypeScript entry point. */
const AGENT_ENTRY = join(REPOSITORY, 'apps/agent/src/main.ts');

/** Maximum hosts in one lab. Each agent is a Node process of 90 to 140 MB (resident, measured), and 20 of them is already a large demo. */
export const MAX_LAB_HOSTS = 20;
/** Maximum nodes per host, so that a typo such as `--nodes 2000` does not start a long setup. */
export const MAX_LAB_NODES = 100;
/** Underlay subnet of a lab: host N has address .N. */
export const LAB_SUBNET = '198.18.0.0/24';
/** IPv6 underlay subnet of a lab: host N has address 2001:2::N. */
export const LAB_SUBNET6 = '2001:2::/64';
/** Name of each host's underlay interface, the parent of its vxlan ends. */
export const LAB_UNDERLAY_INTERFACE = 'under0';
/** How long an agent may take to listen: tsx compiles its sources first, slowly when ten agents start at once on two cores. */
const AGENT_START_TIMEOUT_MS = 120_000;
/** How long a stopping agent may take before it gets SIGKILL. */
const AGENT_STOP_TIMEOUT_MS = 10_000;
const STATE_FILE = 'state.json';
/** Lab prefixes: a letter, then letters and digits, short enough to read in `ip netns list`. */
const PREFIX = /^[a-z][a-z0-9]{0,19}$/;

/** An error of the lab itself (bad count, a leftover lab), which the command prints without a stack. */
export class LabError extends Error {
  override readonly name = 'LabError';
}

export interface LabHost {
  /** 1-based number of the host. */
  index: number;
  /** Host name, which is also the name of its network namespace: `<prefix>-hN`. */
  name: string;
  address: string;
  address6: string;
  /** Directory whose entries are the host's named namespaces, mounted over /run/netns for its agent. */
  netnsDir: string;
  /** Names of the host's nodes, each a named netns in `netnsDir`. */
  nodes: string[];
  /** Agent state directory: socket, token file, host id and log. */
  stateDir: string;
  socketPath: string;
  tokenFile: string;
  logFile: string;
  /** PID of the running agent, or null while it is stopped. */
  pid: number | null;
  /** Whether the agent reaches the machine's Docker engine. */
  docker: boolean;
}

export interface LabState {
  prefix: string;
  createdAt: string;
  underlayNetns: string;
  hosts: LabHost[];
}

export interface LabHostStatus {
  host: LabHost;
  netnsExists: boolean;
  agentRunning: boolean;
}

export interface UpOptions {
  /** Named namespaces per host, `n1` to `nM`. */
  nodes?: number;
  /** Let host 1 see the machine's Docker containers; the other hosts never do. */
  docker?: boolean;
}

export interface UpResult {
  state: LabState;
  /** False when the same lab was up already; agents that had stopped were started again. */
  created: boolean;
  restartedAgents: string[];
}

export interface DownResult {
  stoppedAgents: number[];
  deletedNetns: string[];
  /** Whether anything was there to remove. */
  found: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Returns whether `pid` is a koko agent, with state directory `stateDir` when given, so a reused PID is never signalled. */
function isAgentProcess(pid: number, stateDir?: string): boolean {
  const argv = commandLineOf(pid);
  if (!argv.includes(AGENT_ENTRY)) return false;
  if (stateDir === undefined) return true;
  const index = argv.indexOf('--state-dir');
  return index >= 0 && argv[index + 1] === stateDir;
}

/** Sends SIGTERM (or `signal`) to an agent and waits until it is gone; SIGKILL after AGENT_STOP_TIMEOUT_MS. */
async function stopProcess(pid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + AGENT_STOP_TIMEOUT_MS;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(100);
      return;
    }
    await sleep(50);
  }
}

async function listNetns(): Promise<string[]> {
  const output = await mustRun(['ip', 'netns', 'list']);
  return output
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name !== '');
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await run(['mountpoint', '-q', path])).exitCode === 0;
}

/** Lists the mount points at or below `path`. */
async function mountsUnder(path: string): Promise<string[]> {
  const result = await run(['findmnt', '-rn', '-o', 'TARGET']);
  return result.stdout.split('\n').filter((target) => target === path || target.startsWith(`${path}/`));
}

/**
 * A lab of simulated hosts: creates them, starts and stops their agents, and removes them. Its
 * state (hosts, addresses, agent PIDs) lives in `<dir>/state.json`, so a later process can stop
 * what an earlier one started.
 */
export class HostLab {
  readonly prefix: string;
  readonly dir: string;
  /** Directory of every host's named namespaces: /run/<prefix>. */
  readonly netnsRoot: string;
  readonly underlayNetns: string;

  constructor(options: { prefix: string; dir: string }) {
    if (!PREFIX.test(options.prefix)) {
      throw new LabError(`lab prefix ${JSON.stringify(options.prefix)} is invalid; use a lowercase letter followed by up to 19 lowercase letters or digits`);
    }
    this.prefix = options.prefix;
    this.dir = options.dir;
    this.netnsRoot = `/run/${options.prefix}`;
    this.underlayNetns = `${options.prefix}-ul`;
  }

  hostName(index: number): string {
    return `${this.prefix}-h${index}`;
  }

  readState(): LabState | undefined {
    const file = join(this.dir, STATE_FILE);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LabState;
    } catch (error) {
      throw new LabError(`the lab state file ${file} is unreadable (${(error as Error).message}); run down to remove the lab, which also works without it`);
    }
  }

  #writeState(state: LabState): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, STATE_FILE);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Returns the state of a lab that is up, or throws a LabError with the command that creates one. */
  requireState(): LabState {
    const state = this.readState();
    if (!state) throw new LabError(`no lab is up under ${this.dir}; create one with: pnpm lab:hosts up N`);
    return state;
  }

  /** Lists what an earlier lab with this prefix left behind: namespaces, the mount of node namespaces, agent directories. */
  async leftovers(): Promise<string[]> {
    const pattern = new RegExp(`^${this.prefix}-(ul|h[0-9]+)$`);
    const found = (await listNetns()).filter((name) => pattern.test(name)).map((name) => `netns ${name}`);
    if (existsSync(this.netnsRoot)) found.push(`directory ${this.netnsRoot}`);
    if (existsSync(this.dir)) found.push(...this.#hostDirs().map((name) => `directory ${join(this.dir, name)}`));
    return found;
  }

  #hostDirs(): string[] {
    try {
      return readdirSync(this.dir).filter((name) => /^h[0-9]+$/.test(name));
    } catch {
      return [];
    }
  }

  /**
   * Brings up `count` hosts with `options.nodes` nodes each and an agent in every host. When the
   * same lab is up already, it only starts agents that stopped. A lab of another size, or
   * leftovers without a state file, raise a LabError that asks to run down first.
   */
  async up(count: number, options: UpOptions = {}): Promise<UpResult> {
    const nodes = options.nodes ?? 2;
    if (!Number.isInteger(count) || count < 1 || count > MAX_LAB_HOSTS) {
      throw new LabError(`host count ${count} is out of range; give a whole number from 1 to ${MAX_LAB_HOSTS}`);
    }
    if (!Number.isInteger(nodes) || nodes < 0 || nodes > MAX_LAB_NODES) {
      throw new LabError(`node count ${nodes} is out of range; give a whole number from 0 to ${MAX_LAB_NODES} nodes per host`);
    }

    const existing = this.readState();
    if (existing) return this.#resume(existing, count, nodes, options.docker ?? false);
    const leftovers = await this.leftovers();
    if (leftovers.length > 0) {
      throw new LabError(`an earlier lab "${this.prefix}" left ${leftovers.join(', ')}; remove them with: pnpm lab:hosts down${this.prefix === 'kokolab' ? '' : ` --prefix ${this.prefix}`}`);
    }

    const state: LabState = { prefix: this.prefix, createdAt: new Date().toISOString(), underlayNetns: this.underlayNetns, hosts: [] };
    for (let index = 1; index <= count; index++) state.hosts.push(this.#describeHost(index, nodes, options.docker === true && index === 1));
    this.#writeState(state);
    try {
      await this.#createUnderlay(state);
      for (const host of state.hosts) await this.#createNodes(host);
      await Promise.all(state.hosts.map((host) => this.startAgent(host.index)));
    } catch (error) {
      await this.down().catch(() => undefined);
      throw error;
    }
    return { state: this.requireState(), created: true, restartedAgents: [] };
  }

  async #resume(state: LabState, count: number, nodes: number, docker: boolean): Promise<UpResult> {
    const sameShape = state.hosts.length === count && state.hosts.every((host) => host.nodes.length === nodes && host.docker === (docker && host.index === 1));
    if (!sameShape) {
      const shape = `${state.hosts.length} host(s) with ${state.hosts[0]?.nodes.length ?? 0} node(s) each${state.hosts[0]?.docker ? ', Docker on host 1' : ''}`;
      throw new LabError(`a lab of ${shape} is already up under ${this.dir}; run pnpm lab:hosts down first, then up again`);
    }
    const present = new Set(await listNetns());
    const missing = state.hosts.filter((host) => !present.has(host.name)).map((host) => host.name);
    if (missing.length > 0) throw new LabError(`host namespace(s) ${missing.join(', ')} of the lab are gone; run pnpm lab:hosts down, then up again`);

    const restarted: string[] = [];
    for (const host of state.hosts) {
      if (host.pid !== null && processAlive(host.pid) && isAgentProcess(host.pid, host.stateDir)) continue;
      await this.startAgent(host.index);
      restarted.push(host.name);
    }
    return { state: this.requireState(), created: false, restartedAgents: restarted };
  }

  #describeHost(index: number, nodes: number, docker: boolean): LabHost {
    const stateDir = join(this.dir, `h${index}`);
    return {
      index,
      name: this.hostName(index),
      address: `198.18.0.${index}`,
      address6: `2001:2::${index}`,
      netnsDir: join(this.netnsRoot, `h${index}`),
      nodes: Array.from({ length: nodes }, (_, node) => `n${node + 1}`),
      stateDir,
      socketPath: join(stateDir, 'agent.sock'),
      tokenFile: join(stateDir, 'agent-token'),
      logFile: join(stateDir, 'agent.log'),
      pid: null,
      docker,
    };
  }

  /** Creates the underlay bridge and one host namespace per host, each with its veth on the bridge. */
  async #createUnderlay(state: LabState): Promise<void> {
    await mustRun(['ip', 'netns', 'add', this.underlayNetns]);
    const underlayLines = ['link set lo up', 'link add br0 type bridge', 'link set br0 up'];
    for (const host of state.hosts) {
      await mustRun(['ip', 'netns', 'add', host.name]);
      underlayLines.push(`link add h${host.index} type veth peer name ${LAB_UNDERLAY_INTERFACE} netns ${host.name}`, `link set h${host.index} master br0 up`);
    }
    await mustRun(['ip', '-n', this.underlayNetns, '-batch', '-'], `${underlayLines.join('\n')}\n`);

    for (const host of state.hosts) {
      const lines = [
        'link set lo up',
        `address add ${host.address}/24 dev ${LAB_UNDERLAY_INTERFACE}`,
        // nodad: the address is usable at once, not after duplicate address detection.
        `address add ${host.address6}/64 dev ${LAB_UNDERLAY_INTERFACE} nodad`,
        `link set ${LAB_UNDERLAY_INTERFACE} up`,
      ];
      await mustRun(['ip', '-n', host.name, '-batch', '-'], `${lines.join('\n')}\n`);
    }
  }

  /**
   * Creates a host's nodes as namespaces mounted in its directory under /run/<prefix>. That
   * directory tree is a shared mount, so a node added or deleted later also shows in the mount
   * namespace of the running agent.
   */
  async #createNodes(host: LabHost): Promise<void> {
    if (!(await isMountPoint(this.netnsRoot))) {
      mkdirSync(this.netnsRoot, { recursive: true, mode: 0o755 });
      await mustRun(['mount', '--bind', this.netnsRoot, this.netnsRoot]);
      await mustRun(['mount', '--make-shared', this.netnsRoot]);
    }
    mkdirSync(host.netnsDir, { recursive: true, mode: 0o755 });
    for (const node of host.nodes) await this.addNode(host.index, node);
  }

  /** Creates one more node (named netns) on host `index`, with lo up, and returns the path of its namespace file. */
  async addNode(index: number, node: string): Promise<string> {
    const host = this.#host(index);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(node) || node === '.' || node === '..') {
      throw new LabError(`node name ${JSON.stringify(node)} is invalid; use up to 64 letters, digits, _ . or -`);
    }
    const file = join(host.netnsDir, node);
    writeFileSync(file, '', { flag: 'wx' });
    await mustRun(['unshare', `--net=${file}`, 'true']);
    await mustRun(['nsenter', `--net=${file}`, 'ip', 'link', 'set', 'lo', 'up']);
    return file;
  }

  /** Returns the path of the namespace file of node `node` on host `index`, for nsenter --net. */
  nodePath(index: number, node: string): string {
    return join(this.#host(index).netnsDir, node);
  }

  /** Runs `argv` inside node `node` of host `index`, as `nsenter --net=<node file>` does. */
  inNode(index: number, node: string, argv: string[]): Promise<RunResult> {
    return run(['nsenter', `--net=${this.nodePath(index, node)}`, ...argv]);
  }

  /** Runs `argv` in the namespace of host `index` itself, where its agent and under0 are. */
  inHost(index: number, argv: string[]): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.#host(index).name, ...argv]);
  }

  #host(index: number, state: LabState = this.requireState()): LabHost {
    const host = state.hosts.find((entry) => entry.index === index);
    if (!host) throw new LabError(`the lab has no host ${index}; it has hosts 1 to ${state.hosts.length}`);
    return host;
  }

  /** Returns the agent token of host `index`, once its agent has started once. */
  token(index: number): string {
    return readFileSync(this.#host(index).tokenFile, 'utf8').trim();
  }

  /**
   * Starts the agent of host `index` inside its namespace, with the host's node directory
   * mounted over /run/netns, and resolves once it listens. The agent runs on after this
   * process exits; its PID goes into the state file. The token file and host id are kept in
   * the host's directory, so a restarted agent keeps both.
   */
  async startAgent(index: number): Promise<LabHost> {
    const host = this.#host(index);
    mkdirSync(host.stateDir, { recursive: true, mode: 0o700 });
    const logOffset = existsSync(host.logFile) ? statSync(host.logFile).size : 0;
    const log = openSync(host.logFile, 'a');
    const agent = ['--import', 'tsx', AGENT_ENTRY, '--listen', `unix:${host.socketPath}`, '--token-file', host.tokenFile, '--state-dir', host.stateDir];
    // ip netns exec gives the command a mount namespace of its own, so the bind mount over
    // /run/netns stays inside it. sh and ip exec in place, so the PID is the agent's.
    const argv = ['netns', 'exec', host.name, 'sh', '-c', 'mount --rbind "$1" /run/netns && shift && exec "$@"', 'koko-lab-host', host.netnsDir, process.execPath, ...agent];
    // A simulated host other than the first with --docker has no Docker engine: this socket never exists.
    const env = host.docker ? process.env : { ...process.env, DOCKER_HOST: `unix://${this.netnsRoot}/no-docker-in-simulated-hosts.sock` };
    const child = spawn('ip', argv, { cwd: REPOSITORY, detached: true, stdio: ['ignore', log, log], env });
    closeSync(log);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new LabError(`starting the agent of ${host.name} failed; see ${host.logFile}`);

    await this.#waitForListening(host, pid, logOffset);
    const state = this.requireState();
    this.#host(index, state).pid = pid;
    this.#writeState(state);
    return this.#host(index, state);
  }

  async #waitForListening(host: LabHost, pid: number, logOffset: number): Promise<void> {
    const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
    for (;;) {
      const text = readFileSync(host.logFile, 'utf8').slice(logOffset);
      if (text.includes('"msg":"listening"')) return;
      if (!processAlive(pid)) {
        const last = text.trim().split('\n').slice(-3).join('\n');
        throw new LabError(`the agent of ${host.name} exited before it listened:\n${last}\n(full log: ${host.logFile})`);
      }
      if (Date.now() > deadline) {
        await stopProcess(pid, 'SIGTERM');
        throw new LabError(`the agent of ${host.name} did not listen within ${AGENT_START_TIMEOUT_MS / 1000} s; see ${host.logFile}`);
      }
      await sleep(100);
    }
  }

  /** Stops the agent of host `index` by its recorded PID with SIGTERM, or `signal`, and waits until it is gone. */
  async stopAgent(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const state = this.requireState();
    const host = this.#host(index, state);
    const pid = host.pid;
    if (pid !== null && processAlive(pid) && isAgentProcess(pid, host.stateDir)) await stopProcess(pid, signal);
    host.pid = null;
    this.#writeState(state);
    return pid;
  }

  async status(): Promise<LabHostStatus[]> {
    const state = this.requireState();
    const present = new Set(await listNetns());
    return state.hosts.map((host) => ({
      host,
      netnsExists: present.has(host.name),
      agentRunning: host.pid !== null && processAlive(host.pid) && isAgentProcess(host.pid, host.stateDir),
    }));
  }

  /**
   * Removes the lab: stops its agents (by the PIDs in the state file, then any agent still running
   * inside a lab namespace), unmounts and deletes the node namespaces, deletes the host and
   * underlay namespaces, and removes the files it wrote. Works without a state file and when
   * nothing is left, so it is safe to run again.
   */
  async down(): Promise<DownResult> {
    const state = this.readState();
    const stopped: number[] = [];
    for (const host of state?.hosts ?? []) {
      if (host.pid === null || !processAlive(host.pid) || !isAgentProcess(host.pid, host.stateDir)) continue;
      await stopProcess(host.pid, 'SIGTERM');
      stopped.push(host.pid);
    }

    const pattern = new RegExp(`^${this.prefix}-(ul|h[0-9]+)$`);
    const namespaces = (await listNetns()).filter((name) => pattern.test(name));
    for (const name of namespaces) {
      const pids = (await run(['ip', 'netns', 'pids', name])).stdout.split('\n').filter(Boolean).map(Number);
      for (const pid of pids) {
        if (!isAgentProcess(pid)) continue;
        await stopProcess(pid, 'SIGTERM');
        stopped.push(pid);
      }
    }

    const hadNetnsRoot = existsSync(this.netnsRoot);
    await this.#removeNetnsRoot();
    for (const name of namespaces) await mustRun(['ip', 'netns', 'del', name]);
    const hadFiles = this.#removeFiles();
    return { stoppedAgents: stopped, deletedNetns: namespaces, found: state !== undefined || namespaces.length > 0 || hadNetnsRoot || hadFiles };
  }

  async #removeNetnsRoot(): Promise<void> {
    if (!existsSync(this.netnsRoot)) return;
    if ((await mountsUnder(this.netnsRoot)).length > 0) await mustRun(['umount', '--recursive', this.netnsRoot]);
    const left = await mountsUnder(this.netnsRoot);
    if (left.length > 0) throw new LabError(`could not unmount ${left.join(', ')}; unmount them by hand (umount PATH), then run down again`);
    rmSync(this.netnsRoot, { recursive: true, force: true });
  }

  /** Deletes the files the lab wrote in its directory (state file, host directories), and the directory once it is empty. */
  #removeFiles(): boolean {
    const names = [...this.#hostDirs(), ...[STATE_FILE, `${STATE_FILE}.tmp`].filter((name) => existsSync(join(this.dir, name)))];
    for (const name of names) rmSync(join(this.dir, name), { recursive: true, force: true });
    if (existsSync(this.dir) && readdirSync(this.dir).length === 0) rmSync(this.dir, { recursive: true });
    return names.length > 0;
  }
}
