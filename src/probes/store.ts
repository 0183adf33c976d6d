/**
 * @module probes/store
 * What the fleet shares about probes. The lease: `probe-lease:<account>` is taken with SET NX PX
 * before a probe, so one instance probes an account at a time; when the probe is over its owner
 * keeps it for the rest of the interval (or drops it when the interval is spent) with a Lua
 * script that checks ownership, so the account is probed once per interval across the fleet. The
 * results: `probe:<account>` holds the last one as JSON for a few intervals, and `probe-events`
 * tells the other instances a new one is there. Behind the messages, `probe-changes` (a sorted
 * set: account scored by the epoch ms of its last result) lets an instance catch up with one
 * command per interval and fetch only the results saved since, not every account's key. What
 * probes spend of a carrier's token endpoint: `probe-fresh:<account>` lives as long as the token a
 * probe last had issued (no fresh issuance before it lapses), `probe-issued:<account>:<hour>`
 * counts the token requests probes caused in an hour. Memory mode keeps the same in one process.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import type { RedisConnection } from '../platform/redis.js';
import type { ProbeResult } from '../health/health-service.js';
import { FAILURE_CLASSES } from '../core/failure-classes.js';

export const PROBE_EVENTS_CHANNEL = 'probe-events';

/** Keeps the lease for ARGV[2] ms more, or deletes it when that is not positive; only for its owner. */
const SETTLE_IF_OWNER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local keep = tonumber(ARGV[2])
if keep > 0 then return redis.call('PEXPIRE', KEYS[1], keep) end
return redis.call('DEL', KEYS[1])
`;

/** A stored result is read back through this: another instance may run another version. */
export const probeResultSchema = z.object({
  at: z.string(),
  ok: z.boolean(),
  steps: z.array(
    z.object({
      name: z.string(),
      ok: z.boolean(),
      ms: z.number(),
      failureClass: z.enum(FAILURE_CLASSES).optional(),
      detail: z.string().optional(),
    }),
  ),
  failureClass: z.enum(FAILURE_CLASSES).optional(),
  certificate: z.object({ host: z.string(), validTo: z.string(), daysLeft: z.number() }).optional(),
});

export function parseProbeResult(text: string | null): ProbeResult | null {
  if (text === null) return null;
  try {
    const parsed = probeResultSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as ProbeResult) : null;
  } catch {
    return null;
  }
}

export interface ProbeStore {
  readonly shared: boolean;
  /** A token when this instance may probe the account now; null while someone holds the lease. */
  acquire(account: string, ttlMs: number): Promise<string | null>;
  /** The probe is over: keep the lease `keepMs` more (the rest of the interval), or free it. */
  settle(account: string, token: string, keepMs: number): Promise<void>;
  save(account: string, result: ProbeResult, ttlMs: number): Promise<void>;
  load(accounts: string[]): Promise<Map<string, ProbeResult>>;
  /** Accounts whose result was saved at or after `sinceMs` (epoch ms). */
  changedSince(sinceMs: number): Promise<string[]>;
  /** Whether a token a probe had issued for the account is still alive (no fresh issuance then). */
  freshHeld(account: string): Promise<boolean>;
  /** A probe had a token issued that lives until `untilMs` (epoch ms). */
  holdFresh(account: string, untilMs: number): Promise<void>;
  /** Token requests probes caused for the account in the hour of `atMs`. */
  issuances(account: string, atMs: number): Promise<number>;
  countIssuance(account: string, atMs: number): Promise<void>;
}

const HOUR_MS = 3_600_000;
const hourOf = (atMs: number) => Math.floor(atMs / HOUR_MS);

export class MemoryProbeStore implements ProbeStore {
  readonly shared = false;
  readonly #leases = new Map<string, { token: string; until: number }>();
  readonly #results = new Map<string, { result: ProbeResult; until: number; savedAt: number }>();
  readonly #fresh = new Map<string, number>();
  readonly #issued = new Map<string, { hour: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async freshHeld(account: string): Promise<boolean> {
    return (this.#fresh.get(account) ?? 0) > this.now();
  }

  async holdFresh(account: string, untilMs: number): Promise<void> {
    this.#fresh.set(account, untilMs);
  }

  async issuances(account: string, atMs: number): Promise<number> {
    const entry = this.#issued.get(account);
    return entry?.hour === hourOf(atMs) ? entry.count : 0;
  }

  async countIssuance(account: string, atMs: number): Promise<void> {
    const hour = hourOf(atMs);
    const entry = this.#issued.get(account);
    this.#issued.set(account, { hour, count: entry?.hour === hour ? entry.count + 1 : 1 });
  }

  async acquire(account: string, ttlMs: number): Promise<string | null> {
    const held = this.#leases.get(account);
    if (held !== undefined && held.until > this.now()) return null;
    const token = randomUUID();
    this.#leases.set(account, { token, until: this.now() + ttlMs });
    return token;
  }

  async settle(account: string, token: string, keepMs: number): Promise<void> {
    const held = this.#leases.get(account);
    if (held?.token !== token) return;
    if (keepMs > 0) held.until = this.now() + keepMs;
    else this.#leases.delete(account);
  }

  async save(account: string, result: ProbeResult, ttlMs: number): Promise<void> {
    this.#results.set(account, { result, until: this.now() + ttlMs, savedAt: this.now() });
  }

  async changedSince(sinceMs: number): Promise<string[]> {
    return [...this.#results].filter(([, entry]) => entry.savedAt >= sinceMs).map(([account]) => account);
  }

  async load(accounts: string[]): Promise<Map<string, ProbeResult>> {
    const found = new Map<string, ProbeResult>();
    for (const account of accounts) {
      const entry = this.#results.get(account);
      if (entry !== undefined && entry.until > this.now()) found.set(account, entry.result);
    }
    return found;
  }
}

export class RedisProbeStore implements ProbeStore {
  readonly shared = true;

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {}

  #lease(account: string): string {
    return `${this.redis.keyPrefix}probe-lease:${account}`;
  }

  #result(account: string): string {
    return `${this.redis.keyPrefix}probe:${account}`;
  }

  get channel(): string {
    return `${this.redis.keyPrefix}${PROBE_EVENTS_CHANNEL}`;
  }

  #freshKey(account: string): string {
    return `${this.redis.keyPrefix}probe-fresh:${account}`;
  }

  #issuedKey(account: string, atMs: number): string {
    return `${this.redis.keyPrefix}probe-issued:${account}:${hourOf(atMs)}`;
  }

  async freshHeld(account: string): Promise<boolean> {
    return (await this.redis.client.exists(this.#freshKey(account))) === 1;
  }

  async holdFresh(account: string, untilMs: number): Promise<void> {
    const ttlMs = Math.ceil(untilMs - this.now());
    if (ttlMs > 0) await this.redis.client.set(this.#freshKey(account), '1', 'PX', ttlMs);
  }

  async issuances(account: string, atMs: number): Promise<number> {
    return Number((await this.redis.client.get(this.#issuedKey(account, atMs))) ?? 0);
  }

  async countIssuance(account: string, atMs: number): Promise<void> {
    const key = this.#issuedKey(account, atMs);
    await this.redis.client.incr(key);
    await this.redis.client.pexpire(key, 2 * HOUR_MS);
  }

  async acquire(account: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const result = await this.redis.client.set(this.#lease(account), token, 'PX', Math.ceil(ttlMs), 'NX');
    return result === 'OK' ? token : null;
  }

  async settle(account: string, token: string, keepMs: number): Promise<void> {
    await this.redis.client.eval(SETTLE_IF_OWNER, 1, this.#lease(account), token, Math.floor(keepMs));
  }

  get #changes(): string {
    return `${this.redis.keyPrefix}probe-changes`;
  }

  async save(account: string, result: ProbeResult, ttlMs: number): Promise<void> {
    const now = this.now();
    await this.redis.client.set(this.#result(account), JSON.stringify(result), 'PX', Math.ceil(ttlMs));
    // Separate commands on purpose: the keys live in different Cluster slots, and a change entry
    // without its result (or the reverse) only costs one GET that finds nothing.
    await this.redis.client.zadd(this.#changes, now, account);
    await this.redis.client.zremrangebyscore(this.#changes, '-inf', now - Math.ceil(ttlMs));
    await this.redis.client.publish(this.channel, account);
  }

  async changedSince(sinceMs: number): Promise<string[]> {
    return this.redis.client.zrangebyscore(this.#changes, Math.floor(sinceMs), '+inf');
  }

  async load(accounts: string[]): Promise<Map<string, ProbeResult>> {
    // One GET per key, sent together (neither MGET nor a pipeline): on Redis Cluster the keys
    // live in different slots.
    const replies = await Promise.all(
      accounts.map((account) => this.redis.client.get(this.#result(account))),
    );
    const found = new Map<string, ProbeResult>();
    replies.forEach((text, index) => {
      const result = parseProbeResult(text);
      if (result !== null) found.set(accounts[index]!, result);
    });
    return found;
  }
}
