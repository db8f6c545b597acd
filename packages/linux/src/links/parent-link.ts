import { type CreateOptions, KokoError, type ParentLink, kokoTag, quote } from '@koko/core';
import type { PlanContext } from '../context';
import { planEndpointSetup } from '../endpoint';
import { type LinkPlan, checkEndpoint, deleteInterfaceStep, describeEndpoint, placementArgs, plannedInterface } from './link-plan';

/** The parts that differ between vxlan, vlan and macvlan: the `type ...` arguments, the parent and the MTU limit. */
export interface ParentLinkShape {
  typeArgs: string[];
  /** Whether the parent is given as `link PARENT` (vlan, macvlan); vxlan names it in `typeArgs` as `dev PARENT`. */
  parentAsLink: boolean;
  label: string;
  /** Added to the kernel's message when creating the interface fails. */
  createHint?: string;
  /** The largest MTU the new interface can carry over a parent with MTU `parentMtu`. */
  maxMtu: (parentMtu: number) => number;
}

/**
 * Plans a link that hangs off a parent interface in the current namespace and lives in the
 * endpoint's namespace. The interface is created with `netns`, so it appears only in its target.
 */
export function planParentLink(context: PlanContext, link: ParentLink, id: string, options: CreateOptions, shape: ParentLinkShape): LinkPlan {
  const parent = context.requireInterface(context.current, link.parent, 'parent interface', 'a parent in another namespace needs koko to run there, for example: ip netns exec NAME koko ...');
  if (link.kind !== 'vxlan' && parent.name === 'lo') {
    // vlan and macvlan need an Ethernet device under them. A vxlan only sends its packets through the parent, so lo works there.
    throw new KokoError('invalid', `${link.kind} needs an Ethernet parent, and ${quote(link.parent)} is the loopback interface; give a veth, bridge or physical interface`);
  }
  const namespace = context.namespaceOf(link.endpoint.node);
  checkEndpoint(context, link.endpoint, namespace);
  const maxMtu = shape.maxMtu(parent.mtu);
  if (link.mtu !== undefined && link.mtu > maxMtu) {
    const limit = maxMtu === parent.mtu ? `the MTU ${parent.mtu}` : `${maxMtu}, the most a ${link.kind} over MTU ${parent.mtu}`;
    throw new KokoError(
      'invalid',
      `MTU ${link.mtu} is larger than ${limit} of parent interface ${quote(link.parent)} can carry; use ${maxMtu} or less, or raise the MTU of ${link.parent}`,
    );
  }

  const name = link.endpoint.ifname;
  return {
    id,
    kind: link.kind,
    summary: `${link.kind} ${id}: ${describeEndpoint(link.endpoint, namespace)} on ${link.parent} (${shape.label})`,
    create: {
      namespace: context.current,
      tool: 'ip',
      args: ['link', 'add', ...(shape.parentAsLink ? ['link', link.parent] : []), 'name', ...placementArgs(name, namespace, link.mtu, options), 'type', link.kind, ...shape.typeArgs],
      description: `create ${link.kind} ${name} on ${link.parent} in ${namespace.label}`,
      undo: deleteInterfaceStep(namespace, name),
      ...(shape.createHint ? { hint: shape.createHint } : {}),
    },
    setup: planEndpointSetup(context, link.endpoint, namespace, kokoTag(id)),
    interfaces: [plannedInterface(link.endpoint, namespace)],
  };
}
