/**
 * @module fleet-state/versioned-state
 * Small records the whole fleet must agree on (an account's breaker state, its manual
 * overrides), each with a generation number. A write names the generation it was decided on and
 * lands only if that is still the current one (compare-and-set in one Lua script), so a decision
 * taken on an old state never overwrites a newer one. Every write is published; every instance
 * also re-reads all records on an interval, so a lost message delays a change by at most one
 * interval. Redis is the truth; an instance's copy is a cache with the same ordering rule.
 * Memory mode (embedded, one instance) keeps the same interface.
 */
import { EventEmitter } from 'node:events';

import type { Logger } from 'pino';

import type { RedisConnection } from '../platform/redis.js';

export interface Versioned<T> {
  generation: number;
  value: T;
}

export interface VersionedStateEvents<T> {
  change: [id: string, next: Versioned<T> | undefined, previous: Versioned<T> | undefined];
}

/**
 * Writes `value` as generation `max(current, floor) + 1` only if the current generation equals
 * `expected` (0: no record). Returns the new generation, or the current one negated when the
 * write lost the race. The floor keeps generations rising after Redis restarted empty. The
 * channel is an argument, not a key: a script's keys must share one Redis Cluster slot, and a
 * channel is no key (Cluster delivers a PUBLISH to subscribers on every node).
 */
const COMPARE_AND_SET = `
local current = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if current ~= tonumber(ARGV[1]) then return -current end
local nextGeneration = math.max(current, tonumber(ARGV[3])) + 1
redis.call('HSET', KEYS[1], 'generation', nextGeneration, 'value', ARGV[2])
redis.call('PUBLISH', ARGV[5], ARGV[4] .. ' ' .. nextGeneration)
return nextGeneration
`;

export interface VersionedStateOptions {
  /** Distinguishes record kinds: `breaker`, `override`. */
  namespace: string;
  log: Logger;
  redis?: RedisConnection;
  /** How often every record is re-read from Redis. */
  pollMs?: number;
}

export class VersionedState<T> extends EventEmitter<VersionedStateEvents<T>> {
  readonly #cache = new Map<string, Versioned<T>>();
  readonly #redis: RedisConnection | undefined;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #pollMs: number;
  #poller: NodeJS.Timeout | undefined;
  #onMessage: ((channel: string, message: string) => void) | undefined;
  readonly #known = new Set<string>();

  constructor(options: VersionedStateOptions) {
    super();
    this.#redis = options.redis;
    this.#namespace = options.namespace;
    this.#log = options.log;
    this.#pollMs = options.pollMs ?? 500;
  }

  get shared(): boolean {
    return this.#redis !== undefined;
  }

  #key(id: string): string {
    return `${this.#redis!.keyPrefix}${this.#namespace}:${id}`;
  }

  get #channel(): string {
    return `${this.#redis!.keyPrefix}${this.#namespace}-events`;
  }

  /** The latest state this instance knows. No I/O: the hot path reads this. */
  cached(id: string): Versioned<T> | undefined {
    return this.#cache.get(id);
  }

  /** Records this instance keeps in step (ids it has read, written or been told about). */
  track(ids: Iterable<string>): void {
    for (const id of ids) this.#known.add(id);
  }

  /**
   * Write `value` if the record is still at `expected`. Resolves to the new state, or to null when
   * another writer got there first (the cache then holds the winner's state).
   */
  async compareAndSet(id: string, expected: number, value: T): Promise<Versioned<T> | null> {
    this.#known.add(id);
    const previous = this.#cache.get(id);
    if (!this.#redis) {
      if ((previous?.generation ?? 0) !== expected) return null;
      const next = { generation: expected + 1, value };
      this.#apply(id, next, true);
      return next;
    }
    const floor = previous?.generation ?? 0;
    const result = (await this.#redis.client.eval(
      COMPARE_AND_SET,
      1,
      this.#key(id),
      String(expected),
      JSON.stringify(value),
      String(floor),
      id,
      this.#channel,
    )) as number;
    if (result < 0 || (result === 0 && expected !== 0)) {
      await this.refresh(id);
      return null;
    }
    const next = { generation: result, value };
    this.#apply(id, next, false);
    return next;
  }

  /** Re-reads one record from Redis; Redis is the truth, so its answer replaces the cache. */
  async refresh(id: string): Promise<Versioned<T> | undefined> {
    if (!this.#redis) return this.#cache.get(id);
    this.#known.add(id);
    const [generation, value] = await this.#redis.client.hmget(this.#key(id), 'generation', 'value');
    const next = generation === null || value === null ? undefined : this.#decode(generation, value);
    this.#apply(id, next, true);
    return next;
  }

  #decode(generation: string, value: string): Versioned<T> | undefined {
    try {
      return { generation: Number(generation), value: JSON.parse(value) as T };
    } catch {
      this.#log.warn({ namespace: this.#namespace }, 'unreadable shared record ignored');
      return undefined;
    }
  }

  /**
   * `authoritative`: the value was just read from (or written to) the source of truth, so it
   * replaces the cache even with a lower generation (Redis restarted empty). Otherwise only a
   * newer generation lands.
   */
  #apply(id: string, next: Versioned<T> | undefined, authoritative: boolean): void {
    const previous = this.#cache.get(id);
    if (previous?.generation === next?.generation && previous !== undefined) return;
    if (!authoritative && previous && next && next.generation <= previous.generation) return;
    if (next === undefined) this.#cache.delete(id);
    else this.#cache.set(id, next);
    this.emit('change', id, next, previous);
  }

  /** Subscribe and start polling. Memory mode has nothing to start. */
  start(): void {
    const redis = this.#redis;
    if (!redis || this.#poller) return;
    const channel = this.#channel;
    this.#onMessage = (received, message) => {
      if (received !== channel) return;
      const [id, generation] = message.split(' ');
      if (id === undefined || Number(generation) <= (this.#cache.get(id)?.generation ?? 0)) return;
      this.refresh(id).catch(() => undefined);
    };
    redis.subscriber.on('message', this.#onMessage);
    redis.subscriber.subscribe(channel).catch((error: Error) => {
      this.#log.warn(
        { err: { message: error.message }, namespace: this.#namespace },
        'shared state subscription failed; polling only',
      );
    });
    this.#poller = setInterval(() => void this.#poll(), this.#pollMs);
    this.#poller.unref();
    void this.#poll();
  }

  /**
   * Reads every tracked record now. An instance awaits this before it serves, so it starts with
   * the fleet's current overrides and breaker states rather than a poll interval later.
   */
  async load(): Promise<void> {
    if (!this.#redis?.available) return;
    await this.#poll();
  }

  async #poll(): Promise<void> {
    if (!this.#redis?.available) return;
    await Promise.all([...this.#known].map((id) => this.refresh(id).catch(() => undefined)));
  }

  stop(): void {
    if (this.#poller) clearInterval(this.#poller);
    this.#poller = undefined;
    if (this.#redis && this.#onMessage) {
      this.#redis.subscriber.off('message', this.#onMessage);
      this.#redis.subscriber.unsubscribe(this.#channel).catch(() => undefined);
    }
  }
}
