import type { InterfaceCounters } from '@koko/agent-api';

/** Counters and state of one link end, as the agent read them just now. */
export type EndCounters = InterfaceCounters & { state: string };

/** Details of a link that the panel shows beyond the edge itself. */
export interface LinkDetails {
  mtu: number | null;
  createdBy: string;
  createdAt: string;
  statusChangedAt: string;
  lastError: string | null;
  /** Counters per end, keyed `nodeId/ifname`; null where the agent could not read them. */
  counters: Map<string, EndCounters | null>;
  /** Reasons for missing counters, one message per end that has none. */
  counterErrors: string[];
}

/** The parts of the controller's `links.get` output that the panel reads. */
export interface LinkDetailInput {
  mtu: number | null;
  createdBy: string;
  createdAt: string;
  statusChangedAt: string;
  lastError: string | null;
  endpoints: { nodeId: string; ifname: string }[];
  /** One entry per endpoint, in the same order. */
  stats: { ifname: string; stats: { state: string; counters: InterfaceCounters } | null; error: string | null }[];
}

export function endKey(nodeId: string, ifname: string): string {
  return `${nodeId}/${ifname}`;
}

/** Pairs each end's counters with its node, since two ends of one link may share an interface name. */
export function linkDetailsOf(detail: LinkDetailInput): LinkDetails {
  const counters = new Map<string, EndCounters | null>();
  const counterErrors: string[] = [];
  detail.endpoints.forEach((endpoint, index) => {
    const entry = detail.stats[index];
    const key = endKey(endpoint.nodeId, endpoint.ifname);
    if (entry?.stats) counters.set(key, { state: entry.stats.state, ...entry.stats.counters });
    else {
      counters.set(key, null);
      if (entry?.error) counterErrors.push(`${endpoint.ifname}: ${entry.error}`);
    }
  });
  return {
    mtu: detail.mtu,
    createdBy: detail.createdBy,
    createdAt: detail.createdAt,
    statusChangedAt: detail.statusChangedAt,
    lastError: detail.lastError,
    counters,
    counterErrors,
  };
}
