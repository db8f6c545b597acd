import { type CreateOptions, KokoError, type ParentLink, quote } from '@koko/core';
import type { PlanContext } from '../context';
import { planEndpointSetup } from '../endpoint';
import { type LinkPlan, checkEndpoint, deleteInterfaceStep, describeEndpoint, placementArgs } from './link-plan';

/** What differs between vxlan, vlan and macvlan: the `type ...` arguments and how the link reads. */
export interface ParentLinkShape {
  typeArgs: string[];
  /** Whether the parent is given as `link PARENT` (vlan, macvlan); vxlan names it in `typeArgs` as `dev PARENT`. */
  parentAsLink: boolean;
  label: string;
  /** True when the new interface may not have a larger MTU than its parent (vlan, macvlan). */
  boundedByParentMtu: boolean;
}

/**
 * Plans a link that hangs off a parent interface in the current namespace and lives in the
 * endpoint's namespace. The interface is created with `netns`, so it appears only in its target.
 */
export function planParentLink(context: PlanContext, link: ParentLink, id: string, options: CreateOptions, shape: ParentLinkShape): LinkPlan {
  const parent = context.requireInterface(context.current, link.parent, 'parent interface');
  const namespace = context.namespaceOf(link.endpoint.node);
  checkEndpoint(context, link.endpoint, namespace);
  if (shape.boundedByParentMtu && link.mtu !== undefined && link.mtu > parent.mtu) {
    throw new KokoError('invalid', `MTU ${link.mtu} is larger than the MTU ${parent.mtu} of parent interface ${quote(link.parent)}; use ${parent.mtu} or less`);
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
    },
    setup: planEndpointSetup(context, link.endpoint, namespace, id),
    interfaces: [{ namespace: namespace.label, ifname: name }],
  };
}
