import { endpointSchema, mtuSchema, quote } from '@koko/core';

export type LinkSide = 'a' | 'b';

/** The connect form's values for one end of the new link. */
export interface EndFormValues {
  nodeId: string;
  /** Shown in messages: the container or netns name. */
  nodeName: string;
  ifname: string;
  /** Addresses as typed: separated by commas, spaces or new lines; may be empty. */
  addresses: string;
  /** Interfaces the node has now, to catch a name that is taken before asking the agent. */
  existingInterfaces: readonly string[];
}

export interface LinkFormValues {
  a: EndFormValues;
  b: EndFormValues;
  /** Empty for the kernel's default. */
  mtu: string;
}

export type LinkFormField = 'a.ifname' | 'a.addresses' | 'b.ifname' | 'b.addresses' | 'mtu' | 'form';
export type LinkFormErrors = Partial<Record<LinkFormField, string>>;

/** The input of `links.connect` and `links.plan`. */
export interface ConnectInput {
  labId?: string;
  a: { nodeId: string; ifname: string; addresses: string[] };
  b: { nodeId: string; ifname: string; addresses: string[] };
  mtu?: number;
}

export type LinkFormResult = { ok: true; input: ConnectInput } | { ok: false; errors: LinkFormErrors };

/** Splits the address box into entries: commas, spaces and line breaks all separate. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Checks one end with the same zod schema the agent applies, and returns its canonical values. */
function validateEnd(side: LinkSide, end: EndFormValues, errors: LinkFormErrors): ConnectInput['a'] | undefined {
  const ifname = end.ifname.trim();
  const parsed = endpointSchema.safeParse({ node: { kind: 'current' }, ifname, addresses: splitAddresses(end.addresses) });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field: LinkFormField = issue.path[0] === 'ifname' ? `${side}.ifname` : `${side}.addresses`;
      errors[field] ??= issue.message;
    }
    return undefined;
  }

  if (end.existingInterfaces.includes(ifname)) {
    errors[`${side}.ifname`] = `interface ${quote(ifname)} already exists in ${quote(end.nodeName)}; pick another name`;
    return undefined;
  }
  return { nodeId: end.nodeId, ifname: parsed.data.ifname, addresses: parsed.data.addresses };
}

/** Returns the addresses that both ends would carry, which would make the link unusable. */
function sharedAddresses(a: readonly string[], b: readonly string[]): string[] {
  const hostPart = (text: string) => text.split('/')[0];
  const inB = new Set(b.map(hostPart));
  return a.filter((text) => inB.has(hostPart(text)));
}

/**
 * Validates the connect form with koko's rules (interface names, addresses, MTU) plus the checks
 * that need both ends: distinct names on one node, no address on both ends, no name the node
 * already has. Returns the input for `links.connect`, or one message per field.
 */
export function validateLinkForm(values: LinkFormValues): LinkFormResult {
  const errors: LinkFormErrors = {};
  const a = validateEnd('a', values.a, errors);
  const b = validateEnd('b', values.b, errors);

  let mtu: number | undefined;
  const mtuText = values.mtu.trim();
  if (mtuText !== '') {
    const parsed = mtuSchema.safeParse(Number.isNaN(Number(mtuText)) ? mtuText : Number(mtuText));
    if (parsed.success) mtu = parsed.data;
    else errors.mtu = parsed.error.issues[0]?.message ?? `MTU ${quote(mtuText)} is invalid`;
  }

  if (a && b && values.a.nodeId === values.b.nodeId && a.ifname === b.ifname) {
    errors['b.ifname'] = `both ends are named ${quote(a.ifname)} in ${quote(values.a.nodeName)}; give the second end another name`;
  }
  if (a && b) {
    const shared = sharedAddresses(a.addresses, b.addresses);
    if (shared.length > 0) errors['b.addresses'] = `address ${quote(shared[0]!)} is on both ends; give each end its own address`;
  }

  if (!a || !b || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { a, b, ...(mtu !== undefined && { mtu }) } };
}
