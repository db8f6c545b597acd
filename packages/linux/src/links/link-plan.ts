import type { CreateOptions, Endpoint, LinkKind, Mirror, NodeRef } from '@koko/core';
import { deleteCommandFor } from '@koko/core';
import type { PlanContext } from '../context';
import type { Namespace } from '../namespace';
import type { Step } from '../plan';

/** An interface a plan makes, named by where it lives. */
export interface PlannedInterface {
  /** The namespace's name in messages, such as `container "r1"`. */
  namespace: string;
  node: NodeRef;
  ifname: string;
  addresses: string[];
  mirror?: Mirror;
}

/** The steps of one link: the command that creates its interfaces, then the setup of each end. */
export interface LinkPlan {
  id: string;
  kind: LinkKind;
  summary: string;
  create: Step;
  setup: Step[];
  interfaces: PlannedInterface[];
}

/**
 * Returns the `ip link add` arguments that place a new interface: its name, its target namespace
 * (so it never appears in the current one) and the MTU and group every interface of the link shares.
 */
export function placementArgs(name: string, namespace: Namespace, mtu: number | undefined, options: CreateOptions): string[] {
  return [
    name,
    ...(namespace.file ? ['netns', namespace.file] : []),
    ...(mtu === undefined ? [] : ['mtu', String(mtu)]),
    ...(options.group === undefined ? [] : ['group', String(options.group)]),
  ];
}

/** Claims the endpoint's interface name and checks its mirror source, before any step is planned. */
export function checkEndpoint(context: PlanContext, endpoint: Endpoint, namespace: Namespace): void {
  context.claimName(namespace, endpoint.ifname, deleteCommandFor(endpoint.node, endpoint.ifname));
  if (endpoint.mirror) context.requireInterface(namespace, endpoint.mirror.source, 'mirror source interface');
}

/** Returns the step that undoes a link's creation: deleting the interface also removes its addresses and a veth's peer. */
export function deleteInterfaceStep(namespace: Namespace, name: string): Omit<Step, 'undo'> {
  return { namespace, tool: 'ip', args: ['link', 'delete', 'dev', name], description: `delete ${name}` };
}

export function describeEndpoint(endpoint: Endpoint, namespace: Namespace): string {
  const addresses = endpoint.addresses.length ? ` (${endpoint.addresses.join(', ')})` : '';
  const mirror = endpoint.mirror ? `, mirroring ${endpoint.mirror.direction === 'both' ? 'both directions' : endpoint.mirror.direction} of ${endpoint.mirror.source}` : '';
  return `${endpoint.ifname} in ${namespace.label}${addresses}${mirror}`;
}

export function plannedInterface(endpoint: Endpoint, namespace: Namespace): PlannedInterface {
  return {
    namespace: namespace.label,
    node: endpoint.node,
    ifname: endpoint.ifname,
    addresses: endpoint.addresses,
    ...(endpoint.mirror ? { mirror: endpoint.mirror } : {}),
  };
}
