import type { z } from 'zod';
import { KokoError } from './errors';

/** zod's generic issues, whose messages do not name the field; koko's own messages always do. */
const GENERIC_ISSUES = new Set(['invalid_type', 'unrecognized_keys', 'invalid_union']);

/** Joins zod issues into one message, prefixing the field path where the message lacks it. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (!GENERIC_ISSUES.has(issue.code) || issue.path.length === 0) return issue.message;
      return `${issue.path.join('.')}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses `input` with `schema`, throwing a KokoError with every problem named when it is invalid. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw new KokoError('invalid', formatIssues(result.error), first?.path.join('.') || undefined);
}
