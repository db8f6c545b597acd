import type { Unsubscribable } from '@trpc/server/observable';
import type { AgentClient } from '@koko/agent-api';
import type { Logger } from './log';

/** How long after an agent's change event the host is read again, so a burst of events costs one read, in milliseconds. */
export const CHANGE_DEBOUNCE_MS = 150;

export interface HostWatchOptions {
  /** Time between two reads of the host when nothing triggers one, in milliseconds. */
  pollIntervalMs: number;
  /** Follow the agent's change stream, so changes on the host show within a fraction of a second. */
  followChanges: boolean;
}

/**
 * Keeps one host fresh: reads it every poll interval and, while the host is online, soon after
 * each event of the agent's change stream. Reads of one host never overlap; a read requested
 * while one runs is queued once.
 */
export class HostWatch {
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #stream: Unsubscribable | undefined;
  #closed = false;

  constructor(
    readonly hostId: string,
    private readonly read: () => Promise<void>,
    private readonly options: HostWatchOptions,
    private readonly log: Logger,
  ) {}

  /** Reads the host now, or right after the read in progress, and resolves when that read is done. */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#queued) return this.#queued;
    const run = this.#running.then(async () => {
      this.#queued = undefined;
      this.#clearTimer();
      try {
        if (!this.#closed) await this.read();
      } finally {
        this.schedule(this.options.pollIntervalMs);
      }
    });
    this.#queued = run;
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Reads the host after `delayMs`, unless a read is already due sooner. */
  schedule(delayMs: number): void {
    if (this.#closed) return;
    const due = Date.now() + delayMs;
    if (this.#timer && this.#timerDue <= due) return;
    this.#clearTimer();
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      this.refresh().catch((error: unknown) => this.log.error({ hostId: this.hostId, error: String(error) }, 'reading the host failed'));
    }, delayMs);
    this.#timer.unref();
  }

  /** Follows the agent's change stream, if enabled and not followed yet. */
  follow(client: AgentClient): void {
    if (!this.options.followChanges || this.#stream || this.#closed) return;
    this.log.info({ hostId: this.hostId }, 'following the agent change stream');
    this.#stream = client.changes.subscribe(undefined, {
      onData: () => this.schedule(CHANGE_DEBOUNCE_MS),
      onError: (error) => {
        this.log.warn({ hostId: this.hostId, error: String(error) }, 'the agent change stream failed; polling until the host responds again');
        this.#stream = undefined;
        this.schedule(0);
      },
      // An agent that stops ends the stream; read the host at once to see whether it is gone.
      onComplete: () => {
        this.log.info({ hostId: this.hostId }, 'the agent ended its change stream; reading the host now');
        this.#stream = undefined;
        this.schedule(0);
      },
      // A lost connection does not end the stream: the client reconnects quietly. Read the host at
      // once instead, so a stopped agent shows offline within a read, not a poll interval.
      onConnectionStateChange: (state) => {
        if (state.state !== 'connecting' || state.error === null) return;
        this.log.warn({ hostId: this.hostId, error: String(state.error) }, 'lost the agent change stream; reading the host now');
        this.unfollow();
        this.schedule(0);
      },
    });
  }

  /** Stops following the change stream, for example while the host does not answer. */
  unfollow(): void {
    if (!this.#stream) return;
    this.#stream.unsubscribe();
    this.#stream = undefined;
    this.log.info({ hostId: this.hostId }, 'stopped following the agent change stream');
  }

  get following(): boolean {
    return this.#stream !== undefined;
  }

  /** Stops reading the host and waits for a read in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    this.unfollow();
    await this.#running;
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }
}
