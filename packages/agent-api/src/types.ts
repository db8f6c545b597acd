import type { LinkKind, NodeRef } from '@koko/core';

/** Interface counters since the interface was made, in bytes and packets. */
export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
  rxDropped: number;
  txDropped: number;
}

export interface InterfaceAddressInfo {
  family: 4 | 6;
  address: string;
  prefix: number;
  scope: string;
}

/** The other end of a veth; the namespace fields are absent when the agent could not tell where it is. */
export interface VethPeerInfo {
  ifindex: number;
  /** Key of the namespace (nsfs device and inode), matching `NamespaceInfo.key`. */
  namespaceKey?: string;
  namespace?: string;
  ifname?: string;
}

export interface InterfaceInfo {
  ifindex: number;
  name: string;
  /** Driver kind (`veth`, `vxlan`, `macvlan`, ...); absent for devices without one, such as lo. */
  kind?: string;
  /** Operational state as the kernel reports it (`UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`). */
  state: string;
  /** Whether the interface is administratively up. */
  up: boolean;
  mtu: number;
  mac?: string;
  alias?: string;
  group: string;
  /** The koko link id from the interface alias, when koko made it. */
  linkId?: string;
  linkIndex?: number;
  linkNetnsId?: number;
  /** Driver parameters as `ip -details -json` prints them: vxlan id, remote and port, vlan id, macvlan mode. */
  parameters: Record<string, unknown>;
  addresses: InterfaceAddressInfo[];
  counters: InterfaceCounters;
  peer?: VethPeerInfo;
}

export interface NamespaceInfo {
  key: string;
  /** Name used in messages: `netns "lab"`, `container "r1"`, `the current namespace`. */
  label: string;
  node: NodeRef;
  file?: string;
  interfaces: InterfaceInfo[];
  /** Read error of a namespace that vanished while it was read; `interfaces` is then empty. */
  error?: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** Docker's state word: running, exited, created, paused, ... */
  status: string;
  running: boolean;
  /** PID of the container's main process, or 0 when it is not running. */
  pid: number;
  labels: Record<string, string>;
  /** Key of the container's namespace while it runs. */
  namespaceKey?: string;
}

export interface Inventory {
  hostId: string;
  /** When the agent read the inventory, in milliseconds since the epoch. */
  readAt: number;
  containers: ContainerInfo[];
  netns: string[];
  namespaces: NamespaceInfo[];
  dockerError?: string;
}

export interface UnderlayInterface {
  name: string;
  state: string;
  mtu: number;
  addresses: InterfaceAddressInfo[];
}

export interface HostInfo {
  /** Random id made on the agent's first start and kept in its state directory. */
  hostId: string;
  hostname: string;
  kernel: string;
  /** Version printed by `ip -V`, such as `6.1.0`. */
  iproute2: string;
  agentVersion: string;
  docker: { reachable: true; version: string } | { reachable: false; error: string };
  /** Interfaces of the agent's namespace with a global address, which vxlan links can use as parent. */
  underlay: UnderlayInterface[];
}

/** A link a plan makes. */
export interface PlannedLink {
  id: string;
  kind: LinkKind;
  summary: string;
  interfaces: { namespace: string; ifname: string }[];
}

/** One process a plan runs: its argv and the lines it reads on standard input. */
export interface PlannedBatch {
  namespace: string;
  argv: string[];
  input?: string[];
}

export interface PlanResult {
  links: PlannedLink[];
  /** One line per interface the batch deletes. */
  deleted: string[];
  steps: number;
  batches: PlannedBatch[];
}

export interface ApplyResult {
  links: PlannedLink[];
  deleted: string[];
  steps: number;
  /** Processes run. */
  batches: number;
  durationMs: number;
}

export interface InterfaceStats {
  /** Position of the interface in the request's `interfaces`. */
  index: number;
  node: NodeRef;
  ifname: string;
  namespace: string;
  state: string;
  up: boolean;
  counters: InterfaceCounters;
}

/** An interface of a stats request that could not be read: it, or its node, does not exist. */
export interface MissingInterface {
  /** Position of the interface in the request's `interfaces`. */
  index: number;
  node: NodeRef;
  ifname: string;
  message: string;
}

/**
 * Counters of the interfaces found, in request order, and the ones not found. The query fails
 * with NOT_FOUND only when none of the interfaces was found.
 */
export interface StatsResult {
  readAt: number;
  interfaces: InterfaceStats[];
  missing: MissingInterface[];
}

export type ContainerAction = 'start' | 'stop' | 'die' | 'destroy';
/** `changed`: the interface's addresses, MTU or alias changed. */
export type InterfaceAction = 'added' | 'removed' | 'up' | 'down' | 'changed';

/** A change on the host, as the change stream sends it. `ready` comes first, once the agent watches everything. */
export type AgentEvent =
  | { type: 'ready'; time: number }
  | { type: 'container'; action: ContainerAction; time: number; id: string; name: string; image: string }
  | {
      type: 'interface';
      action: InterfaceAction;
      time: number;
      namespaceKey: string;
      namespace: string;
      ifname: string;
      ifindex: number;
      kind?: string;
      linkId?: string;
    }
  | { type: 'namespace'; action: 'added' | 'removed'; time: number; namespaceKey: string; namespace: string };
