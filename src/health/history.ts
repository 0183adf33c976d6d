/**
 * @module health/history
 * Per account, one-minute buckets for 24 hours: successes and failures by source, failures by
 * taxonomy class, a latency histogram of token requests, and the score at the end of the minute.
 * Redis mode: one hash per account and hour (`health:<account>:<hour>`, fields
 * `<minute>|<field>`), so reading a day is 24 reads per account and every key expires after 25
 * hours; the fleet adds into the same buckets. Memory mode keeps the same buckets in process.
 * Both are bounded: 1,440 minutes × a fixed set of fields per account. Which accounts have any
 * history at all is kept apart (`health-active`: account scored by its last minute with events),
 * so that readers skip the accounts nothing happened to: at 10,000 accounts most of them.
 */
import { GatewayError } from '../core/errors.js';
import type { FailureClass } from '../core/failure-classes.js';
import type { RedisConnection } from '../platform/redis.js';

export const MINUTE_MS = 60_000;
export const HISTORY_MINUTES = 24 * 60;

/** Upper bounds (ms) of the latency histogram buckets; the last one is open-ended. */
export const LATENCY_BOUNDS_MS = [25, 50, 100, 200, 400, 800, 1_600, 3_200, 6_400, Infinity] as const;

export type EventSource = 'token' | 'api' | 'probe' | 'shipment' | 'rates' | 'tracking';

/** One minute of one account. Counters are sums over the fleet. */
export interface Bucket {
  minute: number;
  ok: Partial<Record<EventSource, number>>;
  failed: Partial<Record<EventSource, number>>;
  classes: Partial<Record<FailureClass, number>>;
  /** Token request latency histogram, one count per LATENCY_BOUNDS_MS entry. */
  latency: number[];
  /** Fresh tokens the carrier rejected. */
  freshRejections: number;
  score?: number;
}

/** Increments to add into one minute. */
export interface BucketDelta {
  ok?: Partial<Record<EventSource, number>>;
  failed?: Partial<Record<EventSource, number>>;
  classes?: Partial<Record<FailureClass, number>>;
  latency?: number[];
  freshRejections?: number;
}

export function emptyBucket(minute: number): Bucket {
  return {
    minute,
    ok: {},
    failed: {},
    classes: {},
    latency: LATENCY_BOUNDS_MS.map(() => 0),
    freshRejections: 0,
  };
}

export function latencyIndex(ms: number): number {
  return LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
}

/** Flattens a delta into `field → increment` (the Redis hash layout, without the minute prefix). */
export function deltaFields(delta: BucketDelta): [string, number][] {
  const fields: [string, number][] = [];
  for (const [source, n] of Object.entries(delta.ok ?? {})) fields.push([`ok.${source}`, n]);
  for (const [source, n] of Object.entries(delta.failed ?? {})) fields.push([`failed.${source}`, n]);
  for (const [name, n] of Object.entries(delta.classes ?? {})) fields.push([`class.${name}`, n]);
  (delta.latency ?? []).forEach((n, index) => {
    if (n > 0) fields.push([`latency.${index}`, n]);
  });
  if (delta.freshRejections) fields.push(['freshRejections', delta.freshRejections]);
  return fields;
}

function applyField(bucket: Bucket, field: string, value: number): void {
  const dot = field.indexOf('.');
  const head = dot === -1 ? field : field.slice(0, dot);
  const tail = field.slice(dot + 1);
  if (head === 'ok' || head === 'failed') {
    const target = bucket[head] as Record<string, number>;
    target[tail] = (target[tail] ?? 0) + value;
  } else if (head === 'class') {
    const classes = bucket.classes as Record<string, number>;
    classes[tail] = (classes[tail] ?? 0) + value;
  } else if (head === 'latency') {
    const index = Number(tail);
    if (index >= 0 && index < bucket.latency.length) bucket.latency[index]! += value;
  } else if (head === 'freshRejections') {
    bucket.freshRejections += value;
  } else if (head === 'score') {
    bucket.score = value;
  }
}

export interface HistoryStore {
  add(account: string, minute: number, delta: BucketDelta): Promise<void>;
  setScore(account: string, minute: number, score: number): Promise<void>;
  /** Buckets with anything in them from `fromMinute` to `toMinute` inclusive, oldest first. */
  read(account: string, fromMinute: number, toMinute: number): Promise<Bucket[]>;
  /** `read` for many accounts at once (ranking a fleet): each account's buckets, by account. */
  readMany(accounts: readonly string[], fromMinute: number, toMinute: number): Promise<Map<string, Bucket[]>>;
  /** Accounts with events (added deltas) in a minute from `fromMinute` on; one read for all. */
  activeSince(fromMinute: number): Promise<Set<string>>;
}

/** How many events a bucket holds (a score alone is no event). */
function deltaFieldsOf(bucket: Bucket): number {
  const sum = (record: Partial<Record<string, number>>) =>
    Object.values(record).reduce((total: number, n) => total + (n ?? 0), 0);
  return sum(bucket.ok) + sum(bucket.failed);
}

export class MemoryHistoryStore implements HistoryStore {
  readonly #accounts = new Map<string, Map<number, Bucket>>();

  #bucket(account: string, minute: number): Bucket {
    let buckets = this.#accounts.get(account);
    if (!buckets) {
      buckets = new Map();
      this.#accounts.set(account, buckets);
    }
    let bucket = buckets.get(minute);
    if (!bucket) {
      bucket = emptyBucket(minute);
      buckets.set(minute, bucket);
      for (const old of buckets.keys()) if (old <= minute - HISTORY_MINUTES) buckets.delete(old);
    }
    return bucket;
  }

  async add(account: string, minute: number, delta: BucketDelta): Promise<void> {
    const bucket = this.#bucket(account, minute);
    for (const [field, value] of deltaFields(delta)) applyField(bucket, field, value);
  }

  async setScore(account: string, minute: number, score: number): Promise<void> {
    this.#bucket(account, minute).score = score;
  }

  async activeSince(fromMinute: number): Promise<Set<string>> {
    const active = new Set<string>();
    for (const [account, buckets] of this.#accounts) {
      for (const bucket of buckets.values()) {
        if (bucket.minute < fromMinute || deltaFieldsOf(bucket) === 0) continue;
        active.add(account);
        break;
      }
    }
    return active;
  }

  readMany(accounts: readonly string[], from: number, to: number): Promise<Map<string, Bucket[]>> {
    return readEach(this, accounts, from, to);
  }

  async read(account: string, fromMinute: number, toMinute: number): Promise<Bucket[]> {
    const buckets = this.#accounts.get(account);
    if (!buckets) return [];
    return [...buckets.values()]
      .filter((bucket) => bucket.minute >= fromMinute && bucket.minute <= toMinute)
      .sort((a, b) => a.minute - b.minute)
      .map((bucket) => structuredClone(bucket));
  }
}

const HOUR_KEY_TTL_SECONDS = 25 * 3600;

/**
 * KEYS[1] an account's hour hash; ARGV[1] its time to live (s), then field/increment pairs.
 * A script rather than a pipeline: every ioredis pipeline gets a hidden class of its own, which
 * keeps it and its commands out of reach of V8's young-generation collector (see UPDATE_STATE in
 * src/auth/redis-token-store.ts).
 */
const ADD_TO_HOUR = `
for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** KEYS[1] an account's hour hash; ARGV: its time to live (s), the field, the value. */
const SET_IN_HOUR = `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * KEYS: hour hashes; returns each one's fields and values (HGETALL), in order. One command for a
 * whole batch of accounts instead of one or two each: ranking 10,000 accounts sent 20,000 reads.
 * Not on a Cluster, where the keys of different accounts live in different slots.
 */
const READ_HOURS = `
local hours = {}
for i, key in ipairs(KEYS) do hours[i] = redis.call('HGETALL', key) end
return hours
`;

interface HistoryScripts {
  addToHour(key: string, ttlSeconds: number, ...fieldsAndIncrements: (string | number)[]): Promise<number>;
  setInHour(key: string, ttlSeconds: number, field: string, value: number): Promise<number>;
  readHours(keyCount: number, ...keys: string[]): Promise<string[][]>;
}

export class RedisHistoryStore implements HistoryStore {
  constructor(private readonly redis: RedisConnection) {
    redis.client.defineCommand('addToHour', { numberOfKeys: 1, lua: ADD_TO_HOUR });
    redis.client.defineCommand('setInHour', { numberOfKeys: 1, lua: SET_IN_HOUR });
    // The number of keys is the first argument: a batch's size varies.
    redis.client.defineCommand('readHours', { lua: READ_HOURS });
  }

  get #scripts(): HistoryScripts {
    return this.redis.client as unknown as HistoryScripts;
  }

  #key(account: string, minute: number): string {
    return `${this.redis.keyPrefix}health:${account}:${Math.floor(minute / 60)}`;
  }

  async add(account: string, minute: number, delta: BucketDelta): Promise<void> {
    const increments: (string | number)[] = [];
    for (const [field, value] of deltaFields(delta)) increments.push(`${minute}|${field}`, value);
    await this.#scripts.addToHour(this.#key(account, minute), HOUR_KEY_TTL_SECONDS, ...increments);
    // Its own command: another key, so another Cluster slot than the script's.
    await this.redis.client.zadd(this.#active, minute, account);
  }

  get #active(): string {
    return `${this.redis.keyPrefix}health-active`;
  }

  async activeSince(fromMinute: number): Promise<Set<string>> {
    const active = await this.redis.client.zrangebyscore(this.#active, fromMinute, '+inf');
    return new Set(active);
  }

  async setScore(account: string, minute: number, score: number): Promise<void> {
    await this.#scripts.setInHour(this.#key(account, minute), HOUR_KEY_TTL_SECONDS, `${minute}|score`, score);
  }

  async read(account: string, fromMinute: number, toMinute: number): Promise<Bucket[]> {
    const keys = this.#hourKeys(account, fromMinute, toMinute);
    let hashes: Record<string, string>[];
    try {
      // One command per hour key, sent together (not a pipeline): on Redis Cluster the hours of
      // an account live in different slots, which one pipeline may not span.
      hashes = await Promise.all(keys.map((key) => this.redis.client.hgetall(key)));
    } catch (cause) {
      throw historyUnreadable(account, cause);
    }
    return bucketsOf(
      hashes.map((hash) => Object.entries(hash)),
      fromMinute,
      toMinute,
    );
  }

  async readMany(
    accounts: readonly string[],
    fromMinute: number,
    toMinute: number,
  ): Promise<Map<string, Bucket[]>> {
    // On a Cluster the accounts' hours live in different slots: no one script may read them all.
    if (this.redis.topology === 'cluster') return readEach(this, accounts, fromMinute, toMinute);
    const read = new Map<string, Bucket[]>();
    if (accounts.length === 0) return read;
    const keysOf = accounts.map((account) => this.#hourKeys(account, fromMinute, toMinute));
    const keys = keysOf.flat();
    let hashes: string[][];
    try {
      hashes = await this.#scripts.readHours(keys.length, ...keys);
    } catch (cause) {
      throw historyUnreadable(accounts[0]!, cause);
    }
    let next = 0;
    accounts.forEach((account, index) => {
      const own = hashes.slice(next, next + keysOf[index]!.length);
      next += own.length;
      read.set(
        account,
        bucketsOf(
          own.map((flat) => pairs(flat)),
          fromMinute,
          toMinute,
        ),
      );
    });
    return read;
  }

  /** The hour hashes holding `fromMinute` to `toMinute` of an account. */
  #hourKeys(account: string, fromMinute: number, toMinute: number): string[] {
    const keys: string[] = [];
    for (let hour = Math.floor(fromMinute / 60); hour <= Math.floor(toMinute / 60); hour += 1)
      keys.push(`${this.redis.keyPrefix}health:${account}:${hour}`);
    return keys;
  }
}

/** `read` of each account, by account. */
async function readEach(
  store: Pick<HistoryStore, 'read'>,
  accounts: readonly string[],
  fromMinute: number,
  toMinute: number,
): Promise<Map<string, Bucket[]>> {
  const all = await Promise.all(accounts.map((account) => store.read(account, fromMinute, toMinute)));
  return new Map(accounts.map((account, index) => [account, all[index]!]));
}

/** A report cannot be scored without its history: the caller learns why, in the catalogue's terms. */
function historyUnreadable(account: string, cause: unknown): GatewayError {
  return new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
    account,
    cause,
    detail: 'health history unreadable',
  });
}

/** HGETALL's flat reply (field, value, field, value, ...) as pairs. */
function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) out.push([flat[index]!, flat[index + 1]!]);
  return out;
}

/** The buckets from `fromMinute` to `toMinute` that hour hashes' `minute|field` entries fill, oldest first. */
function bucketsOf(hashes: [string, string][][], fromMinute: number, toMinute: number): Bucket[] {
  const buckets = new Map<number, Bucket>();
  for (const fields of hashes) {
    for (const [name, raw] of fields) {
      const bar = name.indexOf('|');
      const minute = Number(name.slice(0, bar));
      if (!(minute >= fromMinute && minute <= toMinute)) continue;
      let bucket = buckets.get(minute);
      if (!bucket) {
        bucket = emptyBucket(minute);
        buckets.set(minute, bucket);
      }
      applyField(bucket, name.slice(bar + 1), Number(raw));
    }
  }
  return [...buckets.values()].sort((a, b) => a.minute - b.minute);
}
