import { type CreateOptions, VXLAN_OVERHEAD, VXLAN_OVERHEAD_IPV6, type VxlanLink, ipFamily } from '@koko/core';
import type { PlanContext } from '../context';
import type { LinkPlan } from './link-plan';
import { planParentLink } from './parent-link';

/**
 * Plans a vxlan end. Its UDP socket stays in the current namespace, on the parent, while the
 * interface itself lives in the endpoint's namespace. Without an MTU the kernel derives one from
 * the parent's, less the encapsulation overhead. A larger MTU is rejected, because the kernel would
 * silently lower it.
 */
export function planVxlan(context: PlanContext, link: VxlanLink, id: string, options: CreateOptions): LinkPlan {
  return planParentLink(context, link, id, options, {
    typeArgs: ['id', String(link.vni), 'remote', link.remote, 'dstport', String(link.port), 'dev', link.parent],
    parentAsLink: false,
    label: `VNI ${link.vni}, remote ${link.remote}, UDP port ${link.port}`,
    maxMtu: (parentMtu) => parentMtu - (ipFamily(link.remote) === 6 ? VXLAN_OVERHEAD_IPV6 : VXLAN_OVERHEAD),
  });
}
