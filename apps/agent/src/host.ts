import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import type { HostInfo, UnderlayInterface } from '@koko/agent-api';
import { currentNamespace, dockerClient, readInterfaces, runCommand } from '@koko/linux';
import { describeFileError } from './file-errors';

/** How long host info waits for the Docker engine before it reports it unreachable, in milliseconds. */
const DOCKER_PING_TIMEOUT_MS = 1500;

/**
 * Returns the host id kept in `stateDir/host-id`, making a random one on first use. The id
 * survives restarts and, unlike /etc/machine-id, differs between agents that share a machine,
 * as the simulated hosts in tests do.
 */
export async function loadOrCreateHostId(stateDir: string): Promise<string> {
  const file = `${stateDir}/host-id`;
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw describeFileError(error, file, 'host id file', '--state-dir');
  }
  const id = randomUUID();
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${id}\n`, { mode: 0o644, flag: 'wx' });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw describeFileError(error, file, 'host id file', '--state-dir');
    return (await readFile(file, 'utf8')).trim();
  }
}

/** Returns the iproute2 version from `ip -V` ("ip utility, iproute2-6.1.0, libbpf 1.1.2"), or the whole line if its form is new. */
export async function readIproute2Version(): Promise<string> {
  const { stdout } = await runCommand(['ip', '-V']);
  return /iproute2-([^\s,]+)/.exec(stdout)?.[1] ?? stdout.trim();
}

async function pingDocker(): Promise<HostInfo['docker']> {
  try {
    const docker = await dockerClient();
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${DOCKER_PING_TIMEOUT_MS} ms`)), DOCKER_PING_TIMEOUT_MS).unref()),
    ]);
    return { reachable: true, version: version.Version };
  } catch (error) {
    return { reachable: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Lists the interfaces of the agent's namespace that have a global address, lo and koko's own links excepted. */
export async function readUnderlay(): Promise<UnderlayInterface[]> {
  const interfaces = await readInterfaces(await currentNamespace());
  return interfaces
    .filter((info) => info.name !== 'lo' && !info.linkId)
    .map((info) => ({ name: info.name, state: info.state, mtu: info.mtu, addresses: info.addresses.filter((address) => address.scope === 'global') }))
    .filter((info) => info.addresses.length > 0);
}

export async function readHostInfo(hostId: string, agentVersion: string): Promise<HostInfo> {
  const [iproute2, docker, underlay] = await Promise.all([readIproute2Version(), pingDocker(), readUnderlay()]);
  return { hostId, hostname: hostname(), kernel: release(), iproute2, agentVersion, docker, underlay };
}
