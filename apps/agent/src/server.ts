import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { type AgentHandlers, MAX_BODY_BYTES, agentErrorMessage, bodyTooLargeMessage, createAgentRouter } from '@koko/agent-api';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { Logger } from 'pino';

type TokenCheck = (header: string | undefined) => 'ok' | 'missing' | 'wrong';

/** Repeated rejections are logged at most once per this many milliseconds, with a count of the rest. */
const REJECTION_LOG_INTERVAL_MS = 1000;

/** Logs rejected requests without flooding the log when a client retries the same mistake. */
function rejectionLogger(log: Logger, message: string) {
  let lastLogged = 0;
  let suppressed = 0;
  return (details: Record<string, unknown>) => {
    const now = Date.now();
    if (now - lastLogged < REJECTION_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log.warn({ ...details, suppressedSinceLast: suppressed }, message);
    lastLogged = now;
    suppressed = 0;
  };
}

/** Bytes of a rejected request's body the agent still reads and drops, so the client can read the response first. */
const REJECTED_BODY_DRAIN_BYTES = 4 * 1024 * 1024;
/** How long the connection of a rejected request stays open for the client to read the response, in milliseconds. */
const REJECTED_LINGER_MS = 1000;
/** How often a lingering connection checks how much it has dropped, in milliseconds. */
const LINGER_CHECK_MS = 50;

/**
 * Makes the connection of a rejected request close gently. Node ends a `connection: close`
 * response with `socket.destroySoon()`, which closes the socket once the response is written.
 * With body bytes still unread, that resets the connection, and a client that is still sending
 * often loses the response. This replaces it, for this socket only: end the agent's side, drop
 * what still arrives up to REJECTED_BODY_DRAIN_BYTES or for REJECTED_LINGER_MS, then close.
 */
function lingerBeforeClose(socket: Socket): void {
  socket.destroySoon = () => {
    const readBefore = socket.bytesRead;
    socket.end();
    const check = setInterval(() => {
      if (socket.bytesRead - readBefore > REJECTED_BODY_DRAIN_BYTES) socket.destroy();
    }, LINGER_CHECK_MS);
    const timer = setTimeout(() => socket.destroy(), REJECTED_LINGER_MS);
    socket.once('close', () => {
      clearInterval(check);
      clearTimeout(timer);
    });
  };
}

const UNAUTHORIZED_MESSAGE = 'missing or wrong bearer token; send Authorization: Bearer <token from the agent token file>';

/** Returns the procedure paths a request URL names: one, or several for a tRPC batch (`/a,b?batch=1`). */
function pathsOf(req: IncomingMessage): { paths: string[]; batch: boolean } {
  const url = new URL(req.url ?? '/', 'http://agent');
  return { paths: decodeURIComponent(url.pathname.slice(1)).split(','), batch: url.searchParams.get('batch') === '1' };
}

/** Writes the error tRPC itself would send for a call it rejected: one per call of a batch. */
function writeRejection(req: IncomingMessage, res: ServerResponse, code: 'UNAUTHORIZED' | 'PAYLOAD_TOO_LARGE', status: number, message: string, headers: Record<string, string>): void {
  const { paths, batch } = pathsOf(req);
  const errorFor = (path: string) => ({
    error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status, path, kokoCode: null, field: null, issues: [] } },
  });
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(batch ? paths.map(errorFor) : errorFor(paths[0] ?? '')));
}

/** Returns the body length a request declares, or undefined for a chunked body or none. */
function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/**
 * Builds the HTTP server. The token and the declared body size are checked before tRPC receives the
 * request, so an unauthenticated request, a change stream included, gets a 401, and a body over
 * MAX_BODY_BYTES a 413, before the body is parsed or any procedure runs. A chunked body is
 * counted as tRPC reads it and cut off at the same limit. The router checks the token again.
 */
export function createAgentServer(handlers: AgentHandlers, checkToken: TokenCheck, log: Logger): Server {
  const logAuthFailure = rejectionLogger(log, 'rejected a request: missing or wrong bearer token');
  const logTooLarge = rejectionLogger(log, 'rejected a request: body larger than the limit');
  const responses = new WeakMap<IncomingMessage, ServerResponse>();

  const handler = createHTTPHandler({
    router: createAgentRouter(handlers),
    allowMethodOverride: true,
    maxBodySize: MAX_BODY_BYTES,
    createContext({ req }) {
      return { authenticated: checkToken(req.headers.authorization) === 'ok' };
    },
    onError({ error, path, type, req }) {
      if (error.code === 'UNAUTHORIZED') return;
      // Close the connection after the 413 instead of reading the rest of the body to reuse it.
      if (error.code === 'PAYLOAD_TOO_LARGE') {
        responses.get(req)?.setHeader('connection', 'close');
        lingerBeforeClose(req.socket);
      }
      const level = error.code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'warn';
      log[level]({ path, type, code: error.code, error: agentErrorMessage(error) }, 'request failed');
    },
  });

  const verdictOf = (req: IncomingMessage) => {
    const token = checkToken(req.headers.authorization);
    if (token !== 'ok') return token;
    return (declaredLength(req) ?? 0) > MAX_BODY_BYTES ? 'too-large' : 'ok';
  };

  const server = createServer((req, res) => {
    const verdict = verdictOf(req);
    if (verdict === 'ok') {
      responses.set(req, res);
      handler(req, res);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    // Respond, then close the connection. What still arrives of the body is dropped unparsed.
    lingerBeforeClose(req.socket);
    if (verdict === 'too-large') {
      const declared = declaredLength(req)!;
      logTooLarge({ path, remote: req.socket.remoteAddress, declaredBytes: declared, maxBytes: MAX_BODY_BYTES });
      writeRejection(req, res, 'PAYLOAD_TOO_LARGE', 413, bodyTooLargeMessage(declared), { connection: 'close' });
      return;
    }
    logAuthFailure({ reason: verdict, path, remote: req.socket.remoteAddress });
    writeRejection(req, res, 'UNAUTHORIZED', 401, UNAUTHORIZED_MESSAGE, { 'www-authenticate': 'Bearer', connection: 'close' });
  });

  // A client that sends `Expect: 100-continue` (curl does for bodies over 1 MiB) gets the go-ahead
  // for its body only when the request would be accepted; otherwise it gets the 401 or 413 at once.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (verdictOf(req) === 'ok') res.writeContinue();
    server.emit('request', req, res);
  });
  return server;
}
