import type { CreateOptions, VlanLink } from '@koko/core';
import type { PlanContext } from '../context';
import type { LinkPlan } from './link-plan';
import { planParentLink } from './parent-link';

/** Plans an 802.1Q vlan interface on a parent, placed in the endpoint's namespace. */
export function planVlan(context: PlanContext, link: VlanLink, id: string, options: CreateOptions): LinkPlan {
  return planParentLink(context, link, id, options, {
    typeArgs: ['id', String(link.vlanId)],
    parentAsLink: true,
    label: `VLAN ${link.vlanId}`,
    maxMtu: (parentMtu) => parentMtu,
  });
}
