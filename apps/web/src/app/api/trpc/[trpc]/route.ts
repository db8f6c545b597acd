import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createControllerContext } from '@/server/context';
import { controllerRouter } from '@/server/router';

// The controller keeps a database connection, agent clients and timers: Node.js only, never static.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function handler(request: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: controllerRouter,
    createContext: () => createControllerContext(request),
  });
}

export { handler as GET, handler as POST };
