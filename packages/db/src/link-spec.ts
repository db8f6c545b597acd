import { z } from 'zod';
import {
  endpointSchema,
  interfaceNameSchema,
  ipv6MtuProblem,
  linkIdSchema,
  MACVLAN_MODES,
  mtuSchema,
  portSchema,
  quote,
  remoteAddressSchema,
  sameNodeRef,
  vlanIdSchema,
  vniSchema,
  type NodeRef,
} from '@koko/core';
import { hostNameSchema } from './names';

export const LINK_KINDS = ['veth', 'vxlan', 'vlan', 'macvlan'] as const;
export type LinkKindName = (typeof LINK_KINDS)[number];

export const LINK_STATUSES = ['pending', 'up', 'failed', 'drifted'] as const;
export type LinkStatusName = (typeof LINK_STATUSES)[number];

/** One end of a stored link: the core endpoint plus the host it is on and, for parent links, the parent interface there. */
export const endpointSpecSchema = endpointSchema.safeExtend({
  host: hostNameSchema,
  parent: interfaceNameSchema.optional(),
});
export type EndpointSpec = z.infer<typeof endpointSpecSchema>;
export type EndpointSpecInput = z.input<typeof endpointSpecSchema>;

const linkFields = {
  kind: z.enum(LINK_KINDS, { error: (issue) => `link kind ${quote(String(issue.input))} is invalid; use one of ${LINK_KINDS.join(', ')}` }),
  a: endpointSpecSchema,
  b: endpointSpecSchema.optional(),
  mtu: mtuSchema.optional(),
  vni: vniSchema.optional(),
  port: portSchema.optional(),
  remote: remoteAddressSchema.optional(),
  vlanId: vlanIdSchema.optional(),
  macvlanMode: z.enum(MACVLAN_MODES, { error: (issue) => `macvlan mode ${quote(String(issue.input))} is invalid; use one of ${MACVLAN_MODES.join(', ')}` }).optional(),
};

type LinkShape = z.infer<z.ZodObject<typeof linkFields>>;

/** Fields that only some kinds take, and the kinds that take them. */
const KIND_ONLY_FIELDS = {
  vni: ['vxlan'],
  port: ['vxlan'],
  remote: ['vxlan'],
  vlanId: ['vlan'],
  macvlanMode: ['macvlan'],
} as const satisfies Record<string, readonly LinkKindName[]>;

/** Adds an issue for every rule of `link.kind` that `link` breaks. */
function checkLinkShape(link: LinkShape, context: z.RefinementCtx): void {
  const problem = (path: string[], message: string) => context.addIssue({ code: 'custom', path, message });

  for (const [field, kinds] of Object.entries(KIND_ONLY_FIELDS)) {
    if (link[field as keyof typeof KIND_ONLY_FIELDS] !== undefined && !(kinds as readonly string[]).includes(link.kind)) {
      problem([field], `${field} applies to ${kinds.join(' and ')} links only; remove it from this ${link.kind} link`);
    }
  }

  const mtuProblem = ipv6MtuProblem(link.mtu, [...link.a.addresses, ...(link.b?.addresses ?? [])]);
  if (mtuProblem) problem(['mtu'], mtuProblem);

  if (link.kind === 'veth') {
    checkVeth(link, problem);
    return;
  }

  if (link.a.parent === undefined) problem(['a', 'parent'], `a ${link.kind} link needs the parent interface on host ${quote(link.a.host)}; give one such as eth0`);
  if (link.kind === 'vxlan') {
    checkVxlan(link, problem);
    return;
  }
  if (link.b !== undefined) problem(['b'], `a ${link.kind} link has one end; remove the second endpoint`);
  if (link.kind === 'vlan' && link.vlanId === undefined) problem(['vlanId'], 'a vlan link needs a VLAN id from 1 to 4094');
}

function checkVeth(link: LinkShape, problem: (path: string[], message: string) => void): void {
  const { a, b } = link;
  if (b === undefined) {
    problem(['b'], 'a veth link needs two endpoints; give the second one');
    return;
  }
  if (a.host !== b.host) {
    problem(['b', 'host'], `a veth joins two nodes on one host, but the ends are on ${quote(a.host)} and ${quote(b.host)}; use a vxlan link between hosts`);
  }
  if (a.parent !== undefined) problem(['a', 'parent'], 'a veth has no parent interface; remove it');
  if (b.parent !== undefined) problem(['b', 'parent'], 'a veth has no parent interface; remove it');
  if (a.host === b.host && sameNodeRef(a.node, b.node) && a.ifname === b.ifname) {
    problem(['b', 'ifname'], `both ends of the veth are ${quote(a.ifname)} in the same node; give the two ends different names`);
  }
}

function checkVxlan(link: LinkShape, problem: (path: string[], message: string) => void): void {
  const { a, b } = link;
  if (b === undefined) {
    if (link.remote === undefined) {
      problem(['remote'], 'a vxlan link needs either a second endpoint on another host or the remote underlay address of an end koko does not manage');
    }
    return;
  }
  if (link.remote !== undefined) problem(['remote'], 'a vxlan link between two koko hosts takes the remote addresses from the hosts; remove remote');
  if (b.parent === undefined) problem(['b', 'parent'], `a vxlan link needs the parent interface on host ${quote(b.host)}; give one such as eth0`);
  if (a.host === b.host) problem(['b', 'host'], `both ends of the vxlan are on host ${quote(a.host)}; join nodes on one host with a veth`);
}

/** A link to create: id and VNI are optional, and the database picks them when missing. */
export const linkDraftSchema = z.object({ id: linkIdSchema.optional(), ...linkFields }).superRefine(checkLinkShape);
export type LinkDraft = z.infer<typeof linkDraftSchema>;
export type LinkDraftInput = z.input<typeof linkDraftSchema>;

/** Desired state of a stored link, as history snapshots, restore plans and lab files contain it. */
export const linkSpecSchema = z.object({ id: linkIdSchema, ...linkFields }).superRefine((link, context) => {
  checkLinkShape(link, context);
  if (link.kind === 'vxlan' && link.vni === undefined) context.addIssue({ code: 'custom', path: ['vni'], message: 'a stored vxlan link has a VNI' });
});
export type LinkSpec = z.infer<typeof linkSpecSchema>;

/** The (kind, name) columns that identify a node on its host. */
export interface NodeKey {
  kind: NodeRef['kind'];
  name: string;
}

export function nodeKeyOf(node: NodeRef): NodeKey {
  switch (node.kind) {
    case 'docker':
      return { kind: 'docker', name: node.container };
    case 'netns':
      return { kind: 'netns', name: node.name };
    case 'pid':
      return { kind: 'pid', name: String(node.pid) };
    case 'path':
      return { kind: 'path', name: node.path };
    case 'current':
      return { kind: 'current', name: '' };
  }
}

export function nodeRefOf(key: NodeKey): NodeRef {
  switch (key.kind) {
    case 'docker':
      return { kind: 'docker', container: key.name };
    case 'netns':
      return { kind: 'netns', name: key.name };
    case 'pid':
      return { kind: 'pid', pid: Number(key.name) };
    case 'path':
      return { kind: 'path', path: key.name };
    case 'current':
      return { kind: 'current' };
  }
}

/** Text key of a node on a host, for maps: `h1/docker/r1`. */
export function nodeKeyText(host: string, node: NodeRef): string {
  const key = nodeKeyOf(node);
  return `${host}/${key.kind}/${key.name}`;
}

function canonicalEndpoint(endpoint: EndpointSpec): EndpointSpec {
  return {
    host: endpoint.host,
    node: nodeRefOf(nodeKeyOf(endpoint.node)),
    ifname: endpoint.ifname,
    addresses: [...endpoint.addresses],
    ...(endpoint.parent !== undefined && { parent: endpoint.parent }),
    ...(endpoint.mirror !== undefined && { mirror: { direction: endpoint.mirror.direction, source: endpoint.mirror.source } }),
  };
}

/** Copies `spec` with its keys in one fixed order and without undefined fields, so equal specs give equal JSON. */
export function canonicalLinkSpec(spec: LinkSpec): LinkSpec {
  return {
    id: spec.id,
    kind: spec.kind,
    a: canonicalEndpoint(spec.a),
    ...(spec.b !== undefined && { b: canonicalEndpoint(spec.b) }),
    ...(spec.mtu !== undefined && { mtu: spec.mtu }),
    ...(spec.vni !== undefined && { vni: spec.vni }),
    ...(spec.port !== undefined && { port: spec.port }),
    ...(spec.remote !== undefined && { remote: spec.remote }),
    ...(spec.vlanId !== undefined && { vlanId: spec.vlanId }),
    ...(spec.macvlanMode !== undefined && { macvlanMode: spec.macvlanMode }),
  };
}

export function sameLinkSpec(left: LinkSpec, right: LinkSpec): boolean {
  return JSON.stringify(canonicalLinkSpec(left)) === JSON.stringify(canonicalLinkSpec(right));
}

/** Lists the ends of a link: two for a veth or a vxlan between hosts, one otherwise. */
export function endpointsOfSpec<E>(link: { a: E; b?: E | undefined }): E[] {
  return link.b === undefined ? [link.a] : [link.a, link.b];
}
