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

  async readMany(accounts: readonly string[], from: number, to: number): Promise<Map<string, Bucket[]>> {
    const read = new Map<string, Bucket[]>();
    for (const account of accounts) read.set(account, await this.read(account, from, to));
    return read;
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

interface HistoryScripts {
  addToHour(key: string, ttlSeconds: number, ...fieldsAndIncrements: (string | number)[]): Promise<number>;
  setInHour(key: string, ttlSeconds: number, field: string, value: number): Promise<number>;
}

export class RedisHistoryStore implements HistoryStore {
  constructor(private readonly redis: RedisConnection) {
    redis.client.defineCommand('addToHour', { numberOfKeys: 1, lua: ADD_TO_HOUR });
    redis.client.defineCommand('setInHour', { numberOfKeys: 1, lua: SET_IN_HOUR });
  }

  get #scripts(): HistoryScripts {
    return this.redis.client as unknown as HistoryScripts;
  }

  /** The hash holding an hour of an account's history. */
  #hourKey(account: string, hour: number): string {
    return `${this.redis.keyPrefix}health:${account}:${hour}`;
  }

  #key(account: string, minute: number): string {
    return this.#hourKey(account, Math.floor(minute / 60));
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
    return (await this.readMany([account], fromMinute, toMinute)).get(account)!;
  }

  async readMany(
    accounts: readonly string[],
    fromMinute: number,
    toMinute: number,
  ): Promise<Map<string, Bucket[]>> {
    const keysOf = accounts.map((account) => this.#hourKeys(account, fromMinute, toMinute));
    let hashes: [string, string][][];
    try {
      hashes = await this.redis.readHashes(keysOf.flat());
    } catch (cause) {
      // A report cannot be scored without its history: the caller learns why, in the catalogue's terms.
      throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
        ...(accounts.length === 1 ? { account: accounts[0]! } : {}),
        cause,
        detail: 'health history unreadable',
      });
    }
    const read = new Map<string, Bucket[]>();
    let next = 0;
    accounts.forEach((account, index) => {
      const own = keysOf[index]!.length;
      read.set(account, bucketsOf(hashes.slice(next, next + own), fromMinute, toMinute));
      next += own;
    });
    return read;
  }

  /** The hour hashes holding `fromMinute` to `toMinute` of an account. */
  #hourKeys(account: string, fromMinute: number, toMinute: number): string[] {
    const keys: string[] = [];
    for (let hour = Math.floor(fromMinute / 60); hour <= Math.floor(toMinute / 60); hour += 1)
      keys.push(this.#hourKey(account, hour));
    return keys;
  }
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
