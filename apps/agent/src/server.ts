import { chmod, mkdir, unlink } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
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

const UNAUTHORIZED_MESSAGE = 'missing or wrong bearer token; send Authorization: Bearer <token from the agent token file>';
/** JSON-RPC error number tRPC uses for UNAUTHORIZED. */
const UNAUTHORIZED_RPC_CODE = -32001;

/** Writes the error tRPC itself would send for an unauthenticated call: one per call of a batch. */
function rejectUnauthorized(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://agent');
  const paths = decodeURIComponent(url.pathname.slice(1)).split(',');
  const errorFor = (path: string) => ({
    error: {
      message: UNAUTHORIZED_MESSAGE,
      code: UNAUTHORIZED_RPC_CODE,
      data: { code: 'UNAUTHORIZED', httpStatus: 401, path, kokoCode: null, field: null, issues: [] },
    },
  });
  const body = url.searchParams.get('batch') === '1' ? paths.map(errorFor) : errorFor(paths[0] ?? '');
  res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
  res.end(JSON.stringify(body));
}

/**
 * Builds the HTTP server. The token is checked before tRPC sees the request, so an
 * unauthenticated request, a change stream included, gets a 401 before its body is read or any
 * procedure runs. The router checks the context's flag again.
 */
export function createAgentServer(handlers: AgentHandlers, checkToken: TokenCheck, log: Logger): Server {
  const logAuthFailure = authFailureLogger(log);
  const handler = createHTTPHandler({
    router: createAgentRouter(handlers),
    allowMethodOverride: true,
    createContext({ req }) {
      return { authenticated: checkToken(req.headers.authorization) === 'ok' };
    },
    onError({ error, path, type }) {
      if (error.code === 'UNAUTHORIZED') return;
      const level = error.code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'warn';
      log[level]({ path, type, code: error.code, error: agentErrorMessage(error) }, 'request failed');
    },
  });
  return createServer((req, res) => {
    const verdict = checkToken(req.headers.authorization);
    if (verdict === 'ok') {
      handler(req, res);
      return;
    }
    logAuthFailure(verdict, (req.url ?? '/').split('?')[0]!, req.socket.remoteAddress);
    // Drain the body unread, so the client sees the 401 rather than a reset connection.
    req.resume();
    rejectUnauthorized(req, res);
  });
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

/** How long responses still being written may take once the agent stops, in milliseconds. */
const CLOSE_GRACE_MS = 2000;

/**
 * Stops accepting connections, lets responses in flight finish, then ends every connection that
 * is left and removes a unix socket file.
 */
export async function closeServer(server: Server, address: ListenAddress): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(timer);
  if (address.kind === 'unix') await unlink(address.path).catch(() => undefined);
}
