import { chmod, mkdir, unlink } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { type AgentHandlers, agentErrorMessage, createAgentRouter } from '@koko/agent-api';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import type { ListenAddress } from './config';

type TokenCheck = (header: string | undefined) => 'ok' | 'missing' | 'wrong';

/** Repeated auth failures are logged at most once per this many milliseconds, with a count of the rest. */
const AUTH_LOG_INTERVAL_MS = 1000;

/** Logs rejected requests without flooding the log when a client retries with a bad token. */
function authFailureLogger(log: Logger) {
  let lastLogged = 0;
  let suppressed = 0;
  return (reason: string, path: string, remote: string | undefined) => {
    const now = Date.now();
    if (now - lastLogged < AUTH_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log.warn({ reason, path, remote, suppressedSinceLast: suppressed }, 'rejected a request: missing or wrong bearer token');
    lastLogged = now;
    suppressed = 0;
  };
}

/**
 * Builds the HTTP server. The token is checked while tRPC builds the call's context, which
 * happens before any input is parsed or any procedure runs, subscriptions included.
 */
export function createAgentServer(handlers: AgentHandlers, checkToken: TokenCheck, log: Logger): Server {
  const logAuthFailure = authFailureLogger(log);
  const handler = createHTTPHandler({
    router: createAgentRouter(handlers),
    allowMethodOverride: true,
    createContext({ req, info }) {
      const verdict = checkToken(req.headers.authorization);
      if (verdict !== 'ok') logAuthFailure(verdict, info.calls.map((call) => call.path).join(','), req.socket.remoteAddress);
      return { authenticated: verdict === 'ok' };
    },
    onError({ error, path, type }) {
      if (error.code === 'UNAUTHORIZED') return;
      const level = error.code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'warn';
      log[level]({ path, type, code: error.code, error: agentErrorMessage(error) }, 'request failed');
    },
  });
  return createServer(handler);
}

/** Resolves with true when something accepts connections on the unix socket at `path`. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts listening and returns the address clients reach, with the real port when port 0 was
 * asked. A unix socket left behind by a crashed agent is replaced; one in use is an error.
 */
export async function listen(server: Server, address: ListenAddress): Promise<string> {
  if (address.kind === 'unix') {
    await mkdir(dirname(address.path), { recursive: true, mode: 0o755 });
    if (await socketInUse(address.path)) {
      throw new Error(`another process listens on ${address.path}; stop it or pick another --listen path`);
    }
    await unlink(address.path).catch(() => undefined);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });

  if (address.kind === 'unix') {
    // Only root may connect; the token is still required on every request.
    await chmod(address.path, 0o600);
    return `unix:${address.path}`;
  }
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
}

/** Stops accepting connections, ends open ones (change streams included) and removes a unix socket file. */
export async function closeServer(server: Server, address: ListenAddress): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
  if (address.kind === 'unix') await unlink(address.path).catch(() => undefined);
}
