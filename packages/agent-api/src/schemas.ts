import { createOptionsSchema, interfaceRefSchema, linkRequestSchema } from '@koko/core';
import { z } from 'zod';

/**
 * Most links or interfaces one request may name. A batch of this size takes a few seconds to
 * apply; a larger one would hold its namespaces' locks for long enough to stall other requests.
 */
export const MAX_BATCH_ITEMS = 5000;

/**
 * Largest request body the agent reads, in bytes (16 MiB). A batch of MAX_BATCH_ITEMS veths with
 * every field filled in is about 4.3 MB of JSON (64-character container names, four IPv6
 * addresses and a mirror on each end, an id and an MTU). The limit leaves more than three times
 * that, and a body of hundreds of megabytes is rejected before the agent reads it into memory.
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const linkList = z.array(linkRequestSchema).max(MAX_BATCH_ITEMS, { error: `too many links; send at most ${MAX_BATCH_ITEMS} per request` });
const interfaceList = z.array(interfaceRefSchema).max(MAX_BATCH_ITEMS, { error: `too many interfaces; name at most ${MAX_BATCH_ITEMS} per request` });

/** One link to create. */
export const createInputSchema = z.strictObject({
  link: linkRequestSchema,
  options: createOptionsSchema.default({}),
});

/** Interfaces to delete; deleting one end of a veth removes both. */
export const deleteInputSchema = z.strictObject({
  interfaces: interfaceList.min(1, { error: 'nothing to delete: name at least one interface' }),
});

/** A batch: deletions run first, then creations. `plan` takes the same input and changes nothing. */
export const changeInputSchema = z
  .strictObject({
    create: linkList.default([]),
    delete: interfaceList.default([]),
    options: createOptionsSchema.default({}),
  })
  .refine((input) => input.create.length + input.delete.length > 0, {
    error: 'the batch is empty; give at least one link in create or one interface in delete',
    path: ['create'],
  });

/** Interfaces whose counters to read. */
export const statsInputSchema = z.strictObject({
  interfaces: interfaceList.min(1, { error: 'name at least one interface to read statistics for' }),
});

export type CreateInput = z.output<typeof createInputSchema>;
export type DeleteInput = z.output<typeof deleteInputSchema>;
export type ChangeInput = z.output<typeof changeInputSchema>;
export type StatsInput = z.output<typeof statsInputSchema>;
