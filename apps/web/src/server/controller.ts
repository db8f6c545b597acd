import { openDatabase, type KokoDatabase } from '@koko/db';
import { AgentPool } from './agents';
import { BusyLinks } from './busy-links';
import { EventBus } from './events';
import { HistoryService } from './history';
import { HostService } from './hosts';
import { LabService } from './labs';
import { LinkApplier } from './link-apply';
import { LinkService } from './links';
import { createLogger, type Logger } from './log';
import { TopologyService } from './topology';

/** Default time between two reads of a host, in milliseconds. The change stream brings most changes sooner. */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

export interface ControllerOptions {
  /** SQLite file URL; defaults to DATABASE_URL, then file:./data/koko.db in the checkout. */
  databaseUrl?: string;
  /** Time between two reads of each host, in milliseconds; KOKO_POLL_INTERVAL_MS or 5000. */
  pollIntervalMs?: number;
  /** Follow each agent's change stream for prompt updates (default true; KOKO_FOLLOW_CHANGES=0 turns it off). */
  followChanges?: boolean;
  logger?: Logger;
}

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 100) throw new Error(`${name}=${JSON.stringify(text)} is invalid; give a whole number of milliseconds, at least 100`);
  return value;
}

/**
 * The controller: the desired topology in the database, the hosts' agents, and the services
 * that keep the two in line. One instance per server process; see getController.
 */
export class Controller {
  readonly events = new EventBus();
  readonly hosts: HostService;
  readonly labs: LabService;
  readonly links: LinkService;
  readonly history: HistoryService;
  readonly topology: TopologyService;
  readonly #agents: AgentPool;
  #closed = false;

  private constructor(
    readonly db: KokoDatabase,
    readonly log: Logger,
    options: { pollIntervalMs: number; followChanges: boolean },
  ) {
    this.#agents = new AgentPool(db);
    const busy = new BusyLinks();
    const applier = new LinkApplier(db, this.#agents, log);
    this.hosts = new HostService(db, this.#agents, this.events, log, options);
    this.labs = new LabService(db, applier, busy, this.events, log);
    this.links = new LinkService(db, this.#agents, this.hosts, this.labs, applier, busy, this.events, log);
    this.labs.setLinkService(this.links);
    this.history = new HistoryService(db, applier, this.links, busy, this.events, log);
    this.topology = new TopologyService(db, this.hosts, this.links);
    this.hosts.setHooks({ onInventory: (hostId) => this.links.reconcile(hostId) });
  }

  /** Opens the database (migrating it), and starts watching every registered host. */
  static async open(options: ControllerOptions = {}): Promise<Controller> {
    const log = options.logger ?? createLogger();
    const db = await openDatabase({
      ...(options.databaseUrl !== undefined && { url: options.databaseUrl }),
      onMigrationApplied: (name) => log.info({ migration: name }, 'applied database migration'),
    });
    const controller = new Controller(db, log, {
      pollIntervalMs: options.pollIntervalMs ?? envNumber('KOKO_POLL_INTERVAL_MS') ?? DEFAULT_POLL_INTERVAL_MS,
      followChanges: options.followChanges ?? process.env.KOKO_FOLLOW_CHANGES !== '0',
    });
    await controller.hosts.start();
    log.info({ database: db.file }, 'controller started');
    return controller;
  }

  /** Stops watching hosts, closes the agent connections and the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.hosts.close();
    await this.#agents.close();
    await this.db.close();
    this.log.info({ database: this.db.file }, 'controller stopped');
  }
}

/** Key of the process-wide controller on globalThis, which outlives Next's module reloading. */
const GLOBAL_KEY = Symbol.for('koko.controller');

type GlobalWithController = typeof globalThis & { [GLOBAL_KEY]?: Promise<Controller> };

/**
 * Returns this process's controller, opening it on first use. It lives on globalThis because
 * Next.js may load the server modules more than once (development reloads, separate route
 * bundles), and two controllers would poll every host twice.
 */
export function getController(): Promise<Controller> {
  const store = globalThis as GlobalWithController;
  let controller = store[GLOBAL_KEY];
  if (!controller) {
    controller = Controller.open();
    store[GLOBAL_KEY] = controller;
    // A failed open is not kept, so the next request tries again.
    controller.catch(() => {
      if (store[GLOBAL_KEY] === controller) delete store[GLOBAL_KEY];
    });
  }
  return controller;
}

/** Closes this process's controller, if one was opened. */
export async function closeController(): Promise<void> {
  const store = globalThis as GlobalWithController;
  const controller = store[GLOBAL_KEY];
  delete store[GLOBAL_KEY];
  await (await controller?.catch(() => undefined))?.close();
}
