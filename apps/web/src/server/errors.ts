import { TRPC_CODE_OF } from '@koko/agent-api';
import { formatIssues, isKokoError, type KokoErrorCode } from '@koko/core';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';

/** Fields a controller error carries besides tRPC's code, in `error.data` on the client. */
export interface ControllerErrorData {
  /** koko's error category, when the error came from koko's checks, the database or an agent. */
  kokoCode: KokoErrorCode | null;
  /** Dotted path of the input field at fault, such as `a.ifname`, when one is known. */
  field: string | null;
}

function pathOf(error: ZodError): string | null {
  const path = error.issues[0]?.path.join('.');
  return path ? path : null;
}

/**
 * Turns what a procedure threw into a TRPCError: a KokoError keeps its message and gets the code
 * of its category, invalid input gets every problem with its field. Other errors pass unchanged.
 */
export function toTRPCError(error: unknown): unknown {
  if (error instanceof TRPCError) {
    if (isKokoError(error.cause) || error.cause instanceof ZodError) return toTRPCError(error.cause);
    return error;
  }
  if (isKokoError(error)) return new TRPCError({ code: TRPC_CODE_OF[error.code], message: error.message, cause: error });
  if (error instanceof ZodError) {
    const field = pathOf(error);
    return new TRPCError({ code: 'BAD_REQUEST', message: `invalid input: ${formatIssues(error)}${field ? ` (field ${field})` : ''}`, cause: error });
  }
  return error;
}

/** Builds the `data` fields an error response adds to tRPC's own. */
export function controllerErrorData(error: TRPCError): ControllerErrorData {
  const cause = error.cause;
  if (isKokoError(cause)) return { kokoCode: cause.code, field: cause.field ?? null };
  if (cause instanceof ZodError) return { kokoCode: 'invalid', field: pathOf(cause) };
  return { kokoCode: null, field: null };
}

/** Returns the message of anything thrown, for logs and history. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
