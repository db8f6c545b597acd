import { type TRPCClient, createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AgentRouter } from './router';

/** Where an agent listens: an HTTP base URL, or a unix socket path. */
export type AgentAddress = { url: string; socketPath?: undefined } | { socketPath: string; url?: undefined };

export type AgentClientOptions = AgentAddress & {
  /** The bearer token from the agent's token file. */
  token: string;
};

export type AgentClient = TRPCClient<AgentRouter>;

/** The socket connection pool of each client made for a unix socket. */
const dispatchers = new WeakMap<AgentClient, Agent>();

/** Host name used in URLs to a unix socket agent; the socket, not the name, decides where requests go. */
const SOCKET_HOST = 'http://koko-agent';

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Returns a fetch that adds the bearer token and, for a unix socket, sends every request to it.
 * undici's own fetch is used for sockets because Node's global fetch ignores a dispatcher from
 * another undici copy.
 */
function authorizedFetch(token: string, dispatcher: Agent | undefined): Fetch {
  return (input, init) => {
    const headers: Record<string, string> = Object.fromEntries(new Headers(init?.headers));
    headers.authorization = `Bearer ${token}`;
    if (!dispatcher) return fetch(input, { ...init, headers });
    return undiciFetch(input as string, { ...(init as object), headers, dispatcher }) as unknown as Promise<Response>;
  };
}

/**
 * Creates a typed client for one agent. Queries and mutations go over HTTP POST in batches;
 * `changes` is a server-sent event stream. Every request carries the token.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const dispatcher = options.socketPath ? new Agent({ connect: { socketPath: options.socketPath } }) : undefined;
  const url = options.socketPath ? SOCKET_HOST : options.url!.replace(/\/+$/, '');
  const authFetch = authorizedFetch(options.token, dispatcher);

  const client = createTRPCClient<AgentRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: { fetch: authFetch as never },
        }),
        false: httpBatchLink({ url, fetch: authFetch as never, methodOverride: 'POST' }),
      }),
    ],
  });
  if (dispatcher) dispatchers.set(client, dispatcher);
  return client;
}

/** Closes the socket connections of a client made for a unix socket; does nothing for a URL client. */
export async function closeAgentClient(client: AgentClient): Promise<void> {
  await dispatchers.get(client)?.close();
}
