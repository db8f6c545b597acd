import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { controllerRouter } from '@/server/router';

function handler(request: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: controllerRouter,
    createContext: () => ({ actor: request.headers.get('x-koko-user') ?? 'anonymous' }),
  });
}

export { handler as GET, handler as POST };
