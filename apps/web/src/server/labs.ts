import { isKokoError, KokoError, quote, withField, type AddressFamily } from '@koko/core';
import {
  createLab,
  DEFAULT_IPV4_PAIR_PREFIX,
  DEFAULT_IPV4_POOL,
  DEFAULT_IPV6_PAIR_PREFIX,
  DEFAULT_IPV6_POOL,
  deleteLab,
  exhaustedPoolMessage,
  exportLab,
  findLabByName,
  firstFreePair,
  getLab,
  importLab,
  listLabs,
  listLinks,
  networksInPool,
  parseAddressPool,
  type ActorInput,
  type CreateLabInput,
  type KokoDatabase,
  type LabRecord,
  type NodeRecord,
} from '@koko/db';
import type { BusyLinks } from './busy-links';
import type { EventBus } from './events';
import { labScriptOf } from './lab-script';
import type { LabRef, LinkApplier } from './link-apply';
import type { Logger } from './log';
import type { LinkService } from './links';
import { labViewOf, type LabView, type LinkView } from './views';

/** Name of the lab that links go to when a request names none. */
export const DEFAULT_LAB_NAME = 'default';

/** A lab written out for download. */
export interface LabExport {
  fileName: string;
  mimeType: string;
  content: string;
}

export interface ImportResult {
  lab: LabView;
  links: LinkView[];
  /** Link ids that were taken in this database and got new ones: old id to new id. */
  renamedLinks: Record<string, string>;
}

function fileNameOf(labName: string, extension: string): string {
  const safe = labName.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'lab';
  return `${safe}.${extension}`;
}

/** Creates, lists, deletes, exports and imports labs, and picks the default lab for requests that name none. */
export class LabService {
  #links: LinkService | undefined;

  constructor(
    private readonly db: KokoDatabase,
    private readonly applier: LinkApplier,
    private readonly busy: BusyLinks,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  /** Connects the link service, which import uses to describe the links it made; the two depend on each other. */
  setLinkService(links: LinkService): void {
    this.#links = links;
  }

  /** Returns the lab `labId`, or the default lab when none is given and it exists. Creates nothing. */
  async find(labId: string | undefined): Promise<LabRecord | undefined> {
    if (labId === undefined) return findLabByName(this.db, DEFAULT_LAB_NAME);
    try {
      return await getLab(this.db, labId);
    } catch (error) {
      throw withField(error, 'labId');
    }
  }

  /** Returns the lab `labId`, or the default lab, creating it the first time a request needs it. */
  async resolve(labId: string | undefined, actor: ActorInput): Promise<LabRecord> {
    const found = await this.find(labId);
    if (found) return found;
    try {
      const lab = await createLab(this.db, { name: DEFAULT_LAB_NAME }, actor);
      this.events.publish({ changed: ['labs', 'history'], labIds: [lab.id] });
      return lab;
    } catch (error) {
      // Another request created it meanwhile.
      if (isKokoError(error) && error.code === 'conflict') return (await findLabByName(this.db, DEFAULT_LAB_NAME))!;
      throw error;
    }
  }

  async ref(labId: string): Promise<LabRef> {
    const lab = await getLab(this.db, labId);
    return { id: lab.id, name: lab.name, group: lab.group };
  }

  /** Returns the first address pair of the default pool of `family` that overlaps no network on `nodes` and no `claimed` address, for suggestions before any lab exists. */
  defaultPoolPair(nodes: readonly NodeRecord[], claimed: readonly string[] = [], family: AddressFamily = 4): [string, string] {
    const range = family === 4 ? DEFAULT_IPV4_POOL : DEFAULT_IPV6_POOL;
    const pool = parseAddressPool(range, family === 4 ? DEFAULT_IPV4_PAIR_PREFIX : DEFAULT_IPV6_PAIR_PREFIX, family);
    const networks = nodes.flatMap((node) => node.addresses);
    const pair = firstFreePair(pool, [...claimed], networks);
    if (!pair) throw new KokoError('conflict', exhaustedPoolMessage(`default IPv${family} pool ${range}`, pool.pairPrefix, networksInPool(pool, networks)));
    return pair;
  }

  async list(): Promise<LabView[]> {
    return (await listLabs(this.db)).map(labViewOf);
  }

  async view(labId: string): Promise<LabView> {
    const lab = (await listLabs(this.db)).find((entry) => entry.id === labId);
    if (!lab) throw new KokoError('not-found', `lab ${quote(labId)} does not exist; list labs to see their ids`);
    return labViewOf(lab);
  }

  async create(input: CreateLabInput, actor: ActorInput): Promise<LabView> {
    const lab = await createLab(this.db, input, actor);
    this.log.info({ labId: lab.id, name: lab.name }, 'lab created');
    this.events.publish({ changed: ['labs', 'history'], labIds: [lab.id] });
    return this.view(lab.id);
  }

  /**
   * Deletes a lab: one batch delete per host removes its interfaces, then the lab and its links are
   * deleted from the database. When a host cannot remove its part, the database keeps everything,
   * unless `force` is set: then the lab is deleted anyway and those interfaces stay.
   */
  async delete(input: { id: string; force?: boolean }, actor: ActorInput): Promise<LabView> {
    const view = await this.view(input.id);
    const links = await listLinks(this.db, { labId: input.id });
    return this.busy.run(
      links.map((link) => link.id),
      'lab delete',
      async () => {
        const failures = await this.applier.remove(links, { id: view.id, name: view.name, group: view.group }, actor);
        if (failures.size > 0 && !input.force) {
          this.events.publish({ changed: ['history'], labIds: [view.id] });
          const reasons = [...new Set(failures.values())].join('; ');
          throw new KokoError('failed', `lab ${quote(view.name)} was not deleted: ${failures.size} link(s) could not be removed from their hosts: ${reasons}. Fix the hosts and delete again, or delete with force to forget the lab and leave those interfaces`);
        }
        await deleteLab(this.db, input.id, actor);
        this.log.info({ labId: view.id, name: view.name, links: links.length, forced: failures.size > 0 }, 'lab deleted');
        this.events.publish({ changed: ['labs', 'links', 'history'], labIds: [view.id], linkIds: links.map((link) => link.id) });
        return view;
      },
    );
  }

  /** Writes a lab as a JSON file that import reads back, or as a shell script of koko commands, one part per host. */
  async export(input: { id: string; format: 'json' | 'script' }): Promise<LabExport> {
    const file = await exportLab(this.db, input.id);
    if (input.format === 'json') {
      return { fileName: fileNameOf(file.lab.name, 'koko.json'), mimeType: 'application/json', content: `${JSON.stringify(file, null, 2)}\n` };
    }
    const lab = await getLab(this.db, input.id);
    const hosts = await this.applier.linkHosts();
    const underlays = new Map([...hosts.values()].map((host) => [host.name, host.underlay]));
    return { fileName: fileNameOf(file.lab.name, 'sh'), mimeType: 'text/x-shellscript', content: labScriptOf(file, lab.group, underlays) };
  }

  /**
   * Imports a lab file: stores the lab and its links as pending in one transaction, then creates
   * each link through the agents, unless `apply` is false.
   */
  async import(input: { json: unknown; name?: string; apply: boolean }, actor: ActorInput): Promise<ImportResult> {
    const file = typeof input.json === 'string' ? parseJson(input.json) : input.json;
    const imported = await importLab(this.db, file, actor, input.name === undefined ? {} : { name: input.name });
    this.log.info({ labId: imported.lab.id, name: imported.lab.name, links: imported.links.length }, 'lab imported');
    this.events.publish({ changed: ['labs', 'links', 'nodes', 'history'], labIds: [imported.lab.id], linkIds: imported.links.map((link) => link.id) });

    let links = imported.links;
    if (input.apply) {
      const lab = { id: imported.lab.id, name: imported.lab.name, group: imported.lab.group };
      links = await this.busy.run(
        links.map((link) => link.id),
        'import',
        async () => {
          const done = [];
          for (const link of links) done.push(await this.applier.create(link, lab, actor));
          return done;
        },
      );
      this.events.publish({ changed: ['links', 'history'], labIds: [lab.id], linkIds: links.map((link) => link.id) });
    }
    return { lab: await this.view(imported.lab.id), links: await this.#links!.views(links), renamedLinks: imported.renamedLinks };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KokoError('invalid', `the lab file is not valid JSON (${(error as Error).message}); export the lab again or fix the file`, 'json');
  }
}
