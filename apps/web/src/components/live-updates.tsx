'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { useTRPC } from '@/client/trpc';

export type LiveStatus = 'connecting' | 'live' | 'offline';

const LiveStatusContext = createContext<LiveStatus>('connecting');

export function useLiveStatus(): LiveStatus {
  return useContext(LiveStatusContext);
}

/**
 * Follows the controller's `changes` stream and refetches what is on screen after every change,
 * so each open browser shows a change within a second. A `ready` event, sent on every
 * (re)connect, also refetches, because changes made while the stream was down were not seen.
 */
export function LiveUpdates({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subscription = useSubscription(
    trpc.changes.subscriptionOptions(undefined, {
      onData: () => void queryClient.invalidateQueries(),
    }),
  );
  let status: LiveStatus = 'connecting';
  if (subscription.status === 'pending') status = 'live';
  else if (subscription.status === 'error') status = 'offline';
  return <LiveStatusContext.Provider value={status}>{children}</LiveStatusContext.Provider>;
}
