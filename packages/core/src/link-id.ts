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

export function kokoTag(linkId: string): string {
  return `${KOKO_TAG_PREFIX}${linkId}`;
}

/** Returns the link id inside a koko interface alias, or undefined for any other alias. */
export function linkIdFromTag(alias: string | undefined): string | undefined {
  if (!alias?.startsWith(KOKO_TAG_PREFIX)) return undefined;
  const id = alias.slice(KOKO_TAG_PREFIX.length);
  return linkIdProblem(id) ? undefined : id;
}
