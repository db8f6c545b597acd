import type { z } from 'zod';
import { KokoError } from '@koko/core';

/**
 * Parses `value` with `schema` or throws KokoError('invalid') carrying the first problem and
 * where it is, for example `lab file at links.0.a.ifname: interface name "e th1" contains a space`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  if (!issue) throw new KokoError('invalid', `${what} is invalid`);
  const where = issue.path.map(String).join('.');
  throw new KokoError('invalid', `${what}${where ? ` at ${where}` : ''}: ${issue.message}`, where || undefined);
}
