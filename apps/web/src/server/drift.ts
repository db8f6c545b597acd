import type { Inventory } from '@koko/agent-api';
import { describeNode, parseInterfaceAddress, quote } from '@koko/core';
import type { EndpointRecord, LinkRecord } from '@koko/db';
import { findContainer, findNamespace } from './inventory';

/** Verdict of one host's inventory on one link end: as stored, drifted (with the reason), or unknown. */
export type EndVerdict = { state: 'ok' } | { state: 'drifted'; problem: string } | { state: 'unknown' };

function canonicalAddress(text: string): string {
  try {
    const parsed = parseInterfaceAddress(text);
    return `${parsed.address}/${parsed.prefix}`;
  } catch {
    return text;
  }
}

/** Explains why the node of `end` has no namespace in the inventory, or returns undefined when the inventory cannot tell. */
function missingNodeProblem(inventory: Inventory, end: EndpointRecord): string | undefined {
  const where = `${describeNode(end.node)} on host ${quote(end.host)}`;
  if (end.node.kind === 'docker') {
    const container = findContainer(inventory, end.node.container);
    if (!container) return `${where} no longer exists`;
    return `${where} is not running (state: ${container.status}), so interface ${quote(end.ifname)} is gone`;
  }
  if (end.node.kind === 'netns') return inventory.netns.includes(end.node.name) ? undefined : `${where} no longer exists`;
  return undefined;
}

/** Compares one stored link end with its host's inventory: the interface must exist, carry the link's tag, be up and have its addresses. */
export function checkEnd(inventory: Inventory, link: Pick<LinkRecord, 'id'>, end: EndpointRecord): EndVerdict {
  const namespace = findNamespace(inventory, end.node);
  if (!namespace) {
    const problem = missingNodeProblem(inventory, end);
    return problem ? { state: 'drifted', problem } : { state: 'unknown' };
  }
  if (namespace.error !== undefined) return { state: 'unknown' };

  const where = `${describeNode(end.node)} on host ${quote(end.host)}`;
  const found = namespace.interfaces.find((info) => info.name === end.ifname);
  if (!found) return { state: 'drifted', problem: `interface ${quote(end.ifname)} is missing from ${where}` };
  if (found.linkId !== link.id) {
    const tag = found.linkId ? `the tag of link ${found.linkId}` : 'no koko tag';
    return { state: 'drifted', problem: `interface ${quote(end.ifname)} in ${where} carries ${tag}, not link ${link.id}; something else replaced it` };
  }
  if (!found.up) return { state: 'drifted', problem: `interface ${quote(end.ifname)} in ${where} is down; bring it up with: ip link set ${end.ifname} up` };

  const present = new Set(found.addresses.map((entry) => `${entry.address}/${entry.prefix}`).map(canonicalAddress));
  const missing = end.addresses.filter((address) => !present.has(canonicalAddress(address)));
  if (missing.length > 0) return { state: 'drifted', problem: `interface ${quote(end.ifname)} in ${where} lacks address ${missing.join(', ')}` };
  return { state: 'ok' };
}

/** One host's inventory, with the controller's clock time at which it was requested. */
export interface InventorySnapshot {
  inventory: Inventory;
  requestedAt: number;
}

/** Verdict of the inventories on a stored link: every end as stored, some end drifted, or too little data to judge. */
export type LinkVerdict = { state: 'ok' } | { state: 'drifted'; problem: string } | { state: 'unknown' };

/**
 * Judges a link from the latest inventory of each of its hosts. An inventory requested before the
 * link's status last changed cannot judge it (it may predate the link), and a host with no
 * inventory leaves the verdict unknown unless another end already shows drift.
 */
export function judgeLink(link: LinkRecord, snapshots: Map<string, InventorySnapshot>): LinkVerdict {
  const ends = link.b === undefined ? [link.a] : [link.a, link.b];
  const problems: string[] = [];
  let unknown = false;
  for (const end of ends) {
    const snapshot = snapshots.get(end.hostId);
    if (!snapshot || snapshot.requestedAt <= link.statusChangedAt.getTime()) {
      unknown = true;
      continue;
    }
    const verdict = checkEnd(snapshot.inventory, link, end);
    if (verdict.state === 'drifted') problems.push(verdict.problem);
    else if (verdict.state === 'unknown') unknown = true;
  }
  if (problems.length > 0) return { state: 'drifted', problem: [...new Set(problems)].join('; ') };
  return unknown ? { state: 'unknown' } : { state: 'ok' };
}
