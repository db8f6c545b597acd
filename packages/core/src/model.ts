import { z } from 'zod';
import { addressScope, canonicalIP, parseInterfaceAddress } from './address';
import {
  GROUP_MAX,
  MACVLAN_MODES,
  MTU_MAX,
  MTU_MIN,
  PID_MAX,
  PORT_MAX,
  PORT_MIN,
  VLAN_ID_MAX,
  VLAN_ID_MIN,
  VNI_MAX,
  VNI_MIN,
  VXLAN_DEFAULT_PORT,
  IPV6_MIN_MTU,
} from './limits';
import { linkIdProblem } from './link-id';
import { containerRefProblem, interfaceNameProblem, netnsNameProblem, netnsPathProblem, quote } from './names';

/** Wraps a problem-returning check into a zod string schema, so the message reaches the user as is. */
function checkedString(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, context) => {
    const problem = check(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}

function rangedInteger(what: string, min: number, max: number) {
  return z
    .number({
      error: (issue) =>
        issue.input === undefined ? `${what} is missing` : `${what} ${quote(String(issue.input))} is not a number; use a whole number from ${min} to ${max}`,
    })
    .refine((value) => Number.isInteger(value), {
      error: (issue) => `${what} ${String(issue.input)} is not a whole number; use a whole number from ${min} to ${max}`,
    })
    .refine((value) => value >= min && value <= max, {
      error: (issue) => `${what} ${String(issue.input)} is out of range; use a whole number from ${min} to ${max}`,
    });
}

export const interfaceNameSchema = checkedString(interfaceNameProblem);
export const netnsNameSchema = checkedString(netnsNameProblem);
export const containerRefSchema = checkedString(containerRefProblem);
export const netnsPathSchema = checkedString(netnsPathProblem);
export const linkIdSchema = checkedString(linkIdProblem);

export const vniSchema = rangedInteger('VNI', VNI_MIN, VNI_MAX);
export const vlanIdSchema = rangedInteger('VLAN id', VLAN_ID_MIN, VLAN_ID_MAX);
export const portSchema = rangedInteger('UDP port', PORT_MIN, PORT_MAX);
export const mtuSchema = rangedInteger('MTU', MTU_MIN, MTU_MAX);
export const pidSchema = rangedInteger('PID', 1, PID_MAX);
/** Group 0 is the kernel's default group, which every interface starts in, so koko never assigns it. */
export const groupSchema = rangedInteger('interface group', 1, GROUP_MAX);

/** Parses an interface address such as `10.0.0.1/24` into its canonical form. */
export const interfaceAddressSchema = z.string().transform((value, context) => {
  try {
    const parsed = parseInterfaceAddress(value);
    return `${parsed.address}/${parsed.prefix}`;
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** Parses the unicast IP address of a remote VXLAN end into its canonical form. */
export const remoteAddressSchema = z.string().transform((value, context) => {
  const canonical = canonicalIP(value);
  if (!canonical) {
    const hint = value.includes('/') && canonicalIP(value.split('/')[0]!) ? '; give the address without a prefix length' : '';
    context.addIssue({ code: 'custom', message: `remote address ${quote(value)} is not an IPv4 or IPv6 address${hint}` });
    return z.NEVER;
  }
  if (addressScope(canonical) !== 'unicast') {
    context.addIssue({
      code: 'custom',
      message: `remote address ${quote(value)} is not a unicast address; give the underlay address of the other host`,
    });
    return z.NEVER;
  }
  if (/^fe[89ab]/i.test(canonical)) {
    // The kernel refuses a link-local remote with a local address of wider scope.
    context.addIssue({ code: 'custom', message: `remote address ${quote(value)} is an IPv6 link-local address, which vxlan cannot reach; give a global or unique-local address of the other host` });
    return z.NEVER;
  }
  return canonical;
});


export const nodeRefSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('docker'), container: containerRefSchema }),
  z.strictObject({ kind: z.literal('netns'), name: netnsNameSchema }),
  z.strictObject({ kind: z.literal('pid'), pid: pidSchema }),
  z.strictObject({ kind: z.literal('path'), path: netnsPathSchema }),
  z.strictObject({ kind: z.literal('current') }),
]);
export type NodeRef = z.infer<typeof nodeRefSchema>;
export type NodeKind = NodeRef['kind'];

export const MIRROR_DIRECTIONS = ['ingress', 'egress', 'both'] as const;

/** Copies the traffic of `source`, an interface in the endpoint's namespace, onto the new interface. */
export const mirrorSchema = z.strictObject({
  direction: z.enum(MIRROR_DIRECTIONS, { error: (issue) => `mirror direction ${quote(String(issue.input))} is invalid; use ingress, egress or both` }),
  source: interfaceNameSchema,
});
export type Mirror = z.infer<typeof mirrorSchema>;

export const endpointSchema = z
  .strictObject({
    node: nodeRefSchema,
    ifname: interfaceNameSchema,
    addresses: z.array(interfaceAddressSchema).default([]),
    mirror: mirrorSchema.optional(),
  })
  .superRefine((endpoint, context) => {
    const problem = repeatedAddressProblem(endpoint.addresses, endpoint.ifname);
    if (problem) context.addIssue({ code: 'custom', path: ['addresses'], message: problem });
    if (endpoint.mirror && endpoint.mirror.source === endpoint.ifname) {
      context.addIssue({
        code: 'custom',
        path: ['mirror', 'source'],
        message: `interface ${endpoint.ifname} cannot mirror itself; name another interface as the mirror source`,
      });
    }
  });

/**
 * Returns why one interface cannot take all of `addresses` (canonical `address/prefix` texts), or
 * undefined. The kernel keeps the same IPv4 address with two prefix lengths as two entries, but
 * rejects an IPv6 address that the interface already has under any prefix length.
 */
function repeatedAddressProblem(addresses: string[], ifname: string): string | undefined {
  const seen = new Map<string, string>();
  for (const text of addresses) {
    const { family, address } = parseInterfaceAddress(text);
    const key = family === 6 ? address : text;
    const earlier = seen.get(key);
    if (earlier === text) return `address ${quote(text)} is given twice for interface ${quote(ifname)}; give it once`;
    if (earlier) return `addresses ${quote(earlier)} and ${quote(text)} give interface ${quote(ifname)} the same IPv6 address, which the kernel rejects; keep one of them`;
    seen.set(key, text);
  }
  return undefined;
}

export type Endpoint = z.infer<typeof endpointSchema>;
export type EndpointInput = z.input<typeof endpointSchema>;

const linkCommon = {
  id: linkIdSchema.optional(),
  mtu: mtuSchema.optional(),
};

export const vethLinkSchema = z
  .strictObject({ kind: z.literal('veth'), a: endpointSchema, b: endpointSchema, ...linkCommon })
  .superRefine((link, context) => {
    if (sameNodeRef(link.a.node, link.b.node) && link.a.ifname === link.b.ifname) {
      context.addIssue({
        code: 'custom',
        path: ['b', 'ifname'],
        message: `both ends of the veth are ${link.a.ifname} in the same namespace; give the two ends different names`,
      });
    }
  });

export const vxlanLinkSchema = z.strictObject({
  kind: z.literal('vxlan'),
  endpoint: endpointSchema,
  parent: interfaceNameSchema,
  remote: remoteAddressSchema,
  vni: vniSchema,
  port: portSchema.default(VXLAN_DEFAULT_PORT),
  ...linkCommon,
});

export const vlanLinkSchema = z.strictObject({
  kind: z.literal('vlan'),
  endpoint: endpointSchema,
  parent: interfaceNameSchema,
  vlanId: vlanIdSchema,
  ...linkCommon,
});

export const macvlanLinkSchema = z.strictObject({
  kind: z.literal('macvlan'),
  endpoint: endpointSchema,
  parent: interfaceNameSchema,
  mode: z.enum(MACVLAN_MODES, {
    error: (issue) =>
      issue.input === undefined
        ? `macvlan mode is missing; use one of ${MACVLAN_MODES.join(', ')}`
        : `macvlan mode ${quote(String(issue.input))} is invalid; use one of ${MACVLAN_MODES.join(', ')}`,
  }),
  ...linkCommon,
});

/** Returns why an MTU cannot go with these interface addresses (an IPv6 one needs 1280 or more), or undefined. */
export function ipv6MtuProblem(mtu: number | undefined, addresses: readonly string[]): string | undefined {
  if (mtu === undefined || mtu >= IPV6_MIN_MTU) return undefined;
  const ipv6 = addresses.find((address) => address.includes(':'));
  if (ipv6 === undefined) return undefined;
  return `MTU ${mtu} is below ${IPV6_MIN_MTU}, the least an interface with an IPv6 address such as ${ipv6} takes; give an MTU of ${IPV6_MIN_MTU} or more, or leave out the IPv6 addresses`;
}

export const linkRequestSchema = z.discriminatedUnion('kind', [vethLinkSchema, vxlanLinkSchema, vlanLinkSchema, macvlanLinkSchema]).superRefine((link, context) => {
  const ends = link.kind === 'veth' ? [link.a, link.b] : [link.endpoint];
  const problem = ipv6MtuProblem(link.mtu, ends.flatMap((end) => end.addresses));
  if (problem) context.addIssue({ code: 'custom', path: ['mtu'], message: problem });
});
export type LinkRequest = z.infer<typeof linkRequestSchema>;
export type LinkRequestInput = z.input<typeof linkRequestSchema>;
export type LinkKind = LinkRequest['kind'];
export type VethLink = z.infer<typeof vethLinkSchema>;
export type VxlanLink = z.infer<typeof vxlanLinkSchema>;
export type VlanLink = z.infer<typeof vlanLinkSchema>;
export type MacvlanLink = z.infer<typeof macvlanLinkSchema>;
/** A link that joins one endpoint to a parent interface in the current namespace. */
export type ParentLink = VxlanLink | VlanLink | MacvlanLink;

/** Names one interface to delete: the node that owns it and its name. */
export const interfaceRefSchema = z.strictObject({ node: nodeRefSchema, ifname: interfaceNameSchema });
export type InterfaceRef = z.infer<typeof interfaceRefSchema>;

export const createOptionsSchema = z.strictObject({
  /** Interface group for every interface made, so a whole lab goes with one `ip link del group N`. */
  group: groupSchema.optional(),
});
export type CreateOptions = z.infer<typeof createOptionsSchema>;

/** Lists the endpoints of a link: two for a veth, one for the others. */
export function endpointsOf(link: LinkRequest): Endpoint[] {
  return link.kind === 'veth' ? [link.a, link.b] : [link.endpoint];
}

export function sameNodeRef(left: NodeRef, right: NodeRef): boolean {
  return describeNode(left) === describeNode(right);
}

/** Names a node the way messages and the classic syntax do: `container "r1"`, `netns "lab"`. */
export function describeNode(node: NodeRef): string {
  switch (node.kind) {
    case 'docker':
      return `container ${quote(node.container)}`;
    case 'netns':
      return `netns ${quote(node.name)}`;
    case 'pid':
      return `the namespace of PID ${node.pid}`;
    case 'path':
      return `namespace file ${quote(node.path)}`;
    case 'current':
      return 'the current namespace';
  }
}
