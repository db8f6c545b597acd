import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { NodeRef } from '@koko/core';
import { describeNode } from '@koko/core';
import { type ContainerState, dockerClient, dockerError, inspectContainer } from './docker';
import { runCommand } from './exec';
import { type InterfaceInfo, type IpJsonLink, toInterfaceInfo } from './interfaces';
import { NETNS_RUN_DIR, type Namespace, currentNamespace, inNamespace } from './namespace';
import type { NamespaceReader, ReaderCommand } from './namespace-reader';

/** A Docker container as the inventory reports it; `namespaceKey` is set while it runs. */
export interface InventoryContainer extends ContainerState {
  namespaceKey: string | undefined;
}

/** The other end of a veth. The namespace fields are absent when the inventory could not tell where it is. */
export interface VethPeer {
  ifindex: number;
  namespaceKey?: string;
  namespace?: string;
  ifname?: string;
}

/** An interface with its veth peer resolved; `peer` is set for veth interfaces only. */
export interface InventoryInterface extends InterfaceInfo {
  peer?: VethPeer;
}

/** One network namespace and its interfaces. `error` is set when reading it failed, for example because it vanished. */
export interface NamespaceInventory {
  key: string;
  label: string;
  node: NodeRef;
  file: string | undefined;
  interfaces: InventoryInterface[];
  error?: string;
}

export interface Inventory {
  containers: InventoryContainer[];
  /** Names under /run/netns, as `ip netns list` shows them. */
  netns: string[];
  namespaces: NamespaceInventory[];
  /** The Docker error that left `containers` empty, when the engine could not be reached. */
  dockerError?: string;
}

/** An `ip` command the inventory runs in each namespace. It runs as a process of its own or as a reader's batch line, and prints one JSON line. */
interface InventoryCommand {
  argv: readonly string[];
  line: ReaderCommand;
}

/** Reads one namespace's interfaces. */
const READ_COMMAND: InventoryCommand = { argv: ['ip', '-json', '-details', '-stats', 'address', 'show'], line: 'address show' };
/** Maps a namespace's nsids to netns names. */
const NSID_COMMAND: InventoryCommand = { argv: ['ip', '-json', 'netns', 'list-id'], line: 'netns list-id' };

/** Returns a running reader for a namespace key, if the caller keeps one. */
export type ReaderLookup = (key: string) => NamespaceReader | undefined;

/**
 * Returns the script of an inventory worker, which runs `argv` once in each namespace file given
 * as a positional parameter. A few such shell workers replace one child process per namespace
 * from Node, whose spawn costs a few milliseconds of event-loop time each and dominates with
 * hundreds of namespaces. `argv` is one of the constants above, and the namespace files reach the
 * script as parameters, so no name is ever parsed by the shell. A namespace that fails prints
 * `null`, which keeps one output line per namespace.
 */
function workerScript(argv: readonly string[]): string {
  return `for f do nsenter --net="$f" ${argv.join(' ')} || echo null; done`;
}

async function namespaceKeyOf(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/** Lists the names under /run/netns; a missing directory means there are none. */
export async function listNetnsNames(): Promise<string[]> {
  try {
    return (await readdir(NETNS_RUN_DIR)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Lists every container with its state; running ones are inspected for their PID. Throws a KokoError if Docker is unreachable. */
export async function listContainers(): Promise<ContainerState[]> {
  const docker = await dockerClient();
  let summaries: Awaited<ReturnType<typeof docker.listContainers>>;
  try {
    summaries = await docker.listContainers({ all: true });
  } catch (error) {
    throw dockerError(error, '(list)');
  }
  const states = await Promise.all(
    summaries.map(async (summary): Promise<ContainerState | undefined> => {
      const name = (summary.Names[0] ?? summary.Id).replace(/^\//, '');
      if (summary.State !== 'running') {
        return { id: summary.Id, name, image: summary.Image, status: summary.State, running: false, pid: 0, labels: summary.Labels ?? {} };
      }
      try {
        return await inspectContainer(summary.Id);
      } catch {
        return undefined; // removed between the list and the inspect
      }
    }),
  );
  return states.filter((state): state is ContainerState => state !== undefined).sort((left, right) => left.name.localeCompare(right.name));
}

/**
 * Lists the namespaces the inventory covers, each once: the agent's own, every named netns and
 * every running container's. A container that shares another's namespace maps to the same key.
 */
async function collectNamespaces(netns: string[], containers: ContainerState[]): Promise<{ namespaces: Namespace[]; containerKeys: Map<string, string> }> {
  const current = await currentNamespace();
  const currentDevice = current.key.split(':')[0];
  const byKey = new Map<string, Namespace>([[current.key, current]]);

  const named = await Promise.all(netns.map(async (name) => ({ name, key: await namespaceKeyOf(`${NETNS_RUN_DIR}/${name}`) })));
  for (const { name, key } of named) {
    // A file under /run/netns that is not on the nsfs device is a leftover of a failed `ip netns add`.
    if (!key || key.split(':')[0] !== currentDevice || byKey.has(key)) continue;
    byKey.set(key, { key, label: describeNode({ kind: 'netns', name }), file: `${NETNS_RUN_DIR}/${name}`, node: { kind: 'netns', name } });
  }

  const containerKeys = new Map<string, string>();
  const running = containers.filter((container) => container.running && container.pid > 0);
  const keys = await Promise.all(running.map((container) => namespaceKeyOf(`/proc/${container.pid}/ns/net`)));
  running.forEach((container, index) => {
    const key = keys[index];
    if (!key) return;
    containerKeys.set(container.id, key);
    if (byKey.has(key)) return;
    const node: NodeRef = { kind: 'docker', container: container.name };
    byKey.set(key, { key, label: describeNode(node), file: `/proc/${container.pid}/ns/net`, node });
  });
  return { namespaces: [...byKey.values()], containerKeys };
}

/** Splits `items` into `count` slices of nearly equal size, keeping each item's position recoverable. */
function slicesOf<T>(items: T[], count: number): T[][] {
  const size = Math.ceil(items.length / count);
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}

function fileOf(namespace: Namespace): string {
  return namespace.file ?? `/proc/${process.pid}/ns/net`;
}

/**
 * Runs `argv` in every namespace of a slice with one worker and returns one output line per
 * namespace, or undefined when the output does not have one line each (a namespace printed
 * more, or the worker failed), so the caller can fall back to one command per namespace.
 */
async function runSlice(namespaces: Namespace[], argv: readonly string[]): Promise<string[] | undefined> {
  try {
    const { stdout } = await runCommand(['sh', '-c', workerScript(argv), 'sh', ...namespaces.map(fileOf)]);
    const lines = stdout.split('\n').filter((line) => line !== '');
    return lines.length === namespaces.length ? lines : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `argv` in many namespaces, spread over one worker per CPU, and returns one output line per namespace (undefined where it failed). */
async function spawnInNamespaces(namespaces: Namespace[], argv: readonly string[]): Promise<(string | undefined)[]> {
  const readOne = (namespace: Namespace) => runCommand(inNamespace(namespace, argv)).then((output) => output.stdout.trim(), () => undefined);
  const workers = availableParallelism();
  // With no more namespaces than CPUs, a shell worker would only add a process start to each.
  if (namespaces.length <= workers) return Promise.all(namespaces.map(readOne));

  const outputs = await Promise.all(
    slicesOf(namespaces, workers).map(async (slice) => {
      const lines = await runSlice(slice, argv);
      if (lines) return lines.map((line) => (line === 'null' ? undefined : line));
      return Promise.all(slice.map(readOne));
    }),
  );
  return outputs.flat();
}

/**
 * Runs `command` in many namespaces: through the namespace's reader when `readerFor` has a live
 * one, otherwise (and when the reader fails) with processes of their own. A namespace that cannot
 * be read yields an Error.
 */
async function runInNamespaces<T>(namespaces: Namespace[], command: InventoryCommand, parse: (line: string) => T, readerFor?: ReaderLookup): Promise<(T | Error)[]> {
  const lines = await Promise.all(
    namespaces.map((namespace) => {
      const reader = readerFor?.(namespace.key);
      return reader?.alive ? reader.request(command.line).catch(() => undefined) : undefined;
    }),
  );
  const unread = namespaces.filter((_, index) => lines[index] === undefined);
  const spawned = await spawnInNamespaces(unread, command.argv);
  let next = 0;

  return lines.map((line, index) => {
    const output = line ?? spawned[next++];
    if (output === undefined) return new Error(`cannot read ${namespaces[index]!.label}; it may have been removed`);
    try {
      return parse(output);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
}

/** Reads the interfaces of many namespaces, with addresses, driver details and counters. */
export async function readManyNamespaces(namespaces: Namespace[], readerFor?: ReaderLookup): Promise<(InterfaceInfo[] | Error)[]> {
  return runInNamespaces(namespaces, READ_COMMAND, (line) => (JSON.parse(line) as IpJsonLink[]).map(toInterfaceInfo), readerFor);
}

/** Maps the nsids each namespace uses to the netns names they stand for (`ip netns list-id`); unnamed ones are left out. */
async function readNsidNames(namespaces: Namespace[], readerFor?: ReaderLookup): Promise<Map<number, string>[]> {
  const parse = (line: string) => {
    const entries = JSON.parse(line || '[]') as { nsid: number; name?: string }[];
    return new Map(entries.filter((entry) => entry.name).map((entry) => [entry.nsid, entry.name!]));
  };
  const results = await runInNamespaces(namespaces, NSID_COMMAND, parse, readerFor);
  return results.map((result) => (result instanceof Error ? new Map<number, string>() : result));
}

interface Located {
  namespace: NamespaceInventory;
  info: InventoryInterface;
}

function peerOf(located: Located): VethPeer {
  return { ifindex: located.info.ifindex, namespaceKey: located.namespace.key, namespace: located.namespace.label, ifname: located.info.name };
}

/** Finds the other end of a veth whose peer is in its own namespace: a veth there that points back. */
function localPeer(namespace: NamespaceInventory, info: InventoryInterface): InventoryInterface | undefined {
  return namespace.interfaces.find(
    (other) => other.kind === 'veth' && other.ifindex === info.linkIndex && other.linkIndex === info.ifindex && other.linkNetnsId === undefined,
  );
}

/**
 * Resolves the peers left ambiguous by ifindex and tag through the netns names behind their nsid
 * (`ip netns list-id`, run only in the namespaces that need it). A name is matched by the
 * namespace key of its file, so it also finds the agent's own namespace when that is a named
 * netns (an agent started with `ip netns exec`).
 */
async function resolveByNsidNames(ambiguous: { located: Located; candidates: Located[] }[], readerFor?: ReaderLookup): Promise<void> {
  const needNames = [...new Map(ambiguous.map(({ located }) => [located.namespace.key, located.namespace])).values()];
  const names = await readNsidNames(
    needNames.map((namespace) => ({ key: namespace.key, label: namespace.label, file: namespace.file, node: namespace.node })),
    readerFor,
  );
  const namesByKey = new Map(needNames.map((namespace, index) => [namespace.key, names[index]!]));
  const keysOfNames = new Map<string, string | undefined>();

  for (const { located, candidates } of ambiguous) {
    const peerName = namesByKey.get(located.namespace.key)?.get(located.info.linkNetnsId!);
    if (peerName !== undefined && !keysOfNames.has(peerName)) keysOfNames.set(peerName, await namespaceKeyOf(`${NETNS_RUN_DIR}/${peerName}`));
    const peerKey = peerName === undefined ? undefined : keysOfNames.get(peerName);
    const named = candidates.filter((candidate) => peerKey !== undefined && candidate.namespace.key === peerKey);
    located.info.peer = named.length === 1 ? peerOf(named[0]!) : { ifindex: located.info.linkIndex! };
  }
}

/**
 * Fills in the peer of a veth whose own lookup failed when exactly one resolved veth names it as
 * its peer. The two ends see different nsids and names, so one end can often be resolved while
 * the other cannot, for example a container's end (unnamed, so invisible to `ip netns list-id`).
 */
function fillReversePeers(namespaces: NamespaceInventory[]): void {
  const pointingAt = new Map<InventoryInterface, Located[]>();
  const byKey = new Map(namespaces.map((namespace) => [namespace.key, namespace]));
  for (const namespace of namespaces) {
    for (const info of namespace.interfaces) {
      if (info.kind !== 'veth' || !info.peer?.namespaceKey) continue;
      const target = byKey.get(info.peer.namespaceKey)?.interfaces.find((other) => other.ifindex === info.peer!.ifindex);
      if (!target || target.kind !== 'veth' || target.linkIndex !== info.ifindex) continue;
      pointingAt.set(target, [...(pointingAt.get(target) ?? []), { namespace, info }]);
    }
  }
  for (const [target, sources] of pointingAt) {
    if (target.peer?.namespaceKey === undefined && sources.length === 1) target.peer = peerOf(sources[0]!);
  }
}

/**
 * Resolves the peer of every veth. A veth reports its peer's ifindex and, when the peer lives in
 * another namespace, that namespace's nsid as seen from its own. ifindexes repeat across
 * namespaces, so a candidate must point back (its peer ifindex is ours); koko's tag then picks
 * between candidates, and last the netns names behind the nsid, which exist for named namespaces
 * only. An end that stays ambiguous takes its peer from the other end when that one resolved to
 * it; otherwise it keeps only the peer's ifindex.
 */
export async function pairVethPeers(namespaces: NamespaceInventory[], readerFor?: ReaderLookup): Promise<void> {
  const crossing = new Map<string, Located[]>();
  for (const namespace of namespaces) {
    for (const info of namespace.interfaces) {
      if (info.kind !== 'veth' || info.linkNetnsId === undefined || info.linkIndex === undefined) continue;
      const key = `${info.ifindex}:${info.linkIndex}`;
      let list = crossing.get(key);
      if (!list) crossing.set(key, (list = []));
      list.push({ namespace, info });
    }
  }

  const ambiguous: { located: Located; candidates: Located[] }[] = [];
  for (const namespace of namespaces) {
    for (const info of namespace.interfaces) {
      if (info.kind !== 'veth' || info.linkIndex === undefined) continue;
      if (info.linkNetnsId === undefined) {
        const local = localPeer(namespace, info);
        info.peer = local ? peerOf({ namespace, info: local }) : { ifindex: info.linkIndex };
        continue;
      }
      let candidates = (crossing.get(`${info.linkIndex}:${info.ifindex}`) ?? []).filter((candidate) => candidate.namespace.key !== namespace.key);
      if (candidates.length > 1 && info.linkId) {
        const tagged = candidates.filter((candidate) => candidate.info.linkId === info.linkId);
        if (tagged.length > 0) candidates = tagged;
      }
      if (candidates.length === 1) info.peer = peerOf(candidates[0]!);
      else if (candidates.length === 0) info.peer = { ifindex: info.linkIndex };
      else ambiguous.push({ located: { namespace, info }, candidates });
    }
  }

  if (ambiguous.length > 0) await resolveByNsidNames(ambiguous, readerFor);
  fillReversePeers(namespaces);
}

/** Options of readInventory. */
export interface InventoryOptions {
  /** Returns a running reader for a namespace key, if the caller keeps one; the other namespaces are read with a process each. */
  readerFor?: ReaderLookup;
}

/**
 * Reads the host's inventory: Docker containers, named netns and, for every namespace, its
 * interfaces with addresses, driver parameters, koko tags, counters and veth peers. The Docker
 * engine being down is reported in `dockerError`, not thrown, so the namespaces still show.
 */
export async function readInventory(options: InventoryOptions = {}): Promise<Inventory> {
  const [netns, containerResult] = await Promise.all([
    listNetnsNames(),
    listContainers().then(
      (containers) => ({ containers, error: undefined }),
      (error: unknown) => ({ containers: [] as ContainerState[], error: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  const { namespaces, containerKeys } = await collectNamespaces(netns, containerResult.containers);
  const results = await readManyNamespaces(namespaces, options.readerFor);

  const inventories: NamespaceInventory[] = namespaces.map((namespace, index) => {
    const result = results[index]!;
    const base = { key: namespace.key, label: namespace.label, node: namespace.node, file: namespace.file };
    return result instanceof Error ? { ...base, interfaces: [], error: result.message } : { ...base, interfaces: result };
  });
  await pairVethPeers(inventories, options.readerFor);

  return {
    containers: containerResult.containers.map((container) => ({ ...container, namespaceKey: containerKeys.get(container.id) })),
    netns,
    namespaces: inventories,
    ...(containerResult.error ? { dockerError: containerResult.error } : {}),
  };
}
