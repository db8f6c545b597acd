/** Prefix of the interface alias that marks an interface as made by koko: `koko:<link id>`. */
export const KOKO_TAG_PREFIX = 'koko:';

const LINK_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function linkIdProblem(id: string): string | undefined {
  if (!LINK_ID.test(id)) {
    return `link id ${JSON.stringify(id)} is invalid; use 1-32 characters of lower-case letters, digits and -, starting with a letter or digit`;
  }
  return undefined;
}

/** Returns a new random link id: 10 lower-case hex digits (40 bits) from the platform's CSPRNG. */
export function newLinkId(): string {
  const bytes = new Uint8Array(5);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Key of the tag field that names where the mirror filters feeding a veth's far end live. */
const MIRROR_NAMESPACE_FIELD = 'mirror-ns=';

/**
 * Builds the interface alias koko tags an interface with: `koko:<link id>`. The far end of a veth
 * whose other end receives mirrored traffic also records that end's namespace file
 * (`koko:<id>,mirror-ns=/run/netns/lab`), so deleting the far end can remove the mirror filters too.
 */
export function kokoTag(linkId: string, mirrorNamespace?: string): string {
  return `${KOKO_TAG_PREFIX}${linkId}${mirrorNamespace ? `,${MIRROR_NAMESPACE_FIELD}${mirrorNamespace}` : ''}`;
}

/** The parts of a koko interface alias. */
export interface KokoTag {
  linkId: string;
  /** Namespace file of the veth's other end, where mirror filters send traffic to it. */
  mirrorNamespace?: string;
}

/** Parses a koko interface alias; returns undefined for any other alias. */
export function parseKokoTag(alias: string | undefined): KokoTag | undefined {
  if (!alias?.startsWith(KOKO_TAG_PREFIX)) return undefined;
  const [id = '', ...fields] = alias.slice(KOKO_TAG_PREFIX.length).split(',');
  if (linkIdProblem(id)) return undefined;
  const mirrorField = fields.find((field) => field.startsWith(MIRROR_NAMESPACE_FIELD));
  return { linkId: id, ...(mirrorField ? { mirrorNamespace: mirrorField.slice(MIRROR_NAMESPACE_FIELD.length) } : {}) };
}

/** Returns the link id inside a koko interface alias, or undefined for any other alias. */
export function linkIdFromTag(alias: string | undefined): string | undefined {
  return parseKokoTag(alias)?.linkId;
}
