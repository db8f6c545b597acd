'use client';

import { QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { TRPCProvider, makeQueryClient, makeTrpcClient } from '@/client/trpc';
import { LiveUpdates } from './live-updates';
import { ToastProvider } from './toasts';
import { UserNameGate } from './user-name';

/** Everything a dashboard page needs around it: the controller client, live updates, toasts, the user's name. */
export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <ToastProvider>
          <UserNameGate>
            <LiveUpdates>{children}</LiveUpdates>
          </UserNameGate>
        </ToastProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
