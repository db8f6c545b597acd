import { EventEmitter, on } from 'node:events';

/** Part of the picture that changed. `history` means new history entries, which every change adds. */
export type ChangedPart = 'hosts' | 'nodes' | 'links' | 'labs' | 'history';

/** An event the `changes` subscription sends to every open dashboard. */
export type ControllerEvent =
  /** Sent first on every subscription, so a client knows the stream is live. */
  | { type: 'ready'; at: string }
  | {
      type: 'topology';
      /** ISO time of the change. */
      at: string;
      changed: ChangedPart[];
      /** Hosts, links and labs the change touched; empty when it touched none of that kind. */
      hostIds: string[];
      linkIds: string[];
      labIds: string[];
    };

export interface ChangeNotice {
  changed: ChangedPart[];
  hostIds?: string[];
  linkIds?: string[];
  labIds?: string[];
}

const EVENT = 'event';

/** The live event bus: services publish changes, every `changes` subscription receives them. */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per open dashboard; there is no meaningful limit.
    this.#emitter.setMaxListeners(0);
  }

  publish(notice: ChangeNotice): void {
    const event: ControllerEvent = {
      type: 'topology',
      at: new Date().toISOString(),
      changed: [...new Set(notice.changed)],
      hostIds: [...new Set(notice.hostIds ?? [])],
      linkIds: [...new Set(notice.linkIds ?? [])],
      labIds: [...new Set(notice.labIds ?? [])],
    };
    this.#emitter.emit(EVENT, event);
  }

  /** Yields `ready`, then every event published until `signal` aborts. */
  async *subscribe(signal: AbortSignal): AsyncGenerator<ControllerEvent> {
    // Listen before yielding `ready`, so no event published meanwhile is lost.
    const events = on(this.#emitter, EVENT, { signal });
    yield { type: 'ready', at: new Date().toISOString() };
    try {
      for await (const [event] of events) yield event as ControllerEvent;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }

  get listeners(): number {
    return this.#emitter.listenerCount(EVENT);
  }
}
