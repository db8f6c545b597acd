import type { ContainerInfo, Inventory, NamespaceInfo } from '@koko/agent-api';
import { containerRefProblem, interfaceAddressProblem, interfaceNameProblem, netnsNameProblem, type NodeRef } from '@koko/core';
import type { NodeObservation } from '@koko/db';

/** Returns whether the database can store `node` as a node row: names the kernel or Docker allow but koko rejects are left out. */
function storableNode(node: NodeRef): boolean {
  if (node.kind === 'docker') return containerRefProblem(node.container) === undefined;
  if (node.kind === 'netns') return netnsNameProblem(node.name) === undefined;
  return true;
}

function interfaceNames(namespace: NamespaceInfo | undefined): string[] {
  return (namespace?.interfaces ?? []).map((info) => info.name).filter((name) => interfaceNameProblem(name) === undefined);
}

/** Lists the addresses of a namespace's interfaces that an interface may take; loopback ones are left out. */
function interfaceAddresses(namespace: NamespaceInfo | undefined): string[] {
  const addresses = (namespace?.interfaces ?? []).flatMap((info) => info.addresses.map((entry) => `${entry.address}/${entry.prefix}`));
  return addresses.filter((address) => interfaceAddressProblem(address) === undefined);
}

/**
 * Turns an agent's inventory into the nodes the database keeps: the agent's own namespace, every
 * named netns and every container, running or not. A container that shares another node's
 * namespace lists that namespace's interfaces.
 */
export function nodeObservationsOf(inventory: Inventory): NodeObservation[] {
  const byKey = new Map(inventory.namespaces.map((namespace) => [namespace.key, namespace]));
  const observations: NodeObservation[] = [];

  for (const namespace of inventory.namespaces) {
    if (namespace.node.kind === 'docker' || namespace.error !== undefined || !storableNode(namespace.node)) continue;
    observations.push({ node: namespace.node, interfaces: interfaceNames(namespace), addresses: interfaceAddresses(namespace) });
  }
  for (const container of inventory.containers) {
    const node: NodeRef = { kind: 'docker', container: container.name };
    if (!storableNode(node)) continue;
    const namespace = container.namespaceKey === undefined ? undefined : byKey.get(container.namespaceKey);
    observations.push({ node, containerId: container.id, state: container.status, interfaces: interfaceNames(namespace), addresses: interfaceAddresses(namespace) });
  }
  return observations;
}

export function findContainer(inventory: Inventory, name: string): ContainerInfo | undefined {
  return inventory.containers.find((container) => container.name === name || container.id === name || container.id.startsWith(name));
}

/** Returns the namespace of `node` in the inventory, or undefined when the inventory does not list it. */
export function findNamespace(inventory: Inventory, node: NodeRef): NamespaceInfo | undefined {
  if (node.kind === 'docker') {
    const key = findContainer(inventory, node.container)?.namespaceKey;
    return key === undefined ? undefined : inventory.namespaces.find((namespace) => namespace.key === key);
  }
  if (node.kind === 'netns') {
    // A netns that is also the agent's own namespace is listed once, as the current namespace.
    return inventory.namespaces.find((namespace) => namespace.file === `/run/netns/${node.name}` || (namespace.node.kind === 'netns' && namespace.node.name === node.name));
  }
  if (node.kind === 'current') return inventory.namespaces.find((namespace) => namespace.node.kind === 'current');
  if (node.kind === 'pid') return inventory.namespaces.find((namespace) => namespace.node.kind === 'pid' && namespace.node.pid === node.pid);
  return inventory.namespaces.find((namespace) => namespace.file === node.path);
}
