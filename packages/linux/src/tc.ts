import { runCommand } from './exec';
import { type Namespace, inNamespace } from './namespace';

interface TcJsonQdisc {
  kind: string;
  dev?: string;
}

interface TcJsonFilter {
  pref: number;
  options?: { actions?: { kind: string; to_dev?: string }[] };
}

/** Lists the devices of a namespace that have a clsact qdisc. */
export async function readClsactDevices(namespace: Namespace): Promise<Set<string>> {
  const { stdout } = await runCommand(inNamespace(namespace, ['tc', '-json', 'qdisc', 'show']));
  const qdiscs = JSON.parse(stdout || '[]') as TcJsonQdisc[];
  return new Set(qdiscs.filter((qdisc) => qdisc.kind === 'clsact' && qdisc.dev).map((qdisc) => qdisc.dev!));
}

/** A tc filter found by its preference, with the devices its mirred actions send to. */
export interface FilterInfo {
  pref: number;
  mirrorsTo: string[];
}

/** Lists the filters on one clsact hook (`ingress` or `egress`) of a device. */
export async function readFilters(namespace: Namespace, device: string, direction: 'ingress' | 'egress'): Promise<FilterInfo[]> {
  const { stdout } = await runCommand(inNamespace(namespace, ['tc', '-json', 'filter', 'show', 'dev', device, direction]));
  const filters = JSON.parse(stdout || '[]') as TcJsonFilter[];
  const byPref = new Map<number, Set<string>>();
  for (const filter of filters) {
    const targets = byPref.get(filter.pref) ?? new Set<string>();
    for (const action of filter.options?.actions ?? []) {
      if (action.kind === 'mirred' && action.to_dev) targets.add(action.to_dev);
    }
    byPref.set(filter.pref, targets);
  }
  return [...byPref].map(([pref, targets]) => ({ pref, mirrorsTo: [...targets] }));
}
