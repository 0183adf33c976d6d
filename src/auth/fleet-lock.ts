/**
 * @module auth/fleet-lock
 * The one way the token engine takes an account's fleet-wide refresh lock. Whoever does not get
 * it waits, polling the store and waking early on a token announcement, and a waiter that sees
 * a usable token (the holder's, once written) adopts it with no carrier call. Whoever gets it
 * re-reads the store, since the previous holder may have written just before releasing, and is
 * handed a fencing generation taken after that re-read and before any carrier call: a holder
 * whose lock expires mid-call holds an older generation than its successor, so the fenced write
 * refuses its token (the lock keeps callers apart; correctness rests on the fence).
 */
import { GatewayError } from '../core/errors.js';
import type { RefreshLock } from './refresh-lock.js';
import type { StoredToken, TokenStore } from './token-store.js';
import { endSpan, startSpan } from '../platform/tracing.js';

export interface FleetLockOptions {
  store: TokenStore;
  lock: RefreshLock;
  now: () => number;
  random: () => number;
  /** True while the shared store answers: a failed poll is then skipped, not fatal. */
  sharedStoreAvailable: () => boolean;
  waitMs?: number | undefined;
  pollMs?: number | undefined;
}

/** What the holder starts from: the store as read under the lock, and its fencing generation. */
export interface FleetLockHeld {
  stored: StoredToken | null;
  generation: number;
}

export interface FleetLockUse<T> {
  /**
   * A stored token that makes the holder's work needless (a refresh), and how it is taken. Looked
   * for before the lock is asked for, at each poll while waiting, and again once the lock is held.
   * Without it (a code exchange, which must be sent whatever the store holds) the lock is always
   * taken.
   */
  adopt?: { usable: (stored: StoredToken) => boolean; take: (stored: StoredToken) => T };
  /** Throws when the work must not be done (the fleet's cooldown): before waiting, and once held. */
  precheck?: () => Promise<void>;
  /** The highest generation this process holds: the fence is taken above it and above the store's. */
  knownGeneration: () => number;
  /** Appended to the ERR_LOCK_TIMEOUT detail, to say what was not done. */
  timeoutNote?: string;
  whileHeld: (held: FleetLockHeld) => Promise<T>;
}

export class FleetLock {
  readonly #waiters: (() => void)[] = [];

  constructor(
    readonly accountId: string,
    private readonly options: FleetLockOptions,
  ) {}

  /** A token was announced: waiters look at the store now instead of at their next poll. */
  wake(): void {
    this.#waiters.splice(0).forEach((wake) => wake());
  }

  async use<T>(use: FleetLockUse<T>): Promise<T> {
    const { store, lock, now } = this.options;
    const id = this.accountId;
    if (use.adopt) {
      const stored = await store.read(id);
      if (stored !== null && use.adopt.usable(stored)) return use.adopt.take(stored);
    }
    await use.precheck?.();

    const waitMs = this.options.waitMs ?? 10_000;
    const deadline = now() + waitMs;
    let handle = await lock.tryAcquire(id);
    // Another instance holds the lock: the wait is a span of the request that waits (tracing on).
    const waiting = handle === null ? startSpan('lock.wait', { 'carrier.account': id }) : undefined;
    try {
      while (handle === null) {
        if (now() >= deadline) {
          throw new GatewayError('ERR_LOCK_TIMEOUT', undefined, {
            account: id,
            detail: `waited ${waitMs} ms for the refresh lock${use.timeoutNote ?? ''}`,
          });
        }
        await this.#pause();
        if (use.adopt) {
          // A poll that fails on a live connection is skipped; the next one may answer.
          const stored = await store.read(id).catch((error: unknown) => {
            if (this.options.sharedStoreAvailable()) return null;
            throw error;
          });
          if (stored !== null && use.adopt.usable(stored)) {
            endSpan(waiting, undefined, { 'lock.outcome': 'adopted' });
            return use.adopt.take(stored);
          }
        }
        handle = await lock.tryAcquire(id);
      }
      endSpan(waiting, undefined, { 'lock.outcome': 'acquired' });
    } catch (error) {
      endSpan(waiting, error);
      throw error;
    }

    try {
      const stored = await store.read(id);
      if (stored !== null && use.adopt?.usable(stored)) return use.adopt.take(stored);
      await use.precheck?.();
      const generation = await store.nextGeneration(
        id,
        Math.max(use.knownGeneration(), stored?.generation ?? 0),
      );
      return await use.whileHeld({ stored, generation });
    } finally {
      await handle.release();
    }
  }

  /** Half a poll to one and a half, or until a token announcement. */
  #pause(): Promise<void> {
    const pollMs = this.options.pollMs ?? 50;
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          // Gone from the list, so a waiter that polls for long does not pile up stale wakers.
          const index = this.#waiters.indexOf(wake);
          if (index >= 0) this.#waiters.splice(index, 1);
          resolve();
        },
        pollMs / 2 + this.options.random() * pollMs,
      );
      this.#waiters.push(wake);
    });
  }
}
