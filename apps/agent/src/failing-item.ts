import { isKokoError, KokoError, type LinkRequest, type NodeRef, withField } from '@koko/core';

/** How a procedure's input names the items of a batch, for `data.field` of an error. */
export interface ItemPaths {
  create(index: number): string;
  delete(index: number): string;
}

/** `applyBatch` and `plan`: `{ create: [...], delete: [...] }`. */
export const BATCH_PATHS: ItemPaths = { create: (index) => `create.${index}`, delete: (index) => `delete.${index}` };
/** `create`: `{ link }`. */
export const CREATE_PATHS: ItemPaths = { create: () => 'link', delete: (index) => `delete.${index}` };
/** `delete`: `{ interfaces: [...] }`. */
export const DELETE_PATHS: ItemPaths = { create: (index) => `create.${index}`, delete: (index) => `interfaces.${index}` };

/** Every node a batch names, with the input path of the first field that names it, deletions first. */
export function nodePaths(creates: LinkRequest[], deletes: { node: NodeRef }[], paths: ItemPaths): { node: NodeRef; field: string }[] {
  const fromDeletes = deletes.map((ref, index) => ({ node: ref.node, field: `${paths.delete(index)}.node` }));
  const fromCreates = creates.flatMap((link, index) => {
    const item = paths.create(index);
    if (link.kind === 'veth') {
      return [
        { node: link.a.node, field: `${item}.a.node` },
        { node: link.b.node, field: `${item}.b.node` },
      ];
    }
    return [{ node: link.endpoint.node, field: `${item}.endpoint.node` }];
  });
  return [...fromDeletes, ...fromCreates];
}

/**
 * Finds the item at which a batch starts to fail with `error`: the shortest prefix whose plan
 * throws the same message, found by bisection. The engine checks items in order and against the
 * items before them (a name used twice fails at its second use), so that prefix ends at the
 * item the message is about. Returns its index. Costs up to log2(n) extra plans, on failure only.
 */
export async function locateFailingItem<T>(items: T[], plan: (prefix: T[]) => Promise<unknown>, error: KokoError): Promise<number> {
  const failsAlike = async (count: number): Promise<boolean> => {
    try {
      await plan(items.slice(0, count));
      return false;
    } catch (caught) {
      return isKokoError(caught) && caught.message === error.message;
    }
  };

  // The whole batch failed alike, so the answer is at most items.length.
  let low = 1;
  let high = items.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (await failsAlike(middle)) high = middle;
    else low = middle + 1;
  }
  return high - 1;
}

/**
 * Runs `plan` on the whole batch. When it throws a KokoError, rethrows it with the input path of
 * the item it is about, so a client can tell which link of a batch failed.
 */
export async function planNamingItem<T, R>(items: T[], plan: (items: T[]) => Promise<R>, pathOf: (index: number) => string): Promise<R> {
  try {
    return await plan(items);
  } catch (error) {
    if (!isKokoError(error)) throw error;
    const index = items.length === 1 ? 0 : await locateFailingItem(items, plan, error);
    throw withField(error, pathOf(index));
  }
}
