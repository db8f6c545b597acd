'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, useCallback, useContext, useEffect, useRef, type ReactNode } from 'react';
import { useTRPC } from '@/client/trpc';

export type LiveStatus = 'connecting' | 'live' | 'offline';

const LiveStatusContext = createContext<LiveStatus>('connecting');

export function useLiveStatus(): LiveStatus {
  return useContext(LiveStatusContext);
}

/**
 * Events closer together than this bring one refetch: saving the positions of a whole layout
 * sends one event per node, and each refetch reads every host's topology.
 */
const REFETCH_DELAY_MS = 100;

/**
 * Follows the controller's `changes` stream and refetches what is on screen after every change,
 * so each open browser shows a change within a second. A `ready` event, sent on every
 * (re)connect, also refetches, because changes made while the stream was down were not seen.
 */
export function LiveUpdates({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const scheduleRefetch = useCallback(() => {
    timer.current ??= setTimeout(() => {
      timer.current = undefined;
      void queryClient.invalidateQueries();
    }, REFETCH_DELAY_MS);
  }, [queryClient]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const subscription = useSubscription(trpc.changes.subscriptionOptions(undefined, { onData: scheduleRefetch }));
  let status: LiveStatus = 'connecting';
  if (subscription.status === 'pending') status = 'live';
  else if (subscription.status === 'error') status = 'offline';
  return <LiveStatusContext.Provider value={status}>{children}</LiveStatusContext.Provider>;
}
