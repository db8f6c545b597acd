import { type InterfaceRef, KokoError, describeNode, quote } from '@koko/core';
import { type InterfaceInfo, readInterfaces } from './interfaces';
import { type Namespace, resolveNamespace } from './namespace';

export interface InterfaceStatistics {
  ref: InterfaceRef;
  namespace: Namespace;
  info: InterfaceInfo;
}

/**
 * Reads the counters of each named interface, reading every namespace once. Throws a KokoError
 * naming the first interface or node that does not exist.
 */
export async function readInterfaceStatistics(refs: InterfaceRef[]): Promise<InterfaceStatistics[]> {
  const nodes = new Map(refs.map((ref) => [describeNode(ref.node), ref.node]));
  const namespaces = new Map(await Promise.all([...nodes].map(async ([label, node]) => [label, await resolveNamespace(node)] as const)));
  const unique = new Map([...namespaces.values()].map((namespace) => [namespace.key, namespace]));
  const interfaces = new Map(await Promise.all([...unique.values()].map(async (namespace) => [namespace.key, await readInterfaces(namespace)] as const)));

  return refs.map((ref) => {
    const namespace = namespaces.get(describeNode(ref.node))!;
    const info = interfaces.get(namespace.key)!.find((entry) => entry.name === ref.ifname);
    if (!info) throw new KokoError('not-found', `interface ${quote(ref.ifname)} not found in ${namespace.label}`);
    return { ref, namespace, info };
  });
}
