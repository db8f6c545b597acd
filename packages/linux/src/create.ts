import {
  type CreateOptions,
  KokoError,
  type LinkRequest,
  type LinkRequestInput,
  type NodeRef,
  createOptionsSchema,
  describeNode,
  endpointsOf,
  linkRequestSchema,
  newLinkId,
  parseInterfaceAddress,
  parseOrThrow,
} from '@koko/core';
import { PlanContext } from './context';
import type { InterfaceInfo } from './interfaces';
import { readManyNamespaces, type ReaderLookup } from './inventory';
import { requireIPv6, requireLinkKind, requireMirrorSupport } from './kernel';
import type { LinkPlan } from './links/link-plan';
import { planMacvlan } from './links/macvlan';
import { planVeth } from './links/veth';
import { planVlan } from './links/vlan';
import { planVxlan } from './links/vxlan';
import { type Namespace, currentNamespace, resolveNamespace } from './namespace';
import type { Plan, Step } from './plan';
import { readClsactDevices, readFilters } from './tc';

/** A plan that creates links, with what each link will be. */
export interface CreatePlan extends Plan {
  links: LinkPlan[];
}

function planLink(context: PlanContext, link: LinkRequest, id: string, options: CreateOptions): LinkPlan {
  switch (link.kind) {
    case 'veth':
      return planVeth(context, link, id, options);
    case 'vxlan':
      return planVxlan(context, link, id, options);
    case 'vlan':
      return planVlan(context, link, id, options);
    case 'macvlan':
      return planMacvlan(context, link, id, options);
  }
}

/** Resolves every distinct node once, in parallel; Docker lookups are the slow part. */
async function resolveNodes(nodes: NodeRef[]): Promise<Map<string, Namespace>> {
  const unique = new Map(nodes.map((node) => [describeNode(node), node]));
  const entries = await Promise.all([...unique].map(async ([label, node]) => [label, await resolveNamespace(node)] as const));
  return new Map(entries);
}

async function checkKernel(links: LinkRequest[]): Promise<void> {
  for (const kind of new Set(links.map((link) => link.kind))) await requireLinkKind(kind);
  const endpoints = links.flatMap(endpointsOf);
  if (endpoints.some((endpoint) => endpoint.mirror)) await requireMirrorSupport();
  if (endpoints.some((endpoint) => endpoint.addresses.some((address) => parseInterfaceAddress(address).family === 6))) requireIPv6();
}

/** Reads the tc state that mirror planning needs: clsact devices and filter preferences of each source. */
async function readMirrorState(links: LinkRequest[], namespaces: Map<string, Namespace>) {
  const clsact = new Map<string, Set<string>>();
  const prefs = new Map<string, number[]>();
  for (const endpoint of links.flatMap(endpointsOf)) {
    if (!endpoint.mirror) continue;
    const namespace = namespaces.get(describeNode(endpoint.node))!;
    if (!clsact.has(namespace.key)) clsact.set(namespace.key, await readClsactDevices(namespace));
    const source = endpoint.mirror.source;
    if (!clsact.get(namespace.key)!.has(source)) continue;
    for (const direction of ['ingress', 'egress'] as const) {
      const key = `${namespace.key}/${source}/${direction}`;
      if (!prefs.has(key)) prefs.set(key, (await readFilters(namespace, source, direction)).map((filter) => filter.pref));
    }
  }
  return { clsact, prefs };
}

/** Orders setup steps by namespace, and within one namespace sysctl before ip before tc, so each namespace needs one process per tool. */
function orderSetup(steps: Step[]): Step[] {
  const toolOrder = { sysctl: 0, ip: 1, tc: 2 };
  const namespaceOrder = new Map<string, number>();
  for (const step of steps) if (!namespaceOrder.has(step.namespace.key)) namespaceOrder.set(step.namespace.key, namespaceOrder.size);
  return steps
    .map((step, index) => ({ step, index }))
    .sort(
      (left, right) =>
        namespaceOrder.get(left.step.namespace.key)! - namespaceOrder.get(right.step.namespace.key)! ||
        toolOrder[left.step.tool] - toolOrder[right.step.tool] ||
        left.index - right.index,
    )
    .map(({ step }) => step);
}

/** Throws a conflict if an interface in a namespace the plan touches already carries one of `ids`. */
function checkLinkIdsFree(ids: string[], namespaces: Map<string, Namespace>, interfaces: Map<string, InterfaceInfo[]>): void {
  const wanted = new Set(ids);
  for (const [key, entries] of interfaces) {
    const taken = entries.find((entry) => entry.linkId && wanted.has(entry.linkId));
    if (taken) {
      throw new KokoError(
        'conflict',
        `link id ${taken.linkId} is already used by ${taken.name} in ${namespaces.get(key)!.label}; pick another id or leave --id out`,
      );
    }
  }
}

/**
 * Validates link requests, resolves their nodes, checks them against the kernel and the
 * namespaces as they are now, and returns the plan that creates them. Nothing is changed: every
 * problem is raised here, before any step runs. `readerFor` lends running namespace readers for
 * the reads; without one, each namespace is read by processes of its own.
 */
export async function planCreate(requests: LinkRequestInput[], rawOptions: CreateOptions = {}, readerFor?: ReaderLookup): Promise<CreatePlan> {
  const links = requests.map((request) => parseOrThrow(linkRequestSchema, request));
  const options = parseOrThrow(createOptionsSchema, rawOptions);
  const ids = links.map((link) => link.id ?? newLinkId());
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new KokoError('conflict', `link id ${duplicate} is given to more than one link; give each link its own id`);

  const current = await currentNamespace();
  const namespaces = await resolveNodes(links.flatMap(endpointsOf).map((endpoint) => endpoint.node));
  await checkKernel(links);

  const toRead = new Map<string, Namespace>([...namespaces.values()].map((namespace) => [namespace.key, namespace]));
  if (links.some((link) => link.kind !== 'veth')) toRead.set(current.key, current);
  const read = await readManyNamespaces([...toRead.values()], readerFor);
  const interfaces = new Map<string, InterfaceInfo[]>();
  for (const [index, namespace] of [...toRead.values()].entries()) {
    const result = read[index]!;
    if (result instanceof Error) throw result;
    interfaces.set(namespace.key, result);
  }
  const mirrorState = await readMirrorState(links, namespaces);

  checkLinkIdsFree(ids, toRead, interfaces);

  const context = new PlanContext(current, namespaces, interfaces, mirrorState.prefs, mirrorState.clsact);
  const planned = links.map((link, index) => planLink(context, link, ids[index]!, options));
  return {
    summary: planned.map((link) => link.summary),
    steps: [...planned.map((link) => link.create), ...orderSetup(planned.flatMap((link) => link.setup))],
    links: planned,
  };
}
