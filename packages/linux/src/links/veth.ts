import { type CreateOptions, type VethLink, kokoTag } from '@koko/core';
import type { PlanContext } from '../context';
import { planEndpointSetup } from '../endpoint';
import { type LinkPlan, checkEndpoint, deleteInterfaceStep, describeEndpoint, placementArgs, plannedInterface } from './link-plan';

/**
 * Plans a veth pair. One `ip link add` creates both ends directly in their target namespaces, so
 * no end is ever left in the current namespace if anything later fails. When one end receives
 * mirrored traffic, the other end's tag names that end's namespace, so deleting either end can
 * remove the mirror filters.
 * NOTE: a mirrored end in the current namespace has no stable file to record, so deleting the far
 * end then leaves that end's mirror filters in place.
 */
export function planVeth(context: PlanContext, link: VethLink, id: string, options: CreateOptions): LinkPlan {
  const namespaceA = context.namespaceOf(link.a.node);
  const namespaceB = context.namespaceOf(link.b.node);
  checkEndpoint(context, link.a, namespaceA);
  checkEndpoint(context, link.b, namespaceB);

  const summary = `veth ${id}: ${describeEndpoint(link.a, namespaceA)} <-> ${describeEndpoint(link.b, namespaceB)}`;
  return {
    id,
    kind: 'veth',
    summary,
    create: {
      namespace: context.current,
      tool: 'ip',
      args: [
        // 'name' before each name, or ip reads a name such as up, down or help as its own keyword.
        'link', 'add', 'name',
        ...placementArgs(link.a.ifname, namespaceA, link.mtu, options),
        'type', 'veth', 'peer', 'name',
        ...placementArgs(link.b.ifname, namespaceB, link.mtu, options),
      ],
      description: `create veth ${link.a.ifname} (${namespaceA.label}) with peer ${link.b.ifname} (${namespaceB.label})`,
      undo: deleteInterfaceStep(namespaceA, link.a.ifname),
    },
    setup: [
      ...planEndpointSetup(context, link.a, namespaceA, kokoTag(id, link.b.mirror ? namespaceB.file : undefined)),
      ...planEndpointSetup(context, link.b, namespaceB, kokoTag(id, link.a.mirror ? namespaceA.file : undefined)),
    ],
    interfaces: [plannedInterface(link.a, namespaceA), plannedInterface(link.b, namespaceB)],
  };
}
