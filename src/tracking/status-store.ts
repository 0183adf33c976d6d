/**
 * @module tracking/status-store
 * The furthest status the gateway has seen for each (account, tracking number), so a carrier
 * answer that goes backwards (a delivered parcel reported in transit again by a lagging system)
 * does not move the parcel back for the shipping app. A status further along, or as far
 * (an exception after in-transit, a return after delivery), replaces it; an earlier one is kept
 * out, and the caller says so. Redis mode shares the record across the fleet (one Lua script,
 * one key per number, hash-tagged); embedded mode keeps it in memory.
 */
import { STATUS_PROGRESS, TRACKING_STATUSES, type TrackingStatus } from '../core/tracking-adapter.js';
import type { RedisConnection } from '../platform/redis.js';

/** How long a number is remembered after its last look-up: parcels travel for weeks, not months. */
export const STATUS_TTL_MS = 90 * 24 * 3_600_000;

export interface StatusRecord {
  status: TrackingStatus;
  /** Epoch ms when the gateway first saw this status for the number. */
  since: number;
}

export interface StatusStore {
  /**
   * Offers the carrier's status; answers the status to report: the offered one, or the stored
   * one when that is further along (`kept: true`).
   */
  offer(
    account: string,
    trackingNumber: string,
    status: TrackingStatus,
  ): Promise<StatusRecord & { kept: boolean }>;
}

/**
 * The pure rule, shared by both stores: whether `offered` may replace `stored`. `unknown` never
 * replaces a known status.
 */
export function replaces(stored: TrackingStatus | undefined, offered: TrackingStatus): boolean {
  if (stored === undefined) return true;
  return (
    STATUS_PROGRESS[offered] >= STATUS_PROGRESS[stored] && !(offered === 'unknown' && stored !== 'unknown')
  );
}

/** Bounded: the oldest numbers are forgotten first. */
const MEMORY_MAX = 100_000;

export class MemoryStatusStore implements StatusStore {
  readonly #records = new Map<string, StatusRecord & { until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async offer(account: string, trackingNumber: string, status: TrackingStatus) {
    const key = `${account}\n${trackingNumber}`;
    const now = this.now();
    let stored = this.#records.get(key);
    if (stored !== undefined && stored.until <= now) stored = undefined;
    if (stored !== undefined && !replaces(stored.status, status)) {
      stored.until = now + STATUS_TTL_MS;
      return { status: stored.status, since: stored.since, kept: true };
    }
    const since = stored !== undefined && stored.status === status ? stored.since : now;
    this.#records.delete(key);
    if (this.#records.size >= MEMORY_MAX) {
      const oldest = this.#records.keys().next().value;
      if (oldest !== undefined) this.#records.delete(oldest);
    }
    this.#records.set(key, { status, since, until: now + STATUS_TTL_MS });
    return { status, since, kept: false };
  }
}

/**
 * KEYS[1] the record; ARGV: status, its progress, ttlMs, unknown's progress. Returns
 * { status, since, kept }. Redis's own clock stamps `since`, so every instance agrees.
 */
const OFFER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'status', 'progress', 'since')
local offered = tonumber(ARGV[2])
if stored[1] then
  local progress = tonumber(stored[2])
  local unknown = tonumber(ARGV[4])
  if offered < progress or (offered == unknown and progress ~= unknown) then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return { stored[1], stored[3], 1 }
  end
  if stored[1] == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return { stored[1], stored[3], 0 }
  end
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'progress', ARGV[2], 'since', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { ARGV[1], tostring(now), 0 }
`;

export class RedisStatusStore implements StatusStore {
  constructor(private readonly redis: RedisConnection) {}

  /** The braces make the key's hash slot its own, whatever the prefix (Redis Cluster). */
  #key(account: string, trackingNumber: string): string {
    return `${this.redis.keyPrefix}tracking:{${account}:${trackingNumber}}`;
  }

  async offer(account: string, trackingNumber: string, status: TrackingStatus) {
    const [stored, since, kept] = (await this.redis.client.eval(
      OFFER,
      1,
      this.#key(account, trackingNumber),
      status,
      String(STATUS_PROGRESS[status]),
      String(STATUS_TTL_MS),
      String(STATUS_PROGRESS.unknown),
    )) as [string, string, number];
    const known = (TRACKING_STATUSES as readonly string[]).includes(stored)
      ? (stored as TrackingStatus)
      : status;
    return { status: known, since: Number(since), kept: kept === 1 };
  }
}
