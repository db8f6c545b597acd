import { KokoError, quote, VXLAN_DEFAULT_PORT, type Endpoint, type InterfaceRef, type LinkRequest } from '@koko/core';
import type { EndpointRecord, LinkRecord } from '@koko/db';
import type { AgentHost } from './agents';

/** A registered host as link requests need it: how to call its agent and where other hosts' vxlan ends send to. */
export interface LinkHost extends AgentHost {
  underlay: string | null;
}

/** One agent's part of a link: the request that creates it, and the interface whose deletion removes it again. */
export interface HalfRequest {
  host: AgentHost;
  link: LinkRequest;
  /** Deleting this interface removes what `link` made (a veth takes its peer). */
  undo: InterfaceRef;
  /** Side of the stored link this request makes: `a`, `b`, or `ab` for a veth that makes both. */
  side: 'a' | 'b' | 'ab';
}

function endpointOf(end: EndpointRecord): Endpoint {
  return { node: end.node, ifname: end.ifname, addresses: end.addresses, ...(end.mirror && { mirror: end.mirror }) };
}

function hostOf(hosts: Map<string, LinkHost>, end: EndpointRecord): LinkHost {
  const host = hosts.get(end.hostId);
  if (!host) throw new KokoError('not-found', `host ${quote(end.host)} of the link end ${end.ifname} is not registered; register it again or delete the link`);
  return host;
}

function parentOf(link: LinkRecord, end: EndpointRecord): string {
  if (end.parent === undefined) throw new KokoError('invalid', `the ${link.kind} end ${quote(end.ifname)} of link ${link.id} has no parent interface; delete the link and connect it again`);
  return end.parent;
}

/** Returns the remote of a vxlan end on `from`: the underlay address of the host of the other end. */
function remoteFor(hosts: Map<string, LinkHost>, from: EndpointRecord, to: EndpointRecord): string {
  const remote = hostOf(hosts, to).underlay;
  if (remote === null) {
    throw new KokoError('invalid', `host ${quote(to.host)} has no underlay address, so the vxlan end on host ${quote(from.host)} has no remote; set one with hosts.update`);
  }
  return remote;
}

/**
 * Splits a stored link into the requests its agents run, in order: one for a veth, a vlan, a
 * macvlan or a one-ended vxlan, and one per host for a vxlan between two hosts.
 */
export function halfRequestsOf(link: LinkRecord, hosts: Map<string, LinkHost>): HalfRequest[] {
  const common = { id: link.id, ...(link.mtu !== undefined && { mtu: link.mtu }) };
  const { a, b } = link;

  switch (link.kind) {
    case 'veth': {
      if (!b) throw new KokoError('invalid', `veth link ${link.id} has one end; delete it and connect it again`);
      return [{ host: hostOf(hosts, a), link: { kind: 'veth', ...common, a: endpointOf(a), b: endpointOf(b) }, undo: { node: a.node, ifname: a.ifname }, side: 'ab' }];
    }
    case 'vxlan': {
      const vni = link.vni!;
      const port = link.port ?? VXLAN_DEFAULT_PORT;
      const half = (end: EndpointRecord, remote: string, side: 'a' | 'b'): HalfRequest => ({
        host: hostOf(hosts, end),
        link: { kind: 'vxlan', ...common, endpoint: endpointOf(end), parent: parentOf(link, end), remote, vni, port },
        undo: { node: end.node, ifname: end.ifname },
        side,
      });
      if (!b) {
        if (link.remote === undefined) throw new KokoError('invalid', `vxlan link ${link.id} has one end and no remote address; delete it and connect it again`);
        return [half(a, link.remote, 'a')];
      }
      return [half(a, remoteFor(hosts, a, b), 'a'), half(b, remoteFor(hosts, b, a), 'b')];
    }
    case 'vlan':
      return [
        {
          host: hostOf(hosts, a),
          link: { kind: 'vlan', ...common, endpoint: endpointOf(a), parent: parentOf(link, a), vlanId: link.vlanId! },
          undo: { node: a.node, ifname: a.ifname },
          side: 'a',
        },
      ];
    case 'macvlan':
      return [
        {
          host: hostOf(hosts, a),
          link: { kind: 'macvlan', ...common, endpoint: endpointOf(a), parent: parentOf(link, a), mode: link.macvlanMode ?? 'default' },
          undo: { node: a.node, ifname: a.ifname },
          side: 'a',
        },
      ];
  }
}

/** Names the link and the host of a request in messages: `veth link 3fa2c10b7e on host "h1"`. */
export function describeHalf(link: Pick<LinkRecord, 'id' | 'kind'>, half: HalfRequest): string {
  const side = half.side === 'ab' ? '' : ` (end ${half.side})`;
  return `${link.kind} link ${link.id}${side} on host ${quote(half.host.name)}`;
}
