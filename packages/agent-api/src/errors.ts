import { type KokoErrorCode, isKokoError } from '@koko/core';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { MAX_BATCH_ITEMS, MAX_BODY_BYTES } from './schemas';

/** The tRPC error code, and so the HTTP status, for each koko error category. */
export const TRPC_CODE_OF: Record<KokoErrorCode, TRPC_ERROR_CODE_KEY> = {
  invalid: 'BAD_REQUEST',
  conflict: 'CONFLICT',
  'not-found': 'NOT_FOUND',
  unsupported: 'PRECONDITION_FAILED',
  failed: 'INTERNAL_SERVER_ERROR',
};

/** Most input problems the error message lists; `data.issues` always lists every one. */
const MAX_LISTED_ISSUES = 10;

/** One problem with a request's input: the dotted path of the field and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** What an agent error carries besides tRPC's code, in `error.data` on the client. */
export interface AgentErrorData {
  /** koko's error category, when the error came from the engine or from input validation. */
  kokoCode: KokoErrorCode | null;
  /**
   * Dotted path of the input the error is about: the first invalid field (`link.a.ifname`), or
   * for a conflict or a missing node or interface, the item that caused it (`create.1`,
   * `delete.0.node`, `link`).
   */
  field: string | null;
  issues: FieldIssue[];
}

function issuesOf(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
}

function describeIssue(issue: FieldIssue): string {
  return issue.field ? `${issue.field}: ${issue.message}` : issue.message;
}

/**
 * Writes input problems as one message: a single problem on one line, several one per line under
 * a count, because the messages themselves contain `;` and `,`. Long lists are cut to
 * MAX_LISTED_ISSUES lines.
 */
export function formatInputIssues(issues: FieldIssue[]): string {
  if (issues.length === 1) return `invalid input: ${describeIssue(issues[0]!)}`;
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `- ${describeIssue(issue)}`);
  const more = issues.length > MAX_LISTED_ISSUES ? [`- and ${issues.length - MAX_LISTED_ISSUES} more; error.data.issues lists every one`] : [];
  return [`invalid input, ${issues.length} problems:`, ...listed, ...more].join('\n');
}

/** Builds the message of a 413 response, with the size when the request declared it. */
export function bodyTooLargeMessage(declaredBytes?: number): string {
  const size = declaredBytes === undefined ? 'the request body is' : `the request body of ${declaredBytes} bytes is`;
  return `${size} larger than the agent's limit of ${MAX_BODY_BYTES} bytes (${MAX_BODY_BYTES / 1024 / 1024} MiB); send at most ${MAX_BATCH_ITEMS} links or interfaces per request, or split the batch into several requests`;
}

/** Builds the `data` of an error response from the error tRPC caught. */
export function agentErrorData(error: TRPCError): AgentErrorData {
  const cause = error.cause;
  if (cause instanceof ZodError) {
    const issues = issuesOf(cause);
    return { kokoCode: 'invalid', field: issues[0]?.field || null, issues };
  }
  if (isKokoError(cause)) {
    return { kokoCode: cause.code, field: cause.field ?? null, issues: cause.field ? [{ field: cause.field, message: cause.message }] : [] };
  }
  return { kokoCode: null, field: null, issues: [] };
}

/** The message of an error response: every input problem with its field, or the error's own message. */
export function agentErrorMessage(error: TRPCError): string {
  if (error.cause instanceof ZodError) return formatInputIssues(issuesOf(error.cause));
  if (error.code === 'PAYLOAD_TOO_LARGE') return bodyTooLargeMessage();
  return error.message;
}

/** Turns a KokoError from the engine into a TRPCError with the matching code; other errors pass unchanged. */
export function toTRPCError(error: unknown): unknown {
  if (!isKokoError(error)) return error;
  return new TRPCError({ code: TRPC_CODE_OF[error.code], message: error.message, cause: error });
}
