import { type KokoErrorCode, formatIssues, isKokoError } from '@koko/core';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';

/** The tRPC error code, and so the HTTP status, for each koko error category. */
export const TRPC_CODE_OF: Record<KokoErrorCode, TRPC_ERROR_CODE_KEY> = {
  invalid: 'BAD_REQUEST',
  conflict: 'CONFLICT',
  'not-found': 'NOT_FOUND',
  unsupported: 'PRECONDITION_FAILED',
  failed: 'INTERNAL_SERVER_ERROR',
};

/** One problem with a request's input: the dotted path of the field and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** What an agent error carries besides tRPC's code, in `error.data` on the client. */
export interface AgentErrorData {
  /** koko's error category, when the error came from the engine or from input validation. */
  kokoCode: KokoErrorCode | null;
  /** Dotted path of the first invalid input field, such as `link.a.ifname`. */
  field: string | null;
  issues: FieldIssue[];
}

function issuesOf(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
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
  if (error.cause instanceof ZodError) {
    const fields = issuesOf(error.cause);
    return `invalid input: ${formatIssues(error.cause)}${fields[0]?.field ? ` (field ${fields[0].field})` : ''}`;
  }
  return error.message;
}

/** Turns a KokoError from the engine into a TRPCError with the matching code; other errors pass unchanged. */
export function toTRPCError(error: unknown): unknown {
  if (!isKokoError(error)) return error;
  return new TRPCError({ code: TRPC_CODE_OF[error.code], message: error.message, cause: error });
}
