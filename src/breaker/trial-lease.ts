/**
 * @module breaker/trial-lease
 * The half-open trial of an account's breaker is one request across the whole fleet: whoever
 * holds this lease sends it. The lease expires by itself, so a trial whose instance died does
 * not keep the breaker half-open for ever. Memory mode: the same in one process.
 */
import { randomUUID } from 'node:crypto';

import type { RedisConnection } from '../platform/redis.js';

/** Deletes the lease only while it is still ours (it may have expired and been taken). */
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface TrialLease {
  /** A token when this caller now holds the trial, null when someone else does. */
  acquire(account: string, ttlMs: number): Promise<string | null>;
  release(account: string, token: string): Promise<void>;
}

export class MemoryTrialLease implements TrialLease {
  readonly #held = new Map<string, { token: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(account: string, ttlMs: number): Promise<string | null> {
    const held = this.#held.get(account);
    if (held && held.until > this.now()) return null;
    const token = randomUUID();
    this.#held.set(account, { token, until: this.now() + ttlMs });
    return token;
  }

  async release(account: string, token: string): Promise<void> {
    if (this.#held.get(account)?.token === token) this.#held.delete(account);
  }
}

export class RedisTrialLease implements TrialLease {
  constructor(private readonly redis: RedisConnection) {}

  #key(account: string): string {
    return `${this.redis.keyPrefix}breaker-trial:${account}`;
  }

  async acquire(account: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const result = await this.redis.client.set(this.#key(account), token, 'PX', ttlMs, 'NX');
    return result === 'OK' ? token : null;
  }

  async release(account: string, token: string): Promise<void> {
    await this.redis.client.eval(RELEASE_IF_OWNER, 1, this.#key(account), token);
  }
}
