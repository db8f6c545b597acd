/** How a holder uses a namespace: `exclusive` changes its interfaces, `shared` only relies on them. */
export type LockMode = 'exclusive' | 'shared';

interface Waiter {
  mode: LockMode;
  grant: () => void;
}

interface KeyState {
  sharedHolders: number;
  exclusiveHeld: boolean;
  queue: Waiter[];
}

/** The namespace keys a piece of work needs, split by mode. */
export interface LockRequest {
  exclusive: Iterable<string>;
  shared?: Iterable<string>;
}

/**
 * A readers-writer lock per namespace key. Work that changes a namespace holds its key
 * exclusively, so two plans on one namespace never interleave, while work on other namespaces
 * runs at the same time. Keys are taken one by one in sorted order, so two holders of
 * overlapping sets cannot deadlock, and waiters on one key are served first come, first served.
 */
export class NamespaceLock {
  private readonly keys = new Map<string, KeyState>();

  /** Runs `work` while holding every key of `request`, and releases them when it settles. */
  async run<T>(request: LockRequest, work: () => Promise<T>): Promise<T> {
    const modes = new Map<string, LockMode>();
    for (const key of request.shared ?? []) modes.set(key, 'shared');
    for (const key of request.exclusive) modes.set(key, 'exclusive');
    const ordered = [...modes].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));

    const held: [string, LockMode][] = [];
    try {
      for (const [key, mode] of ordered) {
        await this.acquire(key, mode);
        held.push([key, mode]);
      }
      return await work();
    } finally {
      for (const [key, mode] of held.reverse()) this.release(key, mode);
    }
  }

  /** Number of keys with a holder or a waiter, for tests and logs. */
  get busyKeys(): number {
    return this.keys.size;
  }

  private acquire(key: string, mode: LockMode): Promise<void> {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { sharedHolders: 0, exclusiveHeld: false, queue: [] }));
    if (state.queue.length === 0 && canGrant(state, mode)) {
      take(state, mode);
      return Promise.resolve();
    }
    return new Promise((resolve) => state.queue.push({ mode, grant: resolve }));
  }

  private release(key: string, mode: LockMode): void {
    const state = this.keys.get(key);
    if (!state) return;
    if (mode === 'exclusive') state.exclusiveHeld = false;
    else state.sharedHolders--;

    while (state.queue.length > 0 && canGrant(state, state.queue[0]!.mode)) {
      const next = state.queue.shift()!;
      take(state, next.mode);
      next.grant();
    }
    if (!state.exclusiveHeld && state.sharedHolders === 0 && state.queue.length === 0) this.keys.delete(key);
  }
}

function canGrant(state: KeyState, mode: LockMode): boolean {
  if (state.exclusiveHeld) return false;
  return mode === 'shared' || state.sharedHolders === 0;
}

function take(state: KeyState, mode: LockMode): void {
  if (mode === 'exclusive') state.exclusiveHeld = true;
  else state.sharedHolders++;
}
