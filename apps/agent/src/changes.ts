import { EventEmitter, on } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import type { AgentEvent } from '@koko/agent-api';
import {
  type ContainerEventWatch,
  type InterfaceInfo,
  type LinkMonitor,
  type Namespace,
  currentNamespace,
  diffInterfaces,
  listContainers,
  listNetnsNames,
  monitorLinks,
  NamespaceReader,
  NETNS_RUN_DIR,
  readInterfaces,
  resolveNamespace,
  watchContainerEvents,
} from '@koko/linux';
import type { Logger } from 'pino';

/** How long to wait after an `ip monitor` line before reading the namespace, so a burst of lines costs one read, in milliseconds. */
const REREAD_DELAY_MS = 15;
/** How often the list of named netns is read again, in case an inotify event was missed, in milliseconds. */
const NETNS_POLL_MS = 2000;
/** How long to wait before following Docker's events again after the stream broke, in milliseconds. */
const DOCKER_RETRY_MS = 5000;

/** Reads a watched namespace through its reader, or with a process of its own when the reader has stopped. */
async function readWatched(entry: Watched): Promise<InterfaceInfo[]> {
  if (entry.reader?.alive) {
    try {
      return await entry.reader.read();
    } catch {
      // The reader ended or timed out; one process of its own reads the namespace instead.
    }
  }
  return readInterfaces(entry.namespace);
}

interface Watched {
  namespace: Namespace;
  monitor: LinkMonitor;
  /** Reads the namespace without a process start: for the re-reads here and for the inventory. */
  reader: NamespaceReader | undefined;
  interfaces: InterfaceInfo[];
  timer: NodeJS.Timeout | undefined;
  /** Owners that keep the namespace watched: `netns:<name>`, `container:<id>` or `current`. */
  owners: Set<string>;
}

/**
 * Watches the host while at least one client follows the change stream. Container events come
 * from Docker. Interface changes come from one `ip -o monitor link address` per namespace: each
 * line it prints triggers a re-read of that namespace and a diff against the previous read.
 * Beside each monitor runs a NamespaceReader, which the inventory also reads through while the
 * feed runs.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  private readonly watched = new Map<string, Watched>();
  private subscribers = 0;
  private starting: Promise<void> | undefined;
  private dockerWatch: ContainerEventWatch | undefined;
  private dockerRetry: NodeJS.Timeout | undefined;
  private netnsWatcher: FSWatcher | undefined;
  private netnsPoll: NodeJS.Timeout | undefined;
  private knownNetns = new Set<string>();
  /** Aborted when the agent stops, which ends every open stream. */
  private readonly closed = new AbortController();

  constructor(private readonly log: Logger) {
    this.emitter.setMaxListeners(0);
  }

  /** Yields every change until `signal` aborts. The first subscriber starts the watchers; the last one stops them. */
  async *subscribe(clientSignal: AbortSignal): AsyncGenerator<AgentEvent> {
    if (this.closed.signal.aborted) return;
    const signal = AbortSignal.any([clientSignal, this.closed.signal]);
    this.subscribers++;
    try {
      this.starting ??= this.start();
      await this.starting;
      const events = on(this.emitter, 'event', { signal });
      yield { type: 'ready', time: Date.now() };
      for await (const [event] of events) yield event as AgentEvent;
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.subscribers--;
      if (this.subscribers === 0) this.stop();
    }
  }

  /** Ends every open stream and stops the watchers; the agent calls it when it stops. */
  close(): void {
    this.closed.abort();
    this.stop();
  }

  /** Stops every watcher; called when the last subscriber leaves. */
  private stop(): void {
    this.starting = undefined;
    this.dockerWatch?.stop();
    this.dockerWatch = undefined;
    clearTimeout(this.dockerRetry);
    this.netnsWatcher?.close();
    this.netnsWatcher = undefined;
    clearInterval(this.netnsPoll);
    for (const entry of this.watched.values()) {
      clearTimeout(entry.timer);
      entry.monitor.stop();
      entry.reader?.stop();
    }
    this.watched.clear();
    this.knownNetns.clear();
  }

  /** Returns the running reader of a watched namespace, or undefined when no client follows the stream. */
  readerFor(key: string): NamespaceReader | undefined {
    const reader = this.watched.get(key)?.reader;
    return reader?.alive ? reader : undefined;
  }

  private emit(event: AgentEvent): void {
    this.emitter.emit('event', event);
  }

  private async start(): Promise<void> {
    await this.addOwner('current', await currentNamespace());
    await this.syncNetns();
    try {
      this.netnsWatcher = watch(NETNS_RUN_DIR, () => void this.syncNetns());
      this.netnsWatcher.on('error', () => undefined);
    } catch {
      // /run/netns appears with the first `ip netns add`; the poll below notices it.
    }
    this.netnsPoll = setInterval(() => void this.syncNetns(), NETNS_POLL_MS);
    this.netnsPoll.unref();
    await this.followDocker();
  }

  private async followDocker(): Promise<void> {
    try {
      this.dockerWatch = await watchContainerEvents(
        (event) => void this.onContainerEvent(event),
        (reason) => this.retryDocker(reason),
      );
      const containers = await listContainers();
      for (const container of containers.filter((entry) => entry.running)) {
        await this.watchContainer(container.id, container.name);
      }
    } catch (error) {
      this.retryDocker(error instanceof Error ? error.message : String(error));
    }
  }

  private retryDocker(reason: string): void {
    if (this.subscribers === 0) return;
    this.log.warn({ reason, retryMs: DOCKER_RETRY_MS }, 'cannot follow Docker events; retrying');
    this.dockerWatch = undefined;
    this.dockerRetry = setTimeout(() => void this.followDocker(), DOCKER_RETRY_MS);
    this.dockerRetry.unref();
  }

  private async onContainerEvent(event: { action: 'start' | 'stop' | 'die' | 'destroy'; id: string; name: string; image: string; time: number }): Promise<void> {
    this.emit({ type: 'container', ...event });
    if (event.action === 'start') await this.watchContainer(event.id, event.name);
    else this.removeOwner(`container:${event.id}`);
  }

  private async watchContainer(id: string, name: string): Promise<void> {
    try {
      await this.addOwner(`container:${id}`, await resolveNamespace({ kind: 'docker', container: id }), name);
    } catch (error) {
      this.log.debug({ container: name, error: error instanceof Error ? error.message : String(error) }, 'container stopped before its namespace was watched');
    }
  }

  /** Reads /run/netns again and starts or stops watching the namespaces that came or went. */
  private async syncNetns(): Promise<void> {
    const names = new Set(await listNetnsNames());
    for (const name of this.knownNetns) {
      if (!names.has(name)) this.removeOwner(`netns:${name}`);
    }
    const known = new Set([...this.knownNetns].filter((name) => names.has(name)));
    for (const name of names) {
      if (known.has(name)) continue;
      try {
        await this.addOwner(`netns:${name}`, await resolveNamespace({ kind: 'netns', name }));
        known.add(name);
      } catch {
        // Removed again, or `ip netns add` has made the file but not yet mounted the namespace
        // on it; the next read of the directory tries again.
      }
    }
    if (this.subscribers > 0) this.knownNetns = known;
  }

  private async addOwner(owner: string, namespace: Namespace, containerName?: string): Promise<void> {
    // Work started before the last subscriber left must not start a monitor that no one would stop.
    if (this.subscribers === 0) return;
    const existing = this.watched.get(namespace.key);
    if (existing) {
      existing.owners.add(owner);
      return;
    }
    const label = containerName ? `container "${containerName}"` : namespace.label;
    const entry: Watched = { namespace: { ...namespace, label }, monitor: { stop: () => undefined }, reader: undefined, interfaces: [], timer: undefined, owners: new Set([owner]) };
    this.watched.set(namespace.key, entry);
    entry.monitor = monitorLinks(
      entry.namespace,
      () => this.scheduleRead(entry),
      (reason) => {
        if (this.watched.get(namespace.key) === entry) this.log.debug({ namespace: label, reason }, 'link monitor ended');
      },
    );
    entry.reader = new NamespaceReader(entry.namespace);
    try {
      entry.interfaces = await readWatched(entry);
    } catch {
      entry.interfaces = [];
    }
    if (owner !== 'current') this.emit({ type: 'namespace', action: 'added', time: Date.now(), namespaceKey: namespace.key, namespace: label });
  }

  private removeOwner(owner: string): void {
    for (const [key, entry] of this.watched) {
      if (!entry.owners.delete(owner) || entry.owners.size > 0) continue;
      // Stop at once: the monitor and reader processes would otherwise keep the namespace alive.
      entry.monitor.stop();
      entry.reader?.stop();
      clearTimeout(entry.timer);
      this.watched.delete(key);
      this.emit({ type: 'namespace', action: 'removed', time: Date.now(), namespaceKey: key, namespace: entry.namespace.label });
    }
  }

  private scheduleRead(entry: Watched): void {
    if (entry.timer) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.reread(entry);
    }, REREAD_DELAY_MS);
  }

  private async reread(entry: Watched): Promise<void> {
    let interfaces: InterfaceInfo[];
    try {
      interfaces = await readWatched(entry);
    } catch {
      return; // the namespace went away; its owner's removal reports that
    }
    if (this.watched.get(entry.namespace.key) !== entry) return;
    const changes = diffInterfaces(entry.interfaces, interfaces);
    entry.interfaces = interfaces;
    const time = Date.now();
    for (const change of changes) {
      this.emit({ type: 'interface', time, namespaceKey: entry.namespace.key, namespace: entry.namespace.label, ...change });
    }
  }
}
