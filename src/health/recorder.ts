/**
 * @module health/recorder
 * Where the token engine, the proxy, shipments and probes report what happened to an account.
 * Recording is a few additions in memory (nothing on the request path waits for Redis); the
 * pending minute deltas go to the history store every `flushMs`, where the fleet's add up.
 * Listeners see every event as it happens (alerts, metrics).
 */
import { EventEmitter } from 'node:events';

import type { Logger } from 'pino';

import {
  latencyIndex,
  LATENCY_BOUNDS_MS,
  MINUTE_MS,
  type BucketDelta,
  type EventSource,
  type HistoryStore,
} from './history.js';
import type { FailureClass } from '../core/failure-classes.js';

export interface HealthEvent {
  account: string;
  source: EventSource;
  ok: boolean;
  failureClass?: FailureClass;
  /** How long the carrier took (token requests; proxied answers up to their headers). */
  latencyMs?: number;
  /** Proxied answers: the carrier's HTTP status. */
  status?: number;
  /** The carrier rejected a token it had just issued. */
  freshRejection?: boolean;
}

/** Accounts whose minute deltas are written at once. */
const FLUSH_BATCH = 64;

export interface HealthRecorderOptions {
  history: HistoryStore;
  log: Logger;
  flushMs?: number;
  now?: () => number;
}

interface PendingDelta {
  account: string;
  minute: number;
  delta: Required<BucketDelta>;
}

export class HealthRecorder extends EventEmitter<{ event: [HealthEvent] }> {
  readonly history: HistoryStore;
  /** Each account's deltas for the minute it last recorded in (no key string built per event). */
  readonly #pending = new Map<string, PendingDelta>();
  /** Deltas of a minute that ended before they were flushed. */
  #earlier: PendingDelta[] = [];
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: HealthRecorderOptions) {
    super();
    this.history = options.history;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => void this.flush(), options.flushMs ?? 2_000);
    this.#timer.unref();
  }

  minute(at = this.#now()): number {
    return Math.floor(at / MINUTE_MS);
  }

  record(event: HealthEvent): void {
    const minute = this.minute();
    let entry = this.#pending.get(event.account);
    if (entry !== undefined && entry.minute !== minute) {
      this.#earlier.push(entry);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = {
        account: event.account,
        minute,
        delta: {
          ok: {},
          failed: {},
          classes: {},
          latency: LATENCY_BOUNDS_MS.map(() => 0),
          freshRejections: 0,
        },
      };
      this.#pending.set(event.account, entry);
    }
    const { delta } = entry;
    const side = event.ok ? delta.ok : delta.failed;
    side[event.source] = (side[event.source] ?? 0) + 1;
    if (event.failureClass) delta.classes[event.failureClass] = (delta.classes[event.failureClass] ?? 0) + 1;
    if (event.latencyMs !== undefined && event.source === 'token')
      delta.latency[latencyIndex(event.latencyMs)]! += 1;
    if (event.freshRejection) delta.freshRejections += 1;
    this.emit('event', event);
  }

  /** Writes what is pending. Serialised, so two flushes never add the same delta twice. */
  flush(): Promise<void> {
    const run = async () => {
      const entries = [...this.#earlier, ...this.#pending.values()];
      this.#earlier = [];
      this.#pending.clear();
      const write = async (entry: (typeof entries)[number]) => {
        try {
          await this.history.add(entry.account, entry.minute, entry.delta);
        } catch (error) {
          // History is for operators; losing a few seconds of it while Redis is away is acceptable.
          this.#log.debug(
            { account: entry.account, err: { message: (error as Error).message } },
            'health history not written',
          );
        }
      };
      // A batch of accounts at a time, not one after the other: after a burst over 10,000
      // accounts a serial flush would still be writing long after the traffic stopped.
      for (let start = 0; start < entries.length; start += FLUSH_BATCH)
        await Promise.all(entries.slice(start, start + FLUSH_BATCH).map(write));
    };
    this.#flushing = this.#flushing.then(run, run);
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
