import { getLab, listLinks, listNodes, nodeKeyText, type KokoDatabase, type NodeRecord } from '@koko/db';
import { foreignLinksOf, type ForeignLink } from './foreign-links';
import { findContainer } from './inventory';
import type { HostService } from './hosts';
import type { LinkService } from './links';
import { nodeViewOf, type HostStatusView, type LinkView, type NodeView } from './views';

export interface TopologyHost {
  id: string;
  name: string;
  status: HostStatusView;
  nodes: NodeView[];
}

export interface Topology {
  /** The lab whose links are listed, or null for the links of every lab. */
  labId: string | null;
  hosts: TopologyHost[];
  links: LinkView[];
  /** veth pairs and vxlan interfaces the agents report that no stored link made. */
  foreignLinks: ForeignLink[];
}

/** Builds the picture the dashboard draws: hosts with their nodes, the stored links, and the links koko did not make. */
export class TopologyService {
  constructor(
    private readonly db: KokoDatabase,
    private readonly hosts: HostService,
    private readonly links: LinkService,
  ) {}

  /**
   * Returns every host with its nodes, and the links of lab `labId` (of every lab when none is
   * given). A node is listed while its host reports it, and also while a link or a canvas
   * position refers to it, so a stopped container keeps its place.
   */
  async get(labId?: string): Promise<Topology> {
    if (labId !== undefined) await getLab(this.db, labId);
    const [hosts, nodes, allLinks] = await Promise.all([this.hosts.list(), listNodes(this.db), listLinks(this.db)]);
    const links = labId === undefined ? allLinks : allLinks.filter((link) => link.labId === labId);
    const usedNodes = new Set(allLinks.flatMap((link) => (link.b === undefined ? [link.a.nodeId] : [link.a.nodeId, link.b.nodeId])));
    const snapshots = this.hosts.snapshots();
    const online = this.hosts.onlineHostIds();

    const nodesByHost = new Map<string, NodeRecord[]>();
    for (const node of nodes) {
      if (!node.present && !usedNodes.has(node.id) && node.position === null) continue;
      nodesByHost.set(node.hostId, [...(nodesByHost.get(node.hostId) ?? []), node]);
    }

    const imageOf = (node: NodeRecord): string | null => {
      const inventory = snapshots.get(node.hostId)?.inventory;
      if (!inventory || node.node.kind !== 'docker') return null;
      return findContainer(inventory, node.node.container)?.image ?? null;
    };

    const knownLinkIds = new Set(allLinks.map((link) => link.id));
    const nodeIds = new Map(nodes.map((node) => [nodeKeyText(node.hostId, node.node), node.id]));
    const foreignLinks = [...snapshots].flatMap(([hostId, snapshot]) =>
      foreignLinksOf(hostId, snapshot.inventory, knownLinkIds, (node) => nodeIds.get(nodeKeyText(hostId, node)) ?? null),
    );

    return {
      labId: labId ?? null,
      hosts: hosts.map((host) => ({
        id: host.id,
        name: host.name,
        status: host.status,
        nodes: (nodesByHost.get(host.id) ?? []).map((node) => nodeViewOf(node, online.has(host.id), imageOf(node))),
      })),
      links: await this.links.views(links),
      foreignLinks,
    };
  }
}
