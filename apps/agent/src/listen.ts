import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type Socket, connect } from 'node:net';
import { dirname } from 'node:path';
import { type ListenAddress, describeListen } from './config';

/** How long responses still being written may take once the agent stops, in milliseconds. */
const CLOSE_GRACE_MS = 2000;

/** A listening server: the address clients reach, and how to stop it. */
export interface Listener {
  /** `http://host:port`, with the real port when port 0 was given, or `unix:/path`. */
  address: string;
  /**
   * Stops accepting connections, closes each open one as soon as it serves no request (a
   * kept-alive client connection included), ends the ones still busy after CLOSE_GRACE_MS, and
   * removes the socket file it made.
   */
  close(): Promise<void>;
}

/** Counts the requests each connection is serving, so a stop can close every connection the moment it is idle. */
class ConnectionTracker {
  private readonly open = new Map<Socket, number>();
  private closing = false;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.open.set(socket, 0);
      socket.once('close', () => this.open.delete(socket));
    });
    server.on('request', (req, res) => {
      const socket = req.socket;
      this.open.set(socket, (this.open.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const left = Math.max(0, (this.open.get(socket) ?? 1) - 1);
        if (this.open.has(socket)) this.open.set(socket, left);
        if (this.closing && left === 0) socket.destroy();
      });
    });
  }

  /** Closes the idle connections now and every other one when its last response ends. */
  closeWhenIdle(): void {
    this.closing = true;
    for (const [socket, requests] of this.open) if (requests === 0) socket.destroy();
  }

  closeAll(): void {
    for (const socket of this.open.keys()) socket.destroy();
  }
}

function describeFileType(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a directory';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a named pipe';
  return 'a device file';
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
 * Makes `path` free for a new socket. A socket left behind by an agent that did not stop cleanly
 * is removed. A socket in use, or anything that is not a socket, is an error, so the agent never
 * deletes a file that is not its own.
 */
async function prepareSocketPath(path: string): Promise<void> {
  const flag = `--listen unix:${path}`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new Error(`${flag}: cannot create the directory ${dirname(path)} (${(error as NodeJS.ErrnoException).code ?? String(error)}); pick a socket path in a directory that exists or can be made`, {
      cause: error,
    });
  }

  let info: Stats;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!info.isSocket()) {
    throw new Error(`${flag}: ${path} exists and is ${describeFileType(info)}, not a socket; the agent will not replace it. Move it away or pick another socket path`);
  }
  if (await socketInUse(path)) {
    throw new Error(`${flag}: another process listens on ${path}; stop it or pick another socket path`);
  }
  await unlink(path);
}

/** Turns a listen error into one that names the address and what to do. */
function listenError(error: NodeJS.ErrnoException, address: ListenAddress): Error {
  return new Error(describeListenError(error, address), { cause: error });
}

function describeListenError(error: NodeJS.ErrnoException, address: ListenAddress): string {
  const flag = `--listen ${describeListen(address)}`;
  if (address.kind === 'unix') return `${flag}: cannot listen on the socket (${error.code ?? error.message}); pick another socket path`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `${flag}: port ${address.port} is already in use on ${address.host}; stop the process that holds it (ss -ltnp 'sport = :${address.port}' shows it) or pick another port (port 0 picks a free one)`;
    case 'EADDRNOTAVAIL':
      return `${flag}: ${address.host} is not an address of this host; use 127.0.0.1 or an address that ip address lists`;
    case 'EACCES':
      return `${flag}: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE, so run as root or pick a port above 1023`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${flag}: cannot resolve the host name ${address.host}; give an IP address such as 127.0.0.1`;
    default:
      return `${flag}: cannot listen: ${error.message}`;
  }
}

/** Starts listening on `address` and returns the listener. */
export async function listen(server: Server, address: ListenAddress): Promise<Listener> {
  if (address.kind === 'unix') await prepareSocketPath(address.path);
  const connections = new ConnectionTracker(server);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, address));
    server.once('error', onError);
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, onListening);
    else server.listen(address.port, address.host, onListening);
  });

  let socketInode: number | undefined;
  let clientAddress: string;
  if (address.kind === 'unix') {
    // Only root may connect; the token is still required on every request.
    await chmod(address.path, 0o600);
    socketInode = (await lstat(address.path)).ino;
    clientAddress = `unix:${address.path}`;
  } else {
    const bound = server.address();
    const port = typeof bound === 'object' && bound ? bound.port : address.port;
    clientAddress = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
  }

  return {
    address: clientAddress,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      connections.closeWhenIdle();
      const timer = setTimeout(() => connections.closeAll(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
      if (address.kind === 'unix') await removeOwnSocket(address.path, socketInode);
    },
  };
}

/** Removes the socket file the agent made, unless something else has taken its path since. */
async function removeOwnSocket(path: string, inode: number | undefined): Promise<void> {
  try {
    const info = await lstat(path);
    if (info.isSocket() && info.ino === inode) await unlink(path);
  } catch {
    // Already gone.
  }
}
