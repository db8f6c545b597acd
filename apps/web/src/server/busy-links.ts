import { KokoError } from '@koko/core';

/**
 * Links that a request is changing right now in this process. A second change to the same link
 * is rejected instead of interleaving agent calls, and drift checks leave busy links alone, since
 * an inventory read halfway through a change would report a half-made link.
 */
export class BusyLinks {
  readonly #busy = new Map<string, string>();

  has(linkId: string): boolean {
    return this.#busy.has(linkId);
  }

  /** Runs `work` with every link of `linkIds` marked busy for `operation`; throws a conflict when one already is. */
  async run<T>(linkIds: string[], operation: string, work: () => Promise<T>): Promise<T> {
    const taken = linkIds.find((id) => this.#busy.has(id));
    if (taken !== undefined) {
      throw new KokoError('conflict', `link ${taken} is being changed by another request (${this.#busy.get(taken)}); try again once it finishes`);
    }
    const unique = [...new Set(linkIds)];
    for (const id of unique) this.#busy.set(id, operation);
    try {
      return await work();
    } finally {
      for (const id of unique) this.#busy.delete(id);
    }
  }
}
