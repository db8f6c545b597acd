import type { CreateOptions, MacvlanLink } from '@koko/core';
import type { PlanContext } from '../context';
import type { LinkPlan } from './link-plan';
import { planParentLink } from './parent-link';

/** Plans a macvlan interface on a parent, placed in the endpoint's namespace. */
export function planMacvlan(context: PlanContext, link: MacvlanLink, id: string, options: CreateOptions): LinkPlan {
  return planParentLink(context, link, id, options, {
    typeArgs: link.mode === 'default' ? [] : ['mode', link.mode],
    parentAsLink: true,
    label: `mode ${link.mode}`,
    maxMtu: (parentMtu) => parentMtu,
    ...(link.mode === 'passthru'
      ? { createHint: `A passthru macvlan needs ${link.parent} to itself: delete the other macvlan interfaces on it, or use another mode` }
      : {}),
  });
}
