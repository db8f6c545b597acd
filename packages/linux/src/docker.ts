import { KokoError, quote } from '@koko/core';
import type Docker from 'dockerode';

/** The state of a container that koko reads to reach its network namespace. */
export interface ContainerState {
  id: string;
  name: string;
  image: string;
  status: string;
  running: boolean;
  pid: number;
  labels: Record<string, string>;
}

let client: Docker | undefined;

/** Returns a Docker client for DOCKER_HOST, or the local socket; dockerode loads only when first needed. */
export async function dockerClient(): Promise<Docker> {
  if (!client) {
    const { default: DockerClass } = await import('dockerode');
    client = new DockerClass();
  }
  return client;
}

function dockerAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Turns a dockerode failure into a KokoError that names the container and the fix. */
export function dockerError(error: unknown, container: string): KokoError {
  const failure = error as { statusCode?: number; code?: string; message?: string };
  if (failure.statusCode === 404) {
    return new KokoError('not-found', `container ${quote(container)} not found; check the name with: docker ps -a`);
  }
  if (failure.code === 'ENOENT' || failure.code === 'ECONNREFUSED' || failure.code === 'EACCES') {
    return new KokoError(
      'not-found',
      `cannot reach the Docker engine at ${dockerAddress()} (${failure.code}); start dockerd, or set DOCKER_HOST to its socket`,
    );
  }
  return new KokoError('failed', `Docker request for container ${quote(container)} failed: ${failure.message ?? String(error)}`);
}

/** Reads a container's state from the Docker engine; throws a KokoError if it is missing or Docker is down. */
export async function inspectContainer(container: string): Promise<ContainerState> {
  const docker = await dockerClient();
  try {
    const info = await docker.getContainer(container).inspect();
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      image: info.Config.Image,
      status: info.State.Status,
      running: info.State.Running && !info.State.Restarting,
      pid: info.State.Pid,
      labels: info.Config.Labels ?? {},
    };
  } catch (error) {
    throw dockerError(error, container);
  }
}
