/**
 * @module shipments/shipment-store
 * Every shipment the gateway sent to a carrier, kept for `retentionMs` (30 days by default) so a
 * shipping app can look it up, void it, and learn how an in-doubt one ended. Labels are bulky and
 * only needed until printed: they are kept apart, for the shorter `labelRetentionMs`, after which
 * the record answers `labelsExpired: true`.
 *
 * Redis layout (every key of one shipment shares the hash tag `{<id>}`, so a Lua script may touch
 * the record and its labels together on a Cluster):
 * - `shipment:{<id>}`          the record as JSON, with a `version` for compare-and-set;
 * - `shipment:{<id>}:labels`   the labels as JSON, expiring first;
 * - `shipment-ref:{<digest>}`  set of ids per (client, reference), for `?reference=`;
 * - `shipments:in-doubt`       sorted set id → since (ms) of shipments whose outcome is unknown;
 * - `shipment-resolve:{<id>}`  the resolution lease: one instance of the fleet resolves a shipment.
 */
import { hash } from 'node:crypto';

import { GatewayError } from '../core/errors.js';
import type { Label, ShipmentRequest } from '../core/shipment.js';
import type { RedisConnection } from '../platform/redis.js';
import type { Attempt } from './attempt.js';
import { checkTransition, SHIPMENT_STATUSES, type ShipmentStatus } from './shipment-status.js';

export { SHIPMENT_STATUSES, type ShipmentStatus };

export type ResolutionOutcome = 'created' | 'failed' | 'unresolved';

export interface Resolution {
  outcome: ResolutionOutcome;
  /** `resolver` (the background job), `request` (inline, failover after resolution) or `admin:<id>`. */
  by: string;
  at: string;
  /** How it was settled: `resend` (carrier idempotency), `lookup` (by reference), `manual`. */
  method: string;
  detail?: string;
}

export interface ShipmentRecord {
  id: string;
  client: string;
  /** The idempotency record's key (a digest of client and Idempotency-Key), settled on resolution. */
  idempotencyKey: string;
  /** The carrier idempotency key the label request carried (USPS `X-Idempotency-Key`). */
  carrierKey: string;
  status: ShipmentStatus;
  account: string;
  carrier: string;
  reference?: string;
  trackingNumbers: string[];
  attempts: Attempt[];
  createdAt: string;
  updatedAt: string;
  /** When the labels stop being kept (epoch ms). */
  labelsUntil?: number;
  voided?: { by: string; at: string };
  resolution?: Resolution;
  /** Looks the resolver made, and when it last looked. */
  resolutionAttempts?: number;
  lastAttemptAt?: string;
  /** The request, kept while the outcome is unknown: a resend must carry the same shipment. */
  request?: ShipmentRequest;
  /** Compare-and-set counter; every write bumps it. */
  version: number;
}

export interface StoredShipment {
  record: ShipmentRecord;
  /** Undefined once they expired (or for a shipment that never had any). */
  labels?: Label[];
}

export interface ShipmentStore {
  readonly retentionMs: number;
  readonly labelRetentionMs: number;
  /** Writes the record as it is now (a new shipment, or one the walk itself settled). */
  save(record: Omit<ShipmentRecord, 'version'>, labels?: Label[]): Promise<ShipmentRecord>;
  get(id: string): Promise<StoredShipment | undefined>;
  /**
   * Changes a record under compare-and-set: `change` sees the current record and returns the new
   * one (and labels to store), or undefined to leave it. Retried on a concurrent write.
   */
  update(
    id: string,
    change: (current: ShipmentRecord) => { record: ShipmentRecord; labels?: Label[] } | undefined,
  ): Promise<StoredShipment | undefined>;
  findByReference(client: string, reference: string): Promise<StoredShipment[]>;
  /** Ids whose outcome is unknown and not yet given up on, oldest first, with the time they became so. */
  inDoubt(limit: number): Promise<{ id: string; sinceMs: number }[]>;
  /** One instance of the fleet works on a shipment at a time. */
  lease(id: string, owner: string, ms: number): Promise<boolean>;
  unlease(id: string, owner: string): Promise<void>;
}

export const SHIPMENT_RETENTION_MS = 30 * 24 * 3600 * 1000;
export const LABEL_RETENTION_MS = 7 * 24 * 3600 * 1000;

const referenceDigest = (client: string, reference: string) =>
  hash('sha256', `${client}\n${reference}`, 'hex').slice(0, 32);

/** Status changes that put a shipment in the in-doubt set, or take it out. */
const inDoubtStatus = (status: ShipmentStatus) => status === 'unknown' || status === 'resolving';

function nextVersion(record: Omit<ShipmentRecord, 'version'> & { version?: number }): ShipmentRecord {
  return { ...record, version: (record.version ?? 0) + 1, updatedAt: new Date().toISOString() };
}

/** A shipment written again (a retry that settled it) keeps when it began and its label window. */
function kept(current: ShipmentRecord | undefined): Partial<ShipmentRecord> {
  if (!current) return {};
  return {
    createdAt: current.createdAt,
    ...(current.labelsUntil !== undefined ? { labelsUntil: current.labelsUntil } : {}),
  };
}

// --- Redis -------------------------------------------------------------------------------------

/**
 * KEYS: record, labels; ARGV: expected version ('' for an unconditional write), record JSON,
 * labels JSON ('' to keep, '-' to drop), record ttl ms, labels ttl ms. The record keeps the TTL it
 * was created with (retention counts from the shipment, not from its last change).
 */
const WRITE = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' then
  if not current then return 0 end
  if tostring(cjson.decode(current)['version']) ~= ARGV[1] then return 0 end
end
if current then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
if ARGV[3] == '-' then redis.call('DEL', KEYS[2])
elseif ARGV[3] ~= '' and tonumber(ARGV[5]) > 0 then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5]) end
return 1
`;

const UNLEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class RedisShipmentStore implements ShipmentStore {
  constructor(
    private readonly redis: RedisConnection,
    readonly retentionMs = SHIPMENT_RETENTION_MS,
    readonly labelRetentionMs = LABEL_RETENTION_MS,
  ) {}

  #key(id: string): string {
    return `${this.redis.keyPrefix}shipment:{${id}}`;
  }

  #labelsKey(id: string): string {
    return `${this.redis.keyPrefix}shipment:{${id}}:labels`;
  }

  #refKey(client: string, reference: string): string {
    return `${this.redis.keyPrefix}shipment-ref:{${referenceDigest(client, reference)}}`;
  }

  get #inDoubtKey(): string {
    return `${this.redis.keyPrefix}shipments:in-doubt`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
        cause,
        detail: 'shipment records are kept in Redis, which is unreachable',
        retryAfterMs: 2_000,
      });
    }
  }

  /** The labels' TTL: what is left of `labelRetentionMs` since the shipment was created. */
  #labelsTtl(record: ShipmentRecord): number {
    return Math.max(0, (record.labelsUntil ?? 0) - Date.now());
  }

  async #write(record: ShipmentRecord, expected: number | undefined, labels: Label[] | undefined) {
    const client = this.redis.client;
    const written = await this.#run(() =>
      client.eval(
        WRITE,
        2,
        this.#key(record.id),
        this.#labelsKey(record.id),
        expected === undefined ? '' : String(expected),
        JSON.stringify(record),
        labels === undefined ? '' : JSON.stringify(labels),
        String(this.retentionMs),
        String(this.#labelsTtl(record)),
      ),
    );
    if (written !== 1) return false;
    // The index and the in-doubt set live in other slots: written after the record, and every
    // reader checks the record itself, so a stale entry is harmless.
    await this.#run(async () => {
      if (record.reference !== undefined) {
        const ref = this.#refKey(record.client, record.reference);
        await client.sadd(ref, record.id);
        await client.pexpire(ref, this.retentionMs);
      }
      if (inDoubtStatus(record.status) && record.resolution?.outcome !== 'unresolved') {
        await client.zadd(this.#inDoubtKey, 'NX', Date.parse(record.createdAt), record.id);
      } else {
        await client.zrem(this.#inDoubtKey, record.id);
      }
    });
    return true;
  }

  async save(record: Omit<ShipmentRecord, 'version'>, labels?: Label[]): Promise<ShipmentRecord> {
    const current = (await this.get(record.id))?.record;
    checkTransition(record.id, current?.status, record.status);
    const next = nextVersion({ ...record, ...kept(current), version: current?.version ?? 0 });
    await this.#write(next, undefined, labels);
    return next;
  }

  async get(id: string): Promise<StoredShipment | undefined> {
    // Same hash tag, same slot: one MGET on a Cluster too.
    const [record, labels] = await this.#run(() =>
      this.redis.client.mget(this.#key(id), this.#labelsKey(id)),
    );
    if (!record) return undefined;
    return {
      record: JSON.parse(record) as ShipmentRecord,
      ...(labels ? { labels: JSON.parse(labels) as Label[] } : {}),
    };
  }

  async update(
    id: string,
    change: (current: ShipmentRecord) => { record: ShipmentRecord; labels?: Label[] } | undefined,
  ): Promise<StoredShipment | undefined> {
    for (let round = 0; round < 8; round += 1) {
      const current = await this.get(id);
      if (!current) return undefined;
      const changed = change(current.record);
      if (!changed) return current;
      checkTransition(id, current.record.status, changed.record.status);
      const next = nextVersion({ ...changed.record, version: current.record.version });
      if (await this.#write(next, current.record.version, changed.labels)) {
        const labels = changed.labels ?? current.labels;
        return { record: next, ...(labels ? { labels } : {}) };
      }
    }
    throw new GatewayError('ERR_INTERNAL', undefined, {
      detail: `shipment ${id} kept changing under update`,
    });
  }

  async findByReference(client: string, reference: string): Promise<StoredShipment[]> {
    const ids = await this.#run(() => this.redis.client.smembers(this.#refKey(client, reference)));
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found
      .filter((shipment): shipment is StoredShipment => shipment?.record.client === client)
      .sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
  }

  async inDoubt(limit: number): Promise<{ id: string; sinceMs: number }[]> {
    const flat = await this.#run(() =>
      this.redis.client.zrange(this.#inDoubtKey, 0, limit - 1, 'WITHSCORES'),
    );
    const out: { id: string; sinceMs: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, sinceMs: Number(flat[i + 1]) });
    return out;
  }

  async lease(id: string, owner: string, ms: number): Promise<boolean> {
    const key = `${this.redis.keyPrefix}shipment-resolve:{${id}}`;
    return (await this.#run(() => this.redis.client.set(key, owner, 'PX', ms, 'NX'))) === 'OK';
  }

  async unlease(id: string, owner: string): Promise<void> {
    const key = `${this.redis.keyPrefix}shipment-resolve:{${id}}`;
    await this.#run(() => this.redis.client.eval(UNLEASE, 1, key, owner));
  }
}

// --- Memory ------------------------------------------------------------------------------------

interface MemoryShipment {
  record: ShipmentRecord;
  labels?: Label[];
  expiresAt: number;
}

/** Embedded mode: the same in process, at most `maxEntries` records (oldest dropped first). */
export class MemoryShipmentStore implements ShipmentStore {
  readonly #entries = new Map<string, MemoryShipment>();
  readonly #leases = new Map<string, { owner: string; until: number }>();

  constructor(
    readonly retentionMs = SHIPMENT_RETENTION_MS,
    readonly labelRetentionMs = LABEL_RETENTION_MS,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  #live(id: string): MemoryShipment | undefined {
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAt <= this.now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** What a reader gets: a copy of the record (or `record`, a copy already made), and the labels while kept. */
  #view(entry: MemoryShipment, record: ShipmentRecord = structuredClone(entry.record)): StoredShipment {
    const labelsLive = (record.labelsUntil ?? 0) > this.now();
    return { record, ...(entry.labels && labelsLive ? { labels: entry.labels } : {}) };
  }

  #put(record: ShipmentRecord, labels: Label[] | undefined): void {
    const entry = this.#entries.get(record.id);
    if (!entry && this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(record.id, {
      record: structuredClone(record),
      ...((labels ?? entry?.labels) ? { labels: labels ?? entry!.labels! } : {}),
      expiresAt: entry?.expiresAt ?? this.now() + this.retentionMs,
    });
  }

  async save(record: Omit<ShipmentRecord, 'version'>, labels?: Label[]): Promise<ShipmentRecord> {
    const current = this.#live(record.id)?.record;
    checkTransition(record.id, current?.status, record.status);
    const next = nextVersion({ ...record, ...kept(current), version: current?.version ?? 0 });
    this.#put(next, labels);
    // The store keeps its own copy (#put): `next` is the caller's to keep, no second clone.
    return next;
  }

  async get(id: string): Promise<StoredShipment | undefined> {
    const entry = this.#live(id);
    return entry ? this.#view(entry) : undefined;
  }

  async update(
    id: string,
    change: (current: ShipmentRecord) => { record: ShipmentRecord; labels?: Label[] } | undefined,
  ): Promise<StoredShipment | undefined> {
    const entry = this.#live(id);
    if (!entry) return undefined;
    const changed = change(structuredClone(entry.record));
    if (!changed) return this.#view(entry);
    checkTransition(id, entry.record.status, changed.record.status);
    const next = nextVersion({ ...changed.record, version: entry.record.version });
    this.#put(next, changed.labels);
    // #put stored its own copy: `next` is already the caller's, no second clone.
    return this.#view(this.#entries.get(id)!, next);
  }

  async findByReference(client: string, reference: string): Promise<StoredShipment[]> {
    const out: StoredShipment[] = [];
    for (const id of [...this.#entries.keys()]) {
      const entry = this.#live(id);
      if (entry?.record.client === client && entry.record.reference === reference)
        out.push(this.#view(entry));
    }
    return out;
  }

  async inDoubt(limit: number): Promise<{ id: string; sinceMs: number }[]> {
    const out: { id: string; sinceMs: number }[] = [];
    for (const id of [...this.#entries.keys()]) {
      const record = this.#live(id)?.record;
      if (record && inDoubtStatus(record.status) && record.resolution?.outcome !== 'unresolved') {
        out.push({ id, sinceMs: Date.parse(record.createdAt) });
      }
    }
    return out.sort((a, b) => a.sinceMs - b.sinceMs).slice(0, limit);
  }

  async lease(id: string, owner: string, ms: number): Promise<boolean> {
    const held = this.#leases.get(id);
    if (held && held.until > this.now() && held.owner !== owner) return false;
    this.#leases.set(id, { owner, until: this.now() + ms });
    return true;
  }

  async unlease(id: string, owner: string): Promise<void> {
    if (this.#leases.get(id)?.owner === owner) this.#leases.delete(id);
  }
}
