import { isAbsolute } from 'node:path';

/** Where the agent listens: a TCP host and port, or a unix socket path. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface AgentConfig {
  listen: ListenAddress;
  tokenFile: string;
  stateDir: string;
  logLevel: string;
}

export type ParsedArgs = { action: 'help' } | { action: 'version' } | { action: 'run'; config: AgentConfig };

/** An error in the agent's flags or environment; main prints it and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_LISTEN = '127.0.0.1:7420';
export const DEFAULT_STATE_DIR = '/var/lib/koko';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const HELP = `koko-agent: the koko host agent, serving link operations and inventory over tRPC

Usage:
  koko-agent [--listen <host:port | unix:/path>] [--token-file <path>] [--state-dir <dir>]

Options (each also read from the environment variable in brackets; a flag wins):
  --listen <address>    where to listen: host:port, [ipv6]:port, or unix:/path/to/socket
                        (KOKO_AGENT_LISTEN, default ${DEFAULT_LISTEN}). Port 0 picks a free port,
                        which the "listening" log line names. Listen beyond loopback only behind
                        TLS or a reverse proxy: the token travels in clear text.
  --token-file <path>   bearer token file (KOKO_AGENT_TOKEN_FILE, default <state dir>/agent-token).
                        Created with a random token and mode 0600 when missing; used as is when present.
  --state-dir <dir>     directory for the host id and the default token file
                        (KOKO_AGENT_STATE_DIR, default ${DEFAULT_STATE_DIR})
  --log-level <level>   fatal, error, warn, info, debug, trace or silent (KOKO_AGENT_LOG_LEVEL, default info)
  -h, --help            show this help
  -v, --version         show the version

Every request needs the header: Authorization: Bearer <token>.
Logs are JSON lines (pino) on standard output. SIGTERM or SIGINT stops the agent after the
running change finishes; changes that arrive meanwhile are rejected.
`;

/** Parses `host:port`, `[v6]:port` or `unix:/path`; throws a ConfigError that names the value and the form. */
export function parseListen(value: string): ListenAddress {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    if (!isAbsolute(path)) throw new ConfigError(`--listen ${JSON.stringify(value)}: the socket path must be absolute, such as unix:/run/koko/agent.sock`);
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new ConfigError(`--listen ${JSON.stringify(value)} is invalid; use host:port (such as ${DEFAULT_LISTEN}), [::1]:7420 or unix:/run/koko/agent.sock`);
  }
  return { kind: 'tcp', host: match[1] ?? match[2]!, port };
}

function takeValue(args: string[], index: number, flag: string, inline: string | undefined): [string, number] {
  if (inline !== undefined) return [inline, index];
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new ConfigError(`${flag} needs a value; run koko-agent --help`);
  return [value, index + 1];
}

/** Reads the configuration from the command line and the environment. */
export function parseAgentArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const values: Record<string, string | undefined> = {
    listen: env.KOKO_AGENT_LISTEN,
    tokenFile: env.KOKO_AGENT_TOKEN_FILE,
    stateDir: env.KOKO_AGENT_STATE_DIR,
    logLevel: env.KOKO_AGENT_LOG_LEVEL,
  };
  const flags: Record<string, keyof typeof values> = {
    '--listen': 'listen',
    '--token-file': 'tokenFile',
    '--state-dir': 'stateDir',
    '--log-level': 'logLevel',
  };

  for (let index = 0; index < args.length; index++) {
    const raw = args[index]!;
    if (raw === '-h' || raw === '--help') return { action: 'help' };
    if (raw === '-v' || raw === '--version') return { action: 'version' };
    const equals = raw.indexOf('=');
    const name = raw.startsWith('--') && equals > 0 ? raw.slice(0, equals) : raw;
    const key = flags[name];
    if (!key) throw new ConfigError(`unknown option ${JSON.stringify(raw)}; run koko-agent --help for the list of options`);
    let value: string;
    [value, index] = takeValue(args, index, name, equals > 0 ? raw.slice(equals + 1) : undefined);
    values[key] = value;
  }

  const stateDir = values.stateDir || DEFAULT_STATE_DIR;
  const logLevel = values.logLevel || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`log level ${JSON.stringify(logLevel)} is invalid; use one of ${LOG_LEVELS.join(', ')}`);
  if (!isAbsolute(stateDir)) throw new ConfigError(`state directory ${JSON.stringify(stateDir)} must be an absolute path`);
  return {
    action: 'run',
    config: {
      listen: parseListen(values.listen || DEFAULT_LISTEN),
      tokenFile: values.tokenFile || `${stateDir}/agent-token`,
      stateDir,
      logLevel,
    },
  };
}

export function describeListen(address: ListenAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
