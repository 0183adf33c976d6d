/**
 * @module shipments/idempotency-store
 * `(client, Idempotency-Key)` → what became of that shipment, for 24 hours (the IETF
 * Idempotency-Key draft, Stripe's model). One record per key, changed only by the request that
 * holds it (an owner token with a lease, renewed while it works):
 *
 * - in_progress: a request holds the key; a concurrent duplicate gets 409. If its instance dies,
 *   the lease runs out and the next retry takes over, pinned to the account it was sending to.
 * - completed: the label exists; repeats get the stored response.
 * - unknown: a carrier may or may not have made the label; the account is pinned, so a retry goes
 *   back there (with the same carrier idempotency key) and never to another carrier.
 *
 * A request that created nothing anywhere deletes its record, so the client may simply retry.
 * The fingerprint of the body is kept, and the same key with another body is refused. Redis mode
 * runs each step as one Lua script on Redis's clock; memory mode (embedded) does the same in
 * process.
 */
import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRecord {
  fingerprint: string;
  shipmentId: string;
  carrierKey: string;
  state: 'in_progress' | 'completed' | 'unknown';
  /** The account a label request was last sent to. */
  account?: string;
  response?: StoredResponse;
}

export type BeginResult =
  | { kind: 'new'; record: IdempotencyRecord }
  | { kind: 'resumed'; record: IdempotencyRecord }
  | { kind: 'completed'; record: IdempotencyRecord }
  | { kind: 'in_use' }
  | { kind: 'mismatch' };

export interface IdempotencyStore {
  /** Claims the key for `owner`, or says why not. `fresh` is the record to create when there is none. */
  begin(key: string, owner: string, fresh: IdempotencyRecord, leaseMs: number): Promise<BeginResult>;
  /** Records the account about to be sent to, and renews the lease. False: the key is no longer ours. */
  pin(key: string, owner: string, account: string, leaseMs: number): Promise<boolean>;
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  complete(key: string, owner: string, response: StoredResponse): Promise<boolean>;
  markUnknown(key: string, owner: string, account: string): Promise<boolean>;
  /** Nothing was created anywhere: forget the key. */
  release(key: string, owner: string): Promise<boolean>;
  /**
   * Takes a record whose outcome is unknown (or left in progress, pinned, by an instance that
   * died) for `owner` (in-doubt resolution), as a retry would:
   * the answer then goes through `complete`, `release` or `markUnknown` like any other. False: the
   * record is not unknown (a retry holds it, or it was settled).
   */
  claimUnknown(key: string, owner: string, leaseMs: number): Promise<IdempotencyRecord | undefined>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

// --- Redis -------------------------------------------------------------------------------------

const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] record; ARGV: owner, leaseMs, ttlMs, fingerprint, shipmentId, carrierKey. */
const BEGIN = `
${NOW_MS}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[4], 'shipmentId', ARGV[5], 'carrierKey', ARGV[6],
    'state', 'in_progress', 'owner', ARGV[1], 'leaseUntil', now + tonumber(ARGV[2]))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 'new'
end
if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[4] then return 'mismatch' end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' then return 'completed' end
if state == 'in_progress' and tonumber(redis.call('HGET', KEYS[1], 'leaseUntil')) > now then return 'in_use' end
redis.call('HSET', KEYS[1], 'state', 'in_progress', 'owner', ARGV[1], 'leaseUntil', now + tonumber(ARGV[2]))
return 'resumed'
`;

const OWNED = `if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'in_progress' then return 0 end`;

/** ARGV: owner, leaseMs, account ('' to keep). */
const PIN = `
${NOW_MS}
${OWNED}
redis.call('HSET', KEYS[1], 'leaseUntil', now + tonumber(ARGV[2]))
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'account', ARGV[3]) end
return 1
`;

/** ARGV: owner, state, field, value, ttlMs. */
const SETTLE = `
${OWNED}
redis.call('HSET', KEYS[1], 'state', ARGV[2], ARGV[3], ARGV[4])
redis.call('HDEL', KEYS[1], 'owner', 'leaseUntil')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** ARGV: owner, leaseMs. */
const CLAIM_UNKNOWN = `
${NOW_MS}
local state = redis.call('HGET', KEYS[1], 'state')
local orphaned = state == 'in_progress' and redis.call('HEXISTS', KEYS[1], 'account') == 1
  and tonumber(redis.call('HGET', KEYS[1], 'leaseUntil') or '0') <= now
if state ~= 'unknown' and not orphaned then return 0 end
redis.call('HSET', KEYS[1], 'state', 'in_progress', 'owner', ARGV[1], 'leaseUntil', now + tonumber(ARGV[2]))
return 1
`;

const RELEASE = `
${OWNED}
redis.call('DEL', KEYS[1])
return 1
`;

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number = IDEMPOTENCY_TTL_MS,
  ) {}

  #key(key: string): string {
    return `${this.redis.keyPrefix}idempotency:${key}`;
  }

  /**
   * Without its record a shipment could be made twice, so no Redis means no shipment: the
   * failure becomes ERR_REDIS_UNAVAILABLE before anything is sent.
   */
  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
        cause,
        detail: 'shipments keep their idempotency record in Redis, which is unreachable',
        retryAfterMs: 2_000,
      });
    }
  }

  async #read(key: string): Promise<IdempotencyRecord> {
    const fields = await this.#run(() => this.redis.client.hgetall(this.#key(key)));
    const record: IdempotencyRecord = {
      fingerprint: fields['fingerprint'] ?? '',
      shipmentId: fields['shipmentId'] ?? '',
      carrierKey: fields['carrierKey'] ?? '',
      state: (fields['state'] ?? 'in_progress') as IdempotencyRecord['state'],
    };
    if (fields['account']) record.account = fields['account'];
    if (fields['response']) record.response = JSON.parse(fields['response']) as StoredResponse;
    return record;
  }

  async begin(key: string, owner: string, fresh: IdempotencyRecord, leaseMs: number): Promise<BeginResult> {
    const outcome = (await this.#run(() =>
      this.redis.client.eval(
        BEGIN,
        1,
        this.#key(key),
        owner,
        String(leaseMs),
        String(this.ttlMs),
        fresh.fingerprint,
        fresh.shipmentId,
        fresh.carrierKey,
      ),
    )) as 'new' | 'mismatch' | 'completed' | 'in_use' | 'resumed';
    if (outcome === 'new') return { kind: 'new', record: fresh };
    if (outcome === 'mismatch' || outcome === 'in_use') return { kind: outcome };
    return { kind: outcome, record: await this.#read(key) };
  }

  async #owned(script: string, key: string, ...args: string[]): Promise<boolean> {
    return (await this.#run(() => this.redis.client.eval(script, 1, this.#key(key), ...args))) === 1;
  }

  async pin(key: string, owner: string, account: string, leaseMs: number): Promise<boolean> {
    const pinned = await this.#owned(PIN, key, owner, String(leaseMs), account);
    // The last write before the label request goes out: under Sentinel it waits for a replica,
    // so a failover cannot forget a record whose shipment the carrier may already hold.
    if (pinned) await this.#run(() => this.redis.confirmReplicated());
    return pinned;
  }

  renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.#owned(PIN, key, owner, String(leaseMs), '');
  }

  complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    return this.#owned(
      SETTLE,
      key,
      owner,
      'completed',
      'response',
      JSON.stringify(response),
      String(this.ttlMs),
    );
  }

  markUnknown(key: string, owner: string, account: string): Promise<boolean> {
    return this.#owned(SETTLE, key, owner, 'unknown', 'account', account, String(this.ttlMs));
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.#owned(RELEASE, key, owner);
  }

  async claimUnknown(key: string, owner: string, leaseMs: number): Promise<IdempotencyRecord | undefined> {
    const claimed = await this.#run(() =>
      this.redis.client.eval(CLAIM_UNKNOWN, 1, this.#key(key), owner, String(leaseMs)),
    );
    return claimed === 1 ? this.#read(key) : undefined;
  }
}

// --- Memory ------------------------------------------------------------------------------------

interface MemoryEntry {
  record: IdempotencyRecord;
  owner?: string;
  leaseUntil?: number;
  expiresAt: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, MemoryEntry>();

  /** Settled records dropped before their 24 h because the store was full. */
  evicted = 0;

  /**
   * Embedded mode holds records in the process: at most `maxEntries` (a stored answer carries its
   * labels, tens of kilobytes each). Past that, the oldest settled records go first; a key still
   * in progress is never dropped. Redis mode has no such cap: Redis memory is sized for the day.
   */
  constructor(
    private readonly ttlMs: number = IDEMPOTENCY_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 20_000,
  ) {}

  /**
   * Oldest first (a Map iterates in insertion order): expired records, then settled ones, until
   * there is room. It stops as soon as there is, so a full store costs a step or two per new key,
   * not a scan of all 20,000 (a full sweep here was 8 % of a shipment's CPU, docs/benchmarks.md
   * run 14).
   */
  #makeRoom(): void {
    if (this.#entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size < this.maxEntries) return;
      if (entry.expiresAt <= now) this.#entries.delete(key);
      else if (entry.record.state !== 'in_progress') {
        this.#entries.delete(key);
        this.evicted += 1;
      }
    }
  }

  #live(key: string): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #owned(key: string, owner: string): MemoryEntry | undefined {
    const entry = this.#live(key);
    return entry?.owner === owner && entry.record.state === 'in_progress' ? entry : undefined;
  }

  #begins = 0;

  /** Expired keys are dropped as new ones arrive, so memory holds at most a day of keys. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  async begin(key: string, owner: string, fresh: IdempotencyRecord, leaseMs: number): Promise<BeginResult> {
    const now = this.now();
    if (++this.#begins % 1024 === 0) this.#sweep(now);
    const entry = this.#live(key);
    if (!entry) {
      this.#makeRoom();
      this.#entries.set(key, {
        record: { ...fresh, state: 'in_progress' },
        owner,
        leaseUntil: now + leaseMs,
        expiresAt: now + this.ttlMs,
      });
      return { kind: 'new', record: fresh };
    }
    if (entry.record.fingerprint !== fresh.fingerprint) return { kind: 'mismatch' };
    if (entry.record.state === 'completed') return { kind: 'completed', record: { ...entry.record } };
    if (entry.record.state === 'in_progress' && (entry.leaseUntil ?? 0) > now) return { kind: 'in_use' };
    entry.record = { ...entry.record, state: 'in_progress' };
    entry.owner = owner;
    entry.leaseUntil = now + leaseMs;
    return { kind: 'resumed', record: { ...entry.record } };
  }

  async pin(key: string, owner: string, account: string, leaseMs: number): Promise<boolean> {
    const entry = this.#owned(key, owner);
    if (!entry) return false;
    entry.leaseUntil = this.now() + leaseMs;
    entry.record.account = account;
    return true;
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    const entry = this.#owned(key, owner);
    if (!entry) return false;
    entry.leaseUntil = this.now() + leaseMs;
    return true;
  }

  #settle(key: string, owner: string, change: Partial<IdempotencyRecord>): boolean {
    const entry = this.#owned(key, owner);
    if (!entry) return false;
    entry.record = { ...entry.record, ...change };
    delete entry.owner;
    delete entry.leaseUntil;
    entry.expiresAt = this.now() + this.ttlMs;
    return true;
  }

  async complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    return this.#settle(key, owner, { state: 'completed', response });
  }

  async markUnknown(key: string, owner: string, account: string): Promise<boolean> {
    return this.#settle(key, owner, { state: 'unknown', account });
  }

  async release(key: string, owner: string): Promise<boolean> {
    if (!this.#owned(key, owner)) return false;
    this.#entries.delete(key);
    return true;
  }

  async claimUnknown(key: string, owner: string, leaseMs: number): Promise<IdempotencyRecord | undefined> {
    const entry = this.#live(key);
    // An instance that died after sending left it in progress, pinned, its lease run out.
    const orphaned =
      entry?.record.state === 'in_progress' &&
      entry.record.account !== undefined &&
      (entry.leaseUntil ?? 0) <= this.now();
    if (entry?.record.state !== 'unknown' && !orphaned) return undefined;
    entry.record = { ...entry.record, state: 'in_progress' };
    entry.owner = owner;
    entry.leaseUntil = this.now() + leaseMs;
    return { ...entry.record };
  }
}
