/**
 * @module auth/refresh-lock
 * The fleet-wide refresh lock, one per account, on Redlock (redlock 5.0.0-beta.2, chosen for its
 * TypeScript types and ioredis 5 support; its release script deletes the key only when the value
 * is ours, so release checks ownership). The lock keeps one instance at the carrier at a time;
 * correctness under a lock that expires mid-refresh comes from the fenced write and the
 * refresh-token claim, not from the lock.
 */
import { createRequire } from 'node:module';

// redlock 5.0.0-beta.2 ships its types outside its "exports" map, so they are imported by path
// (type-only, erased at build) and the class is loaded through require.
import type RedlockClass from '../../node_modules/redlock/dist/index.js';
import type { Lock } from '../../node_modules/redlock/dist/index.js';

import type { RedisConnection } from '../platform/redis.js';

const Redlock = (createRequire(import.meta.url)('redlock') as { default: typeof RedlockClass }).default;

export interface LockHandle {
  release(): Promise<void>;
}

export interface RefreshLock {
  /** Takes the lock at once or returns null when another holder has it. */
  tryAcquire(account: string): Promise<LockHandle | null>;
}

export interface RedlockOptions {
  ttlMs: number;
  /** Extend the lock while the refresh runs. Tests turn it off to make the lock expire mid-flight. */
  autoExtend: boolean;
}

export class RedisRefreshLock implements RefreshLock {
  readonly #redlock: RedlockClass;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedlockOptions,
  ) {
    // Retrying is the caller's loop, which re-reads the token between attempts.
    this.#redlock = new Redlock([redis.client], { retryCount: 0, driftFactor: 0.01 });
    // Without a listener, redlock's EventEmitter rethrows "error" events from clients.
    this.#redlock.on('error', () => {});
  }

  async tryAcquire(account: string): Promise<LockHandle | null> {
    const resource = `${this.redis.keyPrefix}lock:token:{${account}}`;
    let lock: Lock;
    try {
      lock = await this.#redlock.acquire([resource], this.options.ttlMs);
    } catch {
      return null;
    }
    let timer: NodeJS.Timeout | undefined;
    if (this.options.autoExtend) {
      const extend = () => {
        lock
          .extend(this.options.ttlMs)
          .then((extended) => {
            lock = extended;
            timer = setTimeout(extend, this.options.ttlMs / 2);
            timer.unref();
          })
          .catch(() => {
            // Lost the lock: fencing keeps a late write from overwriting a newer token.
          });
      };
      timer = setTimeout(extend, this.options.ttlMs / 2);
      timer.unref();
    }
    return {
      release: async () => {
        if (timer) clearTimeout(timer);
        try {
          await lock.release();
        } catch {
          // Already expired or taken over: nothing of ours to release.
        }
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
