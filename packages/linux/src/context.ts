import { KokoError, type NodeRef, describeNode, quote } from '@koko/core';
import type { InterfaceInfo } from './interfaces';
import type { Namespace } from './namespace';

/**
 * The machine as planning reads it: the namespace behind every node of the request, the
 * interfaces each namespace had when it was read, and the names and tc preferences the plan has
 * claimed so far. Planning checks against it, so two links of one request cannot clash either.
 */
export class PlanContext {
  private readonly claimedNames = new Map<string, Set<string>>();
  private readonly claimedPrefs = new Map<string, Set<number>>();

  constructor(
    readonly current: Namespace,
    private readonly namespaces: Map<string, Namespace>,
    private readonly interfaces: Map<string, InterfaceInfo[]>,
    /** Existing tc filter preferences per `namespace key/device/direction`, read only where a mirror needs them. */
    private readonly filterPrefs: Map<string, number[]> = new Map(),
    /** Devices that already have a clsact qdisc, per namespace key. */
    private readonly clsactDevices: Map<string, Set<string>> = new Map(),
  ) {}

  namespaceOf(node: NodeRef): Namespace {
    const namespace = this.namespaces.get(describeNode(node));
    if (!namespace) throw new Error(`internal error: ${describeNode(node)} was not resolved before planning`);
    return namespace;
  }

  interfacesIn(namespace: Namespace): InterfaceInfo[] {
    return this.interfaces.get(namespace.key) ?? [];
  }

  findInterface(namespace: Namespace, name: string): InterfaceInfo | undefined {
    return this.interfacesIn(namespace).find((entry) => entry.name === name);
  }

  /** Reserves `name` in `namespace` for a new interface; throws a conflict if it exists or is taken. */
  claimName(namespace: Namespace, name: string, deleteHint: string): void {
    const existing = this.findInterface(namespace, name);
    if (existing?.linkId !== undefined) {
      throw new KokoError('conflict', `interface ${quote(name)} already exists in ${namespace.label}; pick another name or delete it with: ${deleteHint}`);
    }
    if (existing) {
      // Not koko's: it may be the container's own eth0, so koko does not suggest deleting it.
      throw new KokoError('conflict', `interface ${quote(name)} already exists in ${namespace.label} and koko did not make it; pick another name`);
    }
    let claimed = this.claimedNames.get(namespace.key);
    if (!claimed) this.claimedNames.set(namespace.key, (claimed = new Set()));
    if (claimed.has(name)) {
      throw new KokoError('conflict', `interface ${quote(name)} is used twice in ${namespace.label} by this request; give each interface its own name`);
    }
    claimed.add(name);
  }

  /** Throws a not-found error unless `name` exists in `namespace`; `hint`, when given, ends the message. */
  requireInterface(namespace: Namespace, name: string, role: string, hint?: string): InterfaceInfo {
    const found = this.findInterface(namespace, name);
    if (!found) {
      const known = this.interfacesIn(namespace)
        .map((entry) => entry.name)
        .filter((entry) => entry !== 'lo')
        .slice(0, 8);
      throw new KokoError(
        'not-found',
        `${role} ${quote(name)} not found in ${namespace.label}${known.length ? `; interfaces there: ${known.join(', ')}` : '; it has no interfaces besides lo'}${hint ? `; ${hint}` : ''}`,
      );
    }
    return found;
  }

  hasClsact(namespace: Namespace, device: string): boolean {
    return this.clsactDevices.get(namespace.key)?.has(device) ?? false;
  }

  /** Marks a device as getting a clsact qdisc from this plan, so a second mirror does not add it again. */
  addClsact(namespace: Namespace, device: string): void {
    let devices = this.clsactDevices.get(namespace.key);
    if (!devices) this.clsactDevices.set(namespace.key, (devices = new Set()));
    devices.add(device);
  }

  /** Picks the lowest tc filter preference at or above `base` that neither exists nor is claimed. */
  claimFilterPref(namespace: Namespace, device: string, direction: string, base: number): number {
    const key = `${namespace.key}/${device}/${direction}`;
    let claimed = this.claimedPrefs.get(key);
    if (!claimed) this.claimedPrefs.set(key, (claimed = new Set(this.filterPrefs.get(key) ?? [])));
    let pref = base;
    while (claimed.has(pref)) pref++;
    claimed.add(pref);
    return pref;
  }
}
