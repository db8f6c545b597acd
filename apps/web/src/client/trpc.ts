'use client';

import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { ControllerRouter } from '@/server/router';
import { encodeUserHeader, readDisplayName, sessionId } from './user';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<ControllerRouter>();

export const TRPC_ENDPOINT = '/api/trpc';
/** Calls per batched request; auto layout saves one position per node and may send hundreds. */
const MAX_BATCH_ITEMS = 50;

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // The `changes` subscription invalidates queries when something changes, so data stays
      // fresh without polling; a refetch on focus covers a stream that dropped unnoticed.
      queries: { staleTime: 30_000, retry: 1, refetchOnWindowFocus: true },
    },
  });
}

/** Builds the controller client: queries and mutations batched over HTTP, `changes` over SSE. */
export function makeTrpcClient() {
  return createTRPCClient<ControllerRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({ url: TRPC_ENDPOINT }),
        false: httpBatchLink({
          url: TRPC_ENDPOINT,
          maxItems: MAX_BATCH_ITEMS,
          headers: () => ({ 'x-koko-user': encodeUserHeader(readDisplayName() ?? 'anonymous'), 'x-koko-session': sessionId() }),
        }),
      }),
    ],
  });
}
