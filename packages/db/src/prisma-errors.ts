import { KokoError } from '@koko/core';
import { Prisma } from './generated/prisma/client';

interface DriverAdapterCause {
  originalCode?: string;
  originalMessage?: string;
  kind?: string;
  constraint?: { fields?: string[] };
}

/** Returns the SQLite error behind a Prisma error raised through the driver adapter, if there is one. */
function driverCause(error: unknown): DriverAdapterCause | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const meta = error.meta as { driverAdapterError?: { cause?: DriverAdapterCause } } | undefined;
  return meta?.driverAdapterError?.cause;
}

/**
 * Returns the columns of the unique index that `error` violated (for example `['nodeId',
 * 'ifname']`), or undefined when `error` is no unique violation.
 */
export function uniqueViolationFields(error: unknown): string[] | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return undefined;
  const fields = driverCause(error)?.constraint?.fields ?? (error.meta?.target as string[] | undefined);
  return fields ?? [];
}

/** Returns whether `error` violated the unique index on exactly `fields`, in any order. */
export function violatesUnique(error: unknown, fields: string[]): boolean {
  const violated = uniqueViolationFields(error);
  return violated !== undefined && violated.length === fields.length && fields.every((field) => violated.includes(field));
}

function isBusy(error: unknown): boolean {
  const code = driverCause(error)?.originalCode;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (code?.startsWith('SQLITE_BUSY_') ?? false);
}

/** Runs `work` and turns SQLite's "database is locked" into a KokoError that names the fix. */
export async function rethrowBusy<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isBusy(error)) throw error;
    throw new KokoError(
      'failed',
      `database ${JSON.stringify(file)} stayed locked by another process past the busy timeout; retry, or stop the other program writing to it`,
    );
  }
}
