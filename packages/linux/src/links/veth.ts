import type { CreateOptions, VethLink } from '@koko/core';
import type { PlanContext } from '../context';
import { planEndpointSetup } from '../endpoint';
import { type LinkPlan, checkEndpoint, deleteInterfaceStep, describeEndpoint, placementArgs } from './link-plan';

/**
 * Plans a veth pair. One `ip link add` creates both ends directly in their target namespaces, so
 * no end is ever left in the current namespace if anything later fails.
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
        'link', 'add',
        ...placementArgs(link.a.ifname, namespaceA, link.mtu, options),
        'type', 'veth', 'peer', 'name',
        ...placementArgs(link.b.ifname, namespaceB, link.mtu, options),
      ],
      description: `create veth ${link.a.ifname} (${namespaceA.label}) with peer ${link.b.ifname} (${namespaceB.label})`,
      undo: deleteInterfaceStep(namespaceA, link.a.ifname),
    },
    setup: [...planEndpointSetup(context, link.a, namespaceA, id), ...planEndpointSetup(context, link.b, namespaceB, id)],
    interfaces: [
      { namespace: namespaceA.label, ifname: link.a.ifname },
      { namespace: namespaceB.label, ifname: link.b.ifname },
    ],
  };
}
