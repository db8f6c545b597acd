/**
 * Splits `items` into slices small enough for one query. Prisma 6.19.3 rejects a SQLite query
 * with more bound parameters than SQLite's default limit of 999, so long `in` lists go in slices.
 */
export function slices<T>(items: T[], size = 500): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
