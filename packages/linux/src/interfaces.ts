import { linkIdFromTag } from '@koko/core';
import { runCommand } from './exec';
import { type Namespace, inNamespace } from './namespace';

/** One entry of `ip -json -details -stats addr show`, reduced to the fields koko reads. */
export interface IpJsonLink {
  ifindex: number;
  ifname: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  ifalias?: string;
  group?: string;
  mtu: number;
  operstate: string;
  flags?: string[];
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
  stats64?: { rx: Record<string, number>; tx: Record<string, number> };
}

/** An interface of one namespace, as koko reads it. */
export interface InterfaceInfo {
  ifindex: number;
  name: string;
  /** The driver kind (`veth`, `vxlan`, `macvlan`, ...), or undefined for devices without one, such as lo. */
  kind: string | undefined;
  state: string;
  up: boolean;
  mtu: number;
  mac: string | undefined;
  alias: string | undefined;
  group: string;
  /** The koko link id from the alias, when koko made this interface. */
  linkId: string | undefined;
  /** ifindex of the veth peer or of the parent, in the namespace named by `linkNetnsId` when that is set. */
  linkIndex: number | undefined;
  /** The namespace id, as seen from this namespace, of the peer or parent; undefined when it is this namespace. */
  linkNetnsId: number | undefined;
  /** Driver parameters (VNI, remote, VLAN id, macvlan mode, ...) as `ip -details` prints them. */
  parameters: Record<string, unknown>;
  addresses: { family: 4 | 6; address: string; prefix: number; scope: string }[];
  counters: { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number; rxDropped: number; txDropped: number };
}

/**
 * Returns the driver parameters of a link. `ip` names a vxlan's parent (`link`) by looking its
 * ifindex up in the namespace being read, which is the wrong one when the parent lives in another
 * namespace (`link_netnsid` set), so that name is dropped there.
 */
function driverParameters(link: IpJsonLink): Record<string, unknown> {
  const parameters = { ...(link.linkinfo?.info_data ?? {}) };
  if (link.link_netnsid !== undefined) delete parameters.link;
  return parameters;
}

export function toInterfaceInfo(link: IpJsonLink): InterfaceInfo {
  const flags = link.flags ?? [];
  return {
    ifindex: link.ifindex,
    name: link.ifname,
    kind: link.linkinfo?.info_kind,
    state: link.operstate,
    up: flags.includes('UP'),
    mtu: link.mtu,
    mac: link.address,
    alias: link.ifalias,
    group: link.group ?? 'default',
    linkId: linkIdFromTag(link.ifalias),
    linkIndex: link.link_index,
    linkNetnsId: link.link_netnsid,
    parameters: driverParameters(link),
    addresses: (link.addr_info ?? [])
      .filter((entry) => entry.family === 'inet' || entry.family === 'inet6')
      .map((entry) => ({
        family: entry.family === 'inet' ? 4 : 6,
        address: entry.local,
        prefix: entry.prefixlen,
        scope: entry.scope ?? 'global',
      })),
    counters: {
      rxBytes: link.stats64?.rx.bytes ?? 0,
      rxPackets: link.stats64?.rx.packets ?? 0,
      txBytes: link.stats64?.tx.bytes ?? 0,
      txPackets: link.stats64?.tx.packets ?? 0,
      rxDropped: link.stats64?.rx.dropped ?? 0,
      txDropped: link.stats64?.tx.dropped ?? 0,
    },
  };
}

/** Lists every interface of a namespace, with addresses, driver details and counters, in one `ip` run. */
export async function readInterfaces(namespace: Namespace): Promise<InterfaceInfo[]> {
  const { stdout } = await runCommand(inNamespace(namespace, ['ip', '-json', '-details', '-stats', 'address', 'show']));
  const links = JSON.parse(stdout || '[]') as IpJsonLink[];
  return links.map(toInterfaceInfo);
}
