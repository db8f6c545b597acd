import type { Mirror } from '@koko/core';
import type { PlanContext } from './context';
import type { Namespace } from './namespace';
import type { Step } from './plan';

/**
 * First tc filter preference koko tries for mirror filters. Lower numbers run first; 100 places the
 * mirror ahead of filters added without a preference, which the kernel numbers from 49152 down.
 */
export const MIRROR_PREF_BASE = 100;

/**
 * Plans a traffic mirror: a clsact qdisc on the source (unless it has one) and one u32 filter per
 * direction whose mirred action copies every packet out of `target`. clsact, u32 and mirred are used
 * because the prio qdisc and the matchall classifier are missing from some kernels. The action ends
 * with `continue`, so classification goes on to the next filter: several mirrors of one source all
 * see the traffic, and the user's own filters keep working.
 */
export function planMirror(context: PlanContext, namespace: Namespace, mirror: Mirror, target: string): Step[] {
  const steps: Step[] = [];
  const source = mirror.source;
  if (!context.hasClsact(namespace, source)) {
    context.addClsact(namespace, source);
    steps.push({
      namespace,
      tool: 'tc',
      args: ['qdisc', 'add', 'dev', source, 'clsact'],
      description: `add clsact qdisc to ${source}`,
      undo: { namespace, tool: 'tc', args: ['qdisc', 'del', 'dev', source, 'clsact'], description: `remove clsact qdisc from ${source}` },
    });
  }
  const directions = mirror.direction === 'both' ? (['ingress', 'egress'] as const) : [mirror.direction];
  for (const direction of directions) {
    const pref = context.claimFilterPref(namespace, source, direction, MIRROR_PREF_BASE);
    steps.push({
      namespace,
      tool: 'tc',
      args: ['filter', 'add', 'dev', source, direction, 'pref', String(pref), 'protocol', 'all', 'u32', 'match', 'u8', '0', '0', 'action', 'mirred', 'egress', 'mirror', 'dev', target, 'continue'],
      description: `mirror ${direction} traffic of ${source} to ${target}`,
      undo: {
        namespace,
        tool: 'tc',
        args: ['filter', 'del', 'dev', source, direction, 'pref', String(pref)],
        description: `remove ${direction} mirror filter from ${source}`,
      },
    });
  }
  return steps;
}
