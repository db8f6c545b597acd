import { describeNode, type InterfaceRef, isKokoError, KokoError, quote } from '@koko/core';
import { type InterfaceInfo, readInterfaces } from './interfaces';
import { type Namespace, resolveNamespace } from './namespace';

/** The counters of one requested interface, or why they could not be read. */
export type InterfaceStatistics =
  | { ref: InterfaceRef; found: true; namespace: Namespace; info: InterfaceInfo }
  | { ref: InterfaceRef; found: false; error: KokoError };

function asKokoError(error: unknown, fallback: string): KokoError {
  if (isKokoError(error)) return error;
  return new KokoError('not-found', `${fallback}: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Reads the counters of each named interface, reading every namespace once. Returns one entry
 * per ref, in order: a missing node or interface gives that entry a not-found error and leaves
 * the others alone.
 */
export async function readInterfaceStatistics(refs: InterfaceRef[]): Promise<InterfaceStatistics[]> {
  const nodes = new Map(refs.map((ref) => [describeNode(ref.node), ref.node]));
  const namespaces = new Map(
    await Promise.all(
      [...nodes].map(async ([label, node]) => [label, await resolveNamespace(node).catch((error: unknown) => asKokoError(error, `cannot find ${label}`))] as const),
    ),
  );

  const unique = new Map<string, Namespace>();
  for (const namespace of namespaces.values()) if (!isKokoError(namespace)) unique.set(namespace.key, namespace);
  const interfaces = new Map(
    await Promise.all(
      [...unique.values()].map(
        async (namespace) =>
          [namespace.key, await readInterfaces(namespace).catch((error: unknown) => asKokoError(error, `cannot read ${namespace.label}; it may have been removed`))] as const,
      ),
    ),
  );

  return refs.map((ref): InterfaceStatistics => {
    const namespace = namespaces.get(describeNode(ref.node))!;
    if (isKokoError(namespace)) return { ref, found: false, error: namespace };
    const listed = interfaces.get(namespace.key)!;
    if (isKokoError(listed)) return { ref, found: false, error: listed };
    const info = listed.find((entry) => entry.name === ref.ifname);
    if (!info) return { ref, found: false, error: new KokoError('not-found', `interface ${quote(ref.ifname)} not found in ${namespace.label}`) };
    return { ref, found: true, namespace, info };
  });
}
