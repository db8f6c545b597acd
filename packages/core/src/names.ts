/** Longest interface name the kernel accepts, in bytes (IFNAMSIZ minus the terminating NUL). */
export const MAX_INTERFACE_NAME_BYTES = 15;

/** Longest netns name, in bytes: a file name under /run/netns. */
export const MAX_NETNS_NAME_BYTES = 255;

/**
 * Characters koko accepts in interface and netns names. The kernel accepts more, but names end up
 * in `ip -batch` lines and in commands that users copy into a shell, where quotes, `#`, `;` or `$`
 * would change their meaning. Restricting the set keeps every batch line and printed command safe.
 */
const SAFE_NAME = /^[A-Za-z0-9_.@+-]+$/;
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const SAFE_PATH = /^\/[A-Za-z0-9_.@+/-]*$/;

const SAFE_CHARACTERS_HINT = 'use letters, digits and . _ - @ + only';

/** Describes the first character of `value` that `pattern` rejects, for error messages. */
function describeBadCharacter(value: string, pattern: RegExp): string {
  for (const character of value) {
    if (pattern.test(character)) continue;
    if (character === ' ') return 'a space';
    if (character === '\n') return 'a newline';
    if (character === '\t') return 'a tab';
    if (/\s/.test(character)) return 'whitespace';
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return `the control character 0x${code.toString(16).padStart(2, '0')}`;
    return quote(character);
  }
  return 'an unsupported character';
}

/** Quotes a user value for an error message, making control characters visible. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

export function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

/** Returns why `name` is not a valid interface name, or undefined when it is valid. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'interface name is empty; give a name such as eth1';
  if (name === '.' || name === '..') return `interface name ${quote(name)} is reserved; pick another name`;
  if (name.includes('/') || name.includes(':')) {
    return `interface name ${quote(name)} contains ${describeBadCharacter(name, /[^/:]/)}, which the kernel rejects; ${SAFE_CHARACTERS_HINT}`;
  }
  const bytes = utf8Length(name);
  if (bytes > MAX_INTERFACE_NAME_BYTES) {
    return `interface name ${quote(name)} is ${bytes} bytes long; the kernel allows at most ${MAX_INTERFACE_NAME_BYTES}, so pick a shorter name`;
  }
  if (!SAFE_NAME.test(name)) {
    return `interface name ${quote(name)} contains ${describeBadCharacter(name, /[A-Za-z0-9_.@+-]/)}; ${SAFE_CHARACTERS_HINT}`;
  }
  return undefined;
}

/** Returns why `name` is not a valid `ip netns` name, or undefined when it is valid. */
export function netnsNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'netns name is empty; give the name shown by `ip netns list`';
  if (name === '.' || name === '..') return `netns name ${quote(name)} is reserved; pick another name`;
  if (name.includes('/')) return `netns name ${quote(name)} contains "/"; to name a namespace file, use -a <path> instead`;
  if (!SAFE_NAME.test(name)) {
    return `netns name ${quote(name)} contains ${describeBadCharacter(name, /[A-Za-z0-9_.@+-]/)}; ${SAFE_CHARACTERS_HINT}`;
  }
  if (utf8Length(name) > MAX_NETNS_NAME_BYTES) return `netns name ${quote(name)} is longer than ${MAX_NETNS_NAME_BYTES} bytes`;
  return undefined;
}

/** Returns why `ref` is not a valid Docker container name or id, or undefined when it is valid. */
export function containerRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'container name is empty; give a name or id shown by `docker ps`';
  if (!/^[A-Za-z0-9]/.test(ref)) {
    return `container name ${quote(ref)} starts with ${describeBadCharacter(String.fromCodePoint(ref.codePointAt(0)!), /[A-Za-z0-9]/)}; Docker names start with a letter or digit`;
  }
  if (!CONTAINER_NAME.test(ref)) {
    return `container name ${quote(ref)} contains ${describeBadCharacter(ref, /[A-Za-z0-9_.-]/)}; Docker names start with a letter or digit followed by letters, digits, _ . or -`;
  }
  if (ref.length > 255) return `container name ${quote(ref)} is longer than 255 characters`;
  return undefined;
}

/** Returns why `path` cannot name a network namespace file, or undefined when it can. */
export function netnsPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `netns path ${quote(path)} is not absolute; give a path such as /run/netns/lab1 or /proc/1234/ns/net`;
  if (!SAFE_PATH.test(path)) {
    return `netns path ${quote(path)} contains ${describeBadCharacter(path, /[A-Za-z0-9_.@+/-]/)}; ${SAFE_CHARACTERS_HINT} and /`;
  }
  if (path.split('/').some((part) => part === '..')) return `netns path ${quote(path)} contains "..": give the resolved path`;
  return undefined;
}
