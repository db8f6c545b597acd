import { interfaceAddressSchema, interfaceNameSchema, mtuSchema, portSchema, quote } from '@koko/core';
import { agentTokenSchema, HISTORY_ACTIONS, HISTORY_OUTCOMES, hostNameSchema, labNameSchema, labPoolSchema, MAX_HISTORY_PAGE, underlayAddressSchema } from '@koko/db';
import { z } from 'zod';

// One zod schema per procedure input. Field rules come from @koko/core and @koko/db, so a value is
// valid or not in the same way for the command, the agent and the dashboard.

/** Most addresses one link end may take; more would not fit the dashboard's form anyway. */
const MAX_ADDRESSES = 16;

export const idSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'id is missing' : 'id must be text') })
  .min(1, { error: 'id is empty; pass the id from a list' })
  .max(128, { error: 'id is longer than 128 characters; pass the id from a list' });

export const hostIdInput = z.strictObject({ id: idSchema });

/** Agent address: an http(s) base URL, or the path of its unix socket. */
const agentAddressSchema = z.union(
  [
    z.strictObject({
      url: z.url({ protocol: /^https?$/, error: (issue) => `agent URL ${quote(String(issue.input))} is invalid; give one such as http://127.0.0.1:7420` }),
    }),
    z.strictObject({
      socketPath: z.string().startsWith('/', { error: (issue) => `socket path ${quote(String(issue.input))} must be absolute, such as /run/koko/agent.sock` }),
    }),
  ],
  { error: 'agent needs either { url: "http://host:port" } or { socketPath: "/path/to/agent.sock" }' },
);

export const addHostInput = z.strictObject({
  name: hostNameSchema,
  agent: agentAddressSchema,
  token: agentTokenSchema,
  /** Address other hosts' vxlan ends send to; defaults to the first global address the agent reports. */
  underlay: underlayAddressSchema.optional(),
});
export type AddHostInput = z.output<typeof addHostInput>;

export const updateHostInput = z.strictObject({
  id: idSchema,
  agent: agentAddressSchema.optional(),
  token: agentTokenSchema.optional(),
  underlay: underlayAddressSchema.optional(),
});
export type UpdateHostInput = z.output<typeof updateHostInput>;

export function agentUrlOf(agent: z.output<typeof agentAddressSchema>): string {
  return 'url' in agent ? agent.url.replace(/\/+$/, '') : `unix:${agent.socketPath}`;
}

export const topologyInput = z.strictObject({ labId: idSchema.optional() }).default({});

const nodePick = z.strictObject({ nodeId: idSchema });

/** Also an IPv6 pair from the lab's IPv6 pool, when the addresses are filled in. */
const ipv6Schema = z.boolean().optional();

export const suggestInput = z.strictObject({ labId: idSchema.optional(), a: nodePick, b: nodePick, ipv6: ipv6Schema });
export type SuggestInput = z.output<typeof suggestInput>;

const connectEndpoint = z.strictObject({
  nodeId: idSchema,
  /** Name of the new interface; a free name such as eth1 when left out. */
  ifname: interfaceNameSchema.optional(),
  /** Addresses of the new interface. When both ends leave them out, the ends get a free pair from the lab's pool; [] means none. */
  addresses: z.array(interfaceAddressSchema).max(MAX_ADDRESSES, { error: `give at most ${MAX_ADDRESSES} addresses per interface` }).optional(),
});

/** One link of a connect request, without the lab. */
const linkToConnect = z.strictObject({
  a: connectEndpoint,
  b: connectEndpoint,
  /** MTU of both ends. A vxlan pair gets the most its underlays carry when it is left out. */
  mtu: mtuSchema.optional(),
  /** UDP port of a vxlan pair between two hosts; 4789 when left out. A veth has none. */
  port: portSchema.optional(),
  ipv6: ipv6Schema,
});
export type LinkToConnect = z.output<typeof linkToConnect>;

export const connectInput = linkToConnect.extend({ labId: idSchema.optional() });
export type ConnectInput = z.output<typeof connectInput>;

/**
 * Most links one connectMany request may create. Each host gets one agent batch, which the agent
 * caps at 5000 items; 1000 links keep a request to a few seconds of agent work.
 */
export const MAX_CONNECT_MANY = 1000;

export const connectManyInput = z.strictObject({
  labId: idSchema.optional(),
  links: z
    .array(linkToConnect)
    .min(1, { error: 'links is empty; give at least one link to connect' })
    .max(MAX_CONNECT_MANY, { error: `too many links; connect at most ${MAX_CONNECT_MANY} per request` }),
});
export type ConnectManyInput = z.output<typeof connectManyInput>;

export const deleteLinkInput = z.strictObject({
  id: idSchema,
  /** Forget the link even when a host cannot remove its interfaces. */
  force: z.boolean().default(false),
});
export type DeleteLinkInput = z.output<typeof deleteLinkInput>;

export const linkIdInput = z.strictObject({ id: idSchema });

export const savePositionInput = z.strictObject({ nodeId: idSchema, x: z.number(), y: z.number() });

export const createLabInput = z.strictObject({
  name: labNameSchema,
  description: z.string().max(1000, { error: 'lab description is longer than 1000 characters' }).optional(),
  /** Address pools of the lab; each field left out takes its default (IPv4 192.0.2.0/24 in /30 pairs, IPv6 2001:db8::/32 in /64 pairs). */
  pool: labPoolSchema.optional(),
});

export const deleteLabInput = z.strictObject({ id: idSchema, force: z.boolean().default(false) });

export const exportLabInput = z.strictObject({ id: idSchema, format: z.enum(['json', 'script'], { error: 'export format must be "json" or "script"' }).default('json') });

export const importLabInput = z.strictObject({
  /** The exported file: its text, or the parsed object. */
  json: z.union([z.string().min(1, { error: 'the lab file is empty' }), z.record(z.string(), z.unknown())], { error: 'json must be the lab file as text or as an object' }),
  /** Name for the new lab instead of the one in the file. */
  name: labNameSchema.optional(),
  /** Create the links on the hosts right away (default), or only store them as pending. */
  apply: z.boolean().default(true),
});

const TIME_HINT = 'give a time as an ISO string such as 2024-05-01T12:00:00Z, or milliseconds since the epoch';

/** A time given as an ISO string or milliseconds since the epoch. */
const timeSchema = z
  .union(
    [
      z.iso.datetime({ offset: true, error: (issue) => `time ${quote(String(issue.input))} is invalid; ${TIME_HINT}` }),
      z.number({ error: (issue) => `time ${quote(String(issue.input))} is invalid; ${TIME_HINT}` }).int(),
    ],
    { error: (issue) => `time ${quote(String(issue.input))} is invalid; ${TIME_HINT}` },
  )
  .transform((value) => new Date(value));

export const historyListInput = z
  .object({
    labId: idSchema.optional(),
    linkId: idSchema.optional(),
    /** Display name of the person who made the changes. */
    actor: z.string().min(1).optional(),
    action: z.enum(HISTORY_ACTIONS).optional(),
    outcome: z.enum(HISTORY_OUTCOMES).optional(),
    since: timeSchema.optional(),
    until: timeSchema.optional(),
    /** Entries older than this id: pass the last id of a page to get the next. */
    beforeId: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE).default(100),
  })
  .default({ limit: 100 });

export const historyEntryInput = z.strictObject({ id: z.number().int().positive({ error: 'history entry id must be a positive whole number' }) });

export const restoreInput = z.strictObject({
  /** The history entry whose "after" state the lab returns to. */
  id: z.number().int().positive({ error: 'history entry id must be a positive whole number' }),
  /** The lab to restore; defaults to the lab of the entry. */
  labId: idSchema.optional(),
});
