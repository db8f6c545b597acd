import { dockerClient } from './docker';

export const CONTAINER_ACTIONS = ['start', 'stop', 'die', 'destroy'] as const;
export type ContainerEventAction = (typeof CONTAINER_ACTIONS)[number];

export interface ContainerEvent {
  action: ContainerEventAction;
  id: string;
  name: string;
  image: string;
  /** When Docker saw it, in milliseconds since the epoch. */
  time: number;
}

/** One message of Docker's `/events` stream, reduced to the fields koko reads. */
interface DockerEventMessage {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

export interface ContainerEventWatch {
  stop(): void;
}

function isContainerAction(action: string | undefined): action is ContainerEventAction {
  return (CONTAINER_ACTIONS as readonly string[]).includes(action ?? '');
}

/**
 * Follows Docker's event stream for container start, stop, die and destroy. `onEnd` runs once if
 * the stream cannot start or breaks, for example when dockerd restarts; the caller decides
 * whether to watch again.
 */
export async function watchContainerEvents(onEvent: (event: ContainerEvent) => void, onEnd: (reason: string) => void): Promise<ContainerEventWatch> {
  const docker = await dockerClient();
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: [...CONTAINER_ACTIONS] } })) as NodeJS.ReadableStream & { destroy(): void };
  let stopped = false;
  let buffered = '';

  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line) as DockerEventMessage;
      if (message.Type !== 'container' || !isContainerAction(message.Action)) continue;
      const attributes = message.Actor?.Attributes ?? {};
      onEvent({
        action: message.Action,
        id: message.Actor?.ID ?? '',
        name: attributes.name ?? '',
        image: attributes.image ?? '',
        time: message.timeNano ? Math.floor(message.timeNano / 1e6) : (message.time ?? 0) * 1000,
      });
    }
  });
  const end = (reason: string) => {
    if (stopped) return;
    stopped = true;
    onEnd(reason);
  };
  stream.on('error', (error: Error) => end(`Docker event stream failed: ${error.message}`));
  stream.on('end', () => end('Docker event stream ended'));

  return {
    stop() {
      stopped = true;
      stream.destroy();
    },
  };
}
