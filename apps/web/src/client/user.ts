/** localStorage key of the display name, so it is asked once per browser. */
export const USER_NAME_KEY = 'koko.displayName';
/** sessionStorage key of the tab's session id, which history stores next to the name. */
export const SESSION_ID_KEY = 'koko.sessionId';
/** The controller's limit for display names, in characters. */
export const MAX_DISPLAY_NAME_LENGTH = 64;

/** Returns why `name` cannot be a display name, or undefined when it can. */
export function displayNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'display name is empty; type the name others should see in the history';
  if (trimmed.length > MAX_DISPLAY_NAME_LENGTH) return `display name is ${trimmed.length} characters long; use at most ${MAX_DISPLAY_NAME_LENGTH}`;
  if (/\p{Cc}/u.test(trimmed)) return 'display name contains a control character; use printable text';
  return undefined;
}

export function readDisplayName(): string | undefined {
  if (typeof window === 'undefined') return undefined;
  return window.localStorage.getItem(USER_NAME_KEY)?.trim() || undefined;
}

export function writeDisplayName(name: string): void {
  window.localStorage.setItem(USER_NAME_KEY, name.trim());
}

/** Returns this tab's session id, making one on first use. */
export function sessionId(): string {
  if (typeof window === 'undefined') return 'server';
  let id = window.sessionStorage.getItem(SESSION_ID_KEY);
  if (!id) {
    id = crypto.randomUUID();
    window.sessionStorage.setItem(SESSION_ID_KEY, id);
  }
  return id;
}

/**
 * Encodes a display name for the `x-koko-user` header. Browsers reject header values outside
 * ISO-8859-1, so the name is percent-encoded (UTF-8) and the controller decodes it.
 */
export function encodeUserHeader(name: string): string {
  return encodeURIComponent(name);
}
