/**
 * @module auth/refresh-lock
 * The fleet-wide refresh lock, one per account: a lease in one Redis key (`SET NX PX` with a
 * random owner value), released and extended only by its owner (compare-and-delete and
 * compare-and-pexpire in Lua), and extended while the refresh runs. The lock keeps one instance
 * at the carrier at a time; correctness under a lock that expires mid-refresh, or that a Redis
 * failover loses, comes from the fenced write and the refresh-token claim, not from the lock
 * (docs/architecture.md, "Token engine rules").
 */
import { randomBytes } from 'node:crypto';

import type { RedisConnection } from '../platform/redis.js';

export interface LockHandle {
  release(): Promise<void>;
}

export interface RefreshLock {
  /** Takes the lock at once or returns null when another holder has it. */
  tryAcquire(account: string): Promise<LockHandle | null>;
}

export interface RedisLockOptions {
  ttlMs: number;
  /** Extend the lock while the refresh runs. Tests turn it off to make the lock expire mid-flight. */
  autoExtend: boolean;
}

/** KEYS[1] the lock; ARGV[1] the owner value. Deletes the key only while it is still ours. */
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS[1] the lock; ARGV: owner value, new TTL (ms). Extends only while the key is still ours. */
const EXTEND_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export class RedisRefreshLock implements RefreshLock {
  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisLockOptions,
  ) {}

  /** The account as a hash tag: on Redis Cluster the lock lives in the slot of the account's token. */
  key(account: string): string {
    return `${this.redis.keyPrefix}lock:token:{${account}}`;
  }

  async tryAcquire(account: string): Promise<LockHandle | null> {
    const key = this.key(account);
    const owner = randomBytes(16).toString('base64url');
    const { ttlMs, autoExtend } = this.options;
    // Retrying is the caller's loop, which re-reads the token between attempts; a Redis error
    // counts as "not acquired" and that loop decides what Redis being away means.
    const taken = await this.redis.client.set(key, owner, 'PX', ttlMs, 'NX').catch(() => null);
    if (taken !== 'OK') return null;

    let timer: NodeJS.Timeout | undefined;
    let released = false;
    const scheduleExtension = () => {
      timer = setTimeout(() => {
        void this.redis.client
          .eval(EXTEND_IF_OWNER, 1, key, owner, ttlMs)
          .then(
            (extended) => extended === 1,
            // A failed command (a failover under way) is tried again while the lease may still run.
            () => true,
          )
          .then((stillOurs) => {
            // Lost (expired and taken, or gone): fencing keeps a late write from overwriting a newer token.
            if (stillOurs && !released) scheduleExtension();
          });
      }, ttlMs / 2);
      timer.unref();
    };
    if (autoExtend) scheduleExtension();

    return {
      release: async () => {
        released = true;
        if (timer) clearTimeout(timer);
        // Expired or taken over: nothing of ours to release, and the new holder's key stays.
        await this.redis.client.eval(RELEASE_IF_OWNER, 1, key, owner).catch(() => undefined);
      },
    };
  }
}

/** Embedded mode: the token manager's single-flight is already the only refresher. */
export class LocalRefreshLock implements RefreshLock {
  readonly #held = new Set<string>();

  async tryAcquire(account: string): Promise<LockHandle | null> {
    if (this.#held.has(account)) return null;
    this.#held.add(account);
    return { release: async () => void this.#held.delete(account) };
  }
}
