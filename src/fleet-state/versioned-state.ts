/**
 * @module fleet-state/versioned-state
 * Small records the whole fleet must agree on (an account's breaker state, its manual
 * overrides), each with a generation number. A write names the generation it was decided on and
 * lands only if that is still the current one (compare-and-set in one Lua script), so a decision
 * taken on an old state never overwrites a newer one. Redis is the truth; an instance's copy is a
 * cache with the same ordering rule. Memory mode (embedded, one instance) keeps the same interface.
 *
 * What it costs must not grow with the number of accounts, only with the number of changes:
 * - Every write is published with the record itself, so the others apply it without a read.
 * - Behind pub/sub (a message can be lost: a reconnecting subscriber, a Cluster node failing
 *   over), each namespace keeps a change counter and a sorted set of `id → counter at its last
 *   change`, written by the same script as the record. The catch-up reads the counter once per
 *   interval (one command at idle, whatever the number of accounts) and, when it moved, fetches
 *   only the records changed since the counter it last saw.
 * - The counter carries an epoch, drawn by whoever creates it: a Redis that restarted empty (or
 *   was flushed) has another epoch, and every instance then reloads the whole namespace once.
 * - Only records that exist are cached: an account nobody ever changed costs nothing.
 *
 * Redis keys (one hash tag per namespace, so the script's keys share a Cluster slot):
 * `{<namespace>}:records` (hash: id → `<generation> <json>`), `{<namespace>}:version` (hash:
 * `epoch`, `counter`), `{<namespace>}:changes` (sorted set: id scored by the counter).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

import { Cluster } from 'ioredis';
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
 * KEYS: records, version, changes. ARGV: id, expected generation (0: no record), value (JSON),
 * floor, channel, epoch for a counter created now.
 * Writes `value` as generation `max(current, floor) + 1` only if the current generation equals
 * `expected`. Returns the new generation, or the current one negated when the write lost the
 * race. The floor keeps generations rising after Redis restarted empty. The channel is an
 * argument, not a key: a channel is no key (Cluster delivers a PUBLISH to subscribers on every
 * node). The message is `{"id","generation","value"}`: receivers need no read.
 */
const COMPARE_AND_SET = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local current = 0
if raw then current = tonumber(string.match(raw, '^(%d+) ')) or 0 end
if current ~= tonumber(ARGV[2]) then return -current end
local nextGeneration = math.max(current, tonumber(ARGV[4])) + 1
redis.call('HSET', KEYS[1], ARGV[1], nextGeneration .. ' ' .. ARGV[3])
redis.call('HSETNX', KEYS[2], 'epoch', ARGV[6])
local counter = redis.call('HINCRBY', KEYS[2], 'counter', 1)
redis.call('ZADD', KEYS[3], counter, ARGV[1])
redis.call('PUBLISH', ARGV[5],
  '{"id":' .. cjson.encode(ARGV[1]) .. ',"generation":' .. nextGeneration .. ',"value":' .. ARGV[3] .. '}')
return nextGeneration
`;

/**
 * KEYS: records, version, changes. ARGV: the counter last seen. Returns the epoch, the counter
 * and, flattened, `id, record` of every record changed after the counter seen (one snapshot).
 */
const CHANGED_SINCE = `
local version = redis.call('HMGET', KEYS[2], 'epoch', 'counter')
local result = { version[1] or '', version[2] or '0' }
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf')
for _, id in ipairs(ids) do
  local record = redis.call('HGET', KEYS[1], id)
  if record then
    result[#result + 1] = id
    result[#result + 1] = record
  end
end
return result
`;

/** Old-layout records read per pipeline when they are moved (adoptLegacy). */
const LEGACY_BATCH = 500;

export interface VersionedStateOptions {
  /** Distinguishes record kinds: `breaker`, `override`. */
  namespace: string;
  log: Logger;
  redis?: RedisConnection;
  /** How often the namespace's change counter is read (the backstop behind pub/sub). */
  pollMs?: number;
}

/** Where this instance stands in a namespace's change log. */
interface Position {
  epoch: string;
  counter: number;
}

export class VersionedState<T> extends EventEmitter<VersionedStateEvents<T>> {
  readonly #cache = new Map<string, Versioned<T>>();
  readonly #redis: RedisConnection | undefined;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #pollMs: number;
  #poller: NodeJS.Timeout | undefined;
  #onMessage: ((channel: string, message: string) => void) | undefined;
  #onAvailable: (() => void) | undefined;
  /** Undefined until the namespace was read whole once (then every catch-up is incremental). */
  #seen: Position | undefined;
  #catchingUp: Promise<void> | undefined;

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

  #keys(): [records: string, version: string, changes: string] {
    const base = `${this.#redis!.keyPrefix}{${this.#namespace}}`;
    return [`${base}:records`, `${base}:version`, `${base}:changes`];
  }

  get #channel(): string {
    return `${this.#redis!.keyPrefix}${this.#namespace}-events`;
  }

  /** The latest state this instance knows. No I/O: the hot path reads this. */
  cached(id: string): Versioned<T> | undefined {
    return this.#cache.get(id);
  }

  /** Ids that have a record (the accounts something ever happened to). */
  ids(): IterableIterator<string> {
    return this.#cache.keys();
  }

  /**
   * Write `value` if the record is still at `expected`. Resolves to the new state, or to null when
   * another writer got there first (the cache then holds the winner's state).
   */
  async compareAndSet(id: string, expected: number, value: T): Promise<Versioned<T> | null> {
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
      3,
      ...this.#keys(),
      id,
      String(expected),
      JSON.stringify(value),
      String(floor),
      this.#channel,
      randomUUID(),
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
    const [records] = this.#keys();
    const raw = await this.#redis.client.hget(records, id);
    const next = raw === null ? undefined : this.#decode(raw);
    this.#apply(id, next, true);
    return next;
  }

  #decode(raw: string): Versioned<T> | undefined {
    const space = raw.indexOf(' ');
    const generation = Number(raw.slice(0, space));
    try {
      if (space < 1 || !Number.isSafeInteger(generation)) throw new Error('no generation');
      return { generation, value: JSON.parse(raw.slice(space + 1)) as T };
    } catch {
      this.#log.warn({ namespace: this.#namespace }, 'unreadable shared record ignored');
      return undefined;
    }
  }

  /**
   * `authoritative`: the value was just read from (or written to) the source of truth, so it
   * replaces the cache even with a lower generation (Redis restarted empty). Otherwise only a
   * newer generation lands. Nothing is emitted unless the record really changed.
   */
  #apply(id: string, next: Versioned<T> | undefined, authoritative: boolean): void {
    const previous = this.#cache.get(id);
    if (previous?.generation === next?.generation) return;
    if (!authoritative && previous && next && next.generation <= previous.generation) return;
    if (next === undefined) this.#cache.delete(id);
    else this.#cache.set(id, next);
    this.emit('change', id, next, previous);
  }

  /** Subscribe and start the catch-up timer. Memory mode has nothing to start. */
  start(): void {
    const redis = this.#redis;
    if (!redis || this.#poller) return;
    const channel = this.#channel;
    this.#onMessage = (received, message) => {
      if (received !== channel) return;
      const record = this.#message(message);
      if (record) this.#apply(record.id, { generation: record.generation, value: record.value }, false);
    };
    redis.subscriber.on('message', this.#onMessage);
    redis.subscriber.subscribe(channel).catch((error: Error) => {
      this.#log.warn(
        { err: { message: error.message }, namespace: this.#namespace },
        'shared state subscription failed; polling only',
      );
    });
    // Messages published while Redis was away are lost: catch up as soon as it is back.
    this.#onAvailable = () => void this.#catchUp();
    redis.on('available', this.#onAvailable);
    this.#poller = setInterval(() => void this.#catchUp(), this.#pollMs);
    this.#poller.unref();
    void this.#catchUp();
  }

  #message(message: string): { id: string; generation: number; value: T } | undefined {
    try {
      const parsed = JSON.parse(message) as { id?: unknown; generation?: unknown; value?: unknown };
      if (typeof parsed.id !== 'string' || typeof parsed.generation !== 'number') return undefined;
      return { id: parsed.id, generation: parsed.generation, value: parsed.value as T };
    } catch {
      return undefined;
    }
  }

  /**
   * Reads the namespace now. An instance awaits this before it serves, so it starts with the
   * fleet's current overrides and breaker states rather than a poll interval later.
   */
  async load(): Promise<void> {
    if (!this.#redis?.available) return;
    await this.#catchUp();
  }

  /**
   * Moves records of the layout before this one (a hash `<namespace>:<id>` per record, fields
   * `generation` and `value`) into this one, once per Redis: an operator's drain or failover must
   * survive the upgrade. Runs while the namespace has no change counter yet, reads each id's old
   * key (one command per configured id, at that one boot), and leaves a counter behind so later
   * boots skip it. Several instances starting together are harmless: a record lands once
   * (compare-and-set on "no record"). Returns how many records were moved.
   */
  async adoptLegacy(ids: readonly string[]): Promise<number> {
    const redis = this.#redis;
    if (!redis?.available) return 0;
    const [records, version, changes] = this.#keys();
    if ((await redis.client.hexists(version, 'epoch')) === 1) return 0;
    const legacy = await this.#readLegacy(ids);
    const moved = await Promise.all(
      legacy.map(async ({ id, generation, value }) => {
        const written = (await redis.client.eval(
          COMPARE_AND_SET,
          3,
          records,
          version,
          changes,
          id,
          '0',
          value,
          String(Number(generation) - 1),
          this.#channel,
          randomUUID(),
        )) as number;
        return written > 0;
      }),
    );
    await redis.client.hsetnx(version, 'epoch', randomUUID());
    const count = moved.filter(Boolean).length;
    if (count > 0) {
      this.#log.info(
        { namespace: this.#namespace, records: count },
        'shared records moved to the new layout',
      );
      await this.#catchUp();
    }
    return count;
  }

  /**
   * The old records of `ids` that exist. On one Redis (or Sentinel) in pipelines of a few hundred
   * (10,000 single commands were a second of a 10,000-account boot); on a Cluster the keys live
   * in different slots, which one pipeline may not span, so one command each.
   */
  async #readLegacy(ids: readonly string[]): Promise<{ id: string; generation: string; value: string }[]> {
    const redis = this.#redis!;
    const key = (id: string) => `${redis.keyPrefix}${this.#namespace}:${id}`;
    const replies: (string | null)[][] = [];
    if (redis.client instanceof Cluster) {
      replies.push(
        ...(await Promise.all(ids.map((id) => redis.client.hmget(key(id), 'generation', 'value')))),
      );
    } else {
      for (let start = 0; start < ids.length; start += LEGACY_BATCH) {
        const pipeline = redis.client.pipeline();
        for (const id of ids.slice(start, start + LEGACY_BATCH))
          pipeline.hmget(key(id), 'generation', 'value');
        for (const [error, reply] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          replies.push(reply as (string | null)[]);
        }
      }
    }
    const found: { id: string; generation: string; value: string }[] = [];
    replies.forEach(([generation, value], index) => {
      if (generation === null || generation === undefined || value === null || value === undefined) return;
      if (this.#decode(`${generation} ${value}`) === undefined) return;
      found.push({ id: ids[index]!, generation, value });
    });
    return found;
  }

  /** One catch-up at a time: a slow Redis must not pile them up. */
  #catchUp(): Promise<void> {
    if (!this.#redis?.available) return Promise.resolve();
    this.#catchingUp ??= this.#readChanges()
      .catch((error: Error) =>
        this.#log.debug(
          { err: { message: error.message }, namespace: this.#namespace },
          'shared state catch-up failed',
        ),
      )
      .finally(() => {
        this.#catchingUp = undefined;
      });
    return this.#catchingUp;
  }

  async #readChanges(): Promise<void> {
    const redis = this.#redis!;
    const [records, version, changes] = this.#keys();
    if (this.#seen !== undefined) {
      // The idle path: one command, whatever the number of records.
      const [epoch, counter] = await redis.client.hmget(version, 'epoch', 'counter');
      // No counter while records are cached: Redis lost them before a catch-up saw the epoch.
      const lost = epoch === null && this.#cache.size > 0;
      if (!lost && (epoch ?? '') === this.#seen.epoch && Number(counter ?? 0) === this.#seen.counter) return;
      if ((epoch ?? '') === this.#seen.epoch && Number(counter ?? 0) > this.#seen.counter) {
        const answer = (await redis.client.eval(
          CHANGED_SINCE,
          3,
          records,
          version,
          changes,
          String(this.#seen.counter),
        )) as string[];
        // The epoch may have changed between the two reads: then reload whole, below.
        if (answer[0] === this.#seen.epoch) {
          for (let i = 2; i + 1 < answer.length; i += 2) {
            this.#apply(answer[i]!, this.#decode(answer[i + 1]!), true);
          }
          this.#seen = { epoch: this.#seen.epoch, counter: Number(answer[1]) };
          return;
        }
      }
    }
    await this.#reloadAll();
  }

  /** Reads every record of the namespace (at start, and after Redis lost its data). */
  async #reloadAll(): Promise<void> {
    const redis = this.#redis!;
    const [records, version] = this.#keys();
    const results = await redis.client.multi().hmget(version, 'epoch', 'counter').hgetall(records).exec();
    if (results === null) throw new Error('shared state read aborted');
    for (const [error] of results) if (error) throw error;
    const [epoch, counter] = results[0]![1] as [string | null, string | null];
    const all = results[1]![1] as Record<string, string>;
    for (const id of [...this.#cache.keys()]) if (!(id in all)) this.#apply(id, undefined, true);
    for (const [id, raw] of Object.entries(all)) this.#apply(id, this.#decode(raw), true);
    this.#seen = { epoch: epoch ?? '', counter: Number(counter ?? 0) };
  }

  stop(): void {
    if (this.#poller) clearInterval(this.#poller);
    this.#poller = undefined;
    if (this.#redis && this.#onAvailable) this.#redis.off('available', this.#onAvailable);
    if (this.#redis && this.#onMessage) {
      this.#redis.subscriber.off('message', this.#onMessage);
      this.#redis.subscriber.unsubscribe(this.#channel).catch(() => undefined);
    }
  }
}
