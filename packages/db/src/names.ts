import { z } from 'zod';
import { quote, remoteAddressSchema } from '@koko/core';

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** Maximum length of a lab name or display name, in characters, so that each fits one line of the dashboard. */
export const MAX_LABEL_LENGTH = 64;
const CONTROL_CHARACTER = /\p{Cc}/u;

/** Names a host the way users type it in commands: 1-63 letters, digits, _ . or -. */
export const hostNameSchema = z.string().refine((name) => HOST_NAME.test(name), {
  error: (issue) => `host name ${quote(String(issue.input))} is invalid; use 1-63 letters, digits, _ . or -, starting with a letter or digit`,
});

/** Builds the schema of a free-text label such as a lab name or a person's display name. */
function labelSchema(what: string) {
  return z
    .string({ error: `${what} must be text` })
    .transform((text) => text.trim())
    .superRefine((text, context) => {
      if (text.length === 0) context.addIssue({ code: 'custom', message: `${what} is empty; give one` });
      else if (text.length > MAX_LABEL_LENGTH) {
        context.addIssue({ code: 'custom', message: `${what} ${quote(text)} is ${text.length} characters long; use at most ${MAX_LABEL_LENGTH}` });
      } else if (CONTROL_CHARACTER.test(text)) {
        context.addIssue({ code: 'custom', message: `${what} ${quote(text)} contains a control character; use printable text` });
      }
    });
}

export const labNameSchema = labelSchema('lab name');
export const displayNameSchema = labelSchema('display name');

/** Agent address: an http or https URL, or unix:/path/to/socket. */
export const agentUrlSchema = z.string().superRefine((text, context) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    context.addIssue({ code: 'custom', message: `agent address ${quote(text)} is not a URL; give one such as http://127.0.0.1:7380 or unix:/run/koko/agent.sock` });
    return;
  }
  if (!['http:', 'https:', 'unix:'].includes(url.protocol)) {
    context.addIssue({ code: 'custom', message: `agent address ${quote(text)} uses ${url.protocol}; use http:, https: or unix:` });
  }
});

export const agentTokenSchema = z
  .string()
  .min(1, { error: 'agent token is empty; give the bearer token the agent was started with' })
  .max(4096, { error: 'agent token is longer than 4096 characters' })
  .refine((token) => !/\s/.test(token), { error: 'agent token contains whitespace, which an HTTP Authorization header cannot carry' });

/** A host's underlay address: the unicast IP that other hosts' vxlan ends send to. */
export const underlayAddressSchema = remoteAddressSchema;
