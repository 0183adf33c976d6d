/**
 * @module auth/token-manager
 * One carrier account's token: get a valid one, drop one the carrier rejected, refresh ahead of
 * expiry. The facade every caller uses; the work is done by its parts:
 * - token-refresh.ts: the token held in memory, single flight, proactive schedule;
 * - shared-refresh.ts over fleet-lock.ts: the fleet's one locked, fenced refresh;
 * - degraded-refresh.ts: refreshing while Redis is away;
 * - grant-choice.ts and exchange-retries.ts: what a refresh sends, and how often;
 * - refresh-bookkeeping.ts: cooldowns, re-authorization required, refresh outcome unknown;
 * - status-projection.ts: the status; authorization-completion.ts: onboarding's code exchange.
 */
import type { ResolvedAccount } from '../core/account.js';
import { completeAuthorization } from './authorization-completion.js';
import { refreshOnce } from './degraded-refresh.js';
import { configuredSecrets } from './exchange-retries.js';
import { FleetLock, type FleetLockOptions } from './fleet-lock.js';
import type { ManagerParts, TokenManagerOptions } from './manager-parts.js';
import { RefreshBookkeeping, type BookkeepingOptions } from './refresh-bookkeeping.js';
import { SecretRotation } from './secret-rotation.js';
import { projectStatus } from './status-projection.js';
import type { CodeGrantInput } from './token-client.js';
import { TokenRefresh, type TokenRefreshOptions } from './token-refresh.js';
import type { AccountCredentials, StatusReads, TokenStatus } from './token-status.js';
import type { StoredToken } from './token-store.js';

export type { TokenManagerOptions } from './manager-parts.js';

interface PartOptions {
  now: () => number;
  random: () => number;
  refresh: TokenRefreshOptions;
  book: BookkeepingOptions;
  lock: FleetLockOptions;
}

/**
 * What the parts are built with, derived once per options object: the engine hands every manager
 * the same one, so 10,000 accounts share these instead of each holding its own copies (issue 11).
 */
const derived = new WeakMap<TokenManagerOptions, PartOptions>();

function partOptions(options: TokenManagerOptions): PartOptions {
  let parts = derived.get(options);
  if (parts === undefined) {
    const now = options.now ?? Date.now;
    const random = options.random ?? Math.random;
    parts = {
      now,
      random,
      refresh: { now, random, accepts: options.accepts, schedule: options.schedule },
      book: { ...options, now },
      lock: { ...options, now, random, waitMs: options.lockWaitMs, pollMs: options.lockPollMs },
    };
    derived.set(options, parts);
  }
  return parts;
}

export class TokenManager implements AccountCredentials {
  readonly #parts: ManagerParts;
  readonly #held: TokenRefresh;

  constructor(
    readonly account: ResolvedAccount,
    private readonly options: TokenManagerOptions,
  ) {
    const { now, random, refresh, book, lock } = partOptions(options);
    const held = new TokenRefresh(account, refresh, (trigger, reason) =>
      refreshOnce(this.#parts, trigger, reason),
    );
    this.#held = held;
    this.#parts = {
      account,
      options,
      now,
      random,
      held,
      book: new RefreshBookkeeping(account, held, book),
      fleetLock: new FleetLock(account.id, lock),
      rotation: new SecretRotation(),
    };
  }

  /** The client secret the carrier accepts now (probes use it for their fresh issuance). */
  clientSecretInUse(): string | undefined {
    return this.#parts.rotation.inUse(configuredSecrets(this.account));
  }

  /** The hot path: a fresh token from memory, or undefined. No I/O, no promise. */
  peek(): StoredToken | undefined {
    return this.#held.peek();
  }

  /** A valid token, refreshing when needed. While a still-valid token is within its margin, it is served and refreshed behind. */
  getToken(): Promise<StoredToken> {
    return this.#held.get();
  }

  /**
   * The carrier rejected `accessToken`. Drops it (if it is still ours) and refreshes; another
   * instance's newer token is adopted without calling the carrier.
   */
  async invalidate(accessToken: string): Promise<StoredToken> {
    const held = this.#held;
    const current = held.current;
    if (current === null || current.accessToken !== accessToken) return this.getToken();
    this.#parts.book.notePrematureRejection(current);
    // Kept, but dead: its generation and refresh token still matter to the next refresh.
    held.current = { ...current, expiresAt: Math.min(current.expiresAt, this.#parts.now() - 1) };
    return held.refresh(current.generation, 'rejected');
  }

  /**
   * An operator asked for a new token now (admin API): the carrier is called even while the
   * current token is fresh, and a cooldown in force is lifted first, since the operator has
   * usually just fixed what caused it. The new token is shared with the fleet as usual.
   */
  async refreshNow(): Promise<StoredToken> {
    const stored = await this.options.store.read(this.account.id).catch(() => null);
    await this.#parts.book.liftCooldown();
    const trigger = Math.max(this.#held.current?.generation ?? 0, stored?.generation ?? 0);
    return this.#held.refresh(trigger, 'forced');
  }

  /**
   * The account's tokens were purged (here or on another instance): drop what this process
   * holds, so the next request fetches a new token instead of serving the old one from memory.
   */
  forget(): void {
    this.#held.forget();
    this.#parts.book.forget();
  }

  /**
   * The account's credentials changed (configuration reload, secret rotation): failures counted
   * against the old ones say nothing about the new ones, so the cooldown they caused is lifted.
   */
  async credentialsChanged(): Promise<void> {
    await this.#parts.book.liftCooldown();
    const held = this.#held;
    if (held.state === 'cooldown' || held.state === 'failing')
      held.state = held.current === null ? 'no_token' : 'ok';
  }

  /** Another instance announced a newer generation. */
  onRemoteUpdate(generation: number): void {
    const held = this.#held;
    this.#parts.fleetLock.wake();
    if (held.current !== null && held.current.generation >= generation && !held.local) return;
    if (held.refreshing) return;
    this.options.store
      .read(this.account.id)
      .then((stored) => {
        if (stored !== null && stored.generation >= generation && held.isFresh(stored, this.#parts.now()))
          held.adopt(stored, false);
      })
      .catch(() => {});
  }

  /**
   * Onboarding: exchanges an authorization code and stores the tokens it yields as the account's
   * new token family, fenced against any refresh in flight (src/auth/authorization-completion.ts).
   */
  completeAuthorization(grant: CodeGrantInput): Promise<StoredToken> {
    return completeAuthorization(this.#parts, grant);
  }

  /**
   * Redis is reachable again, and may have gone back in time: a Sentinel or Cluster failover
   * promotes a replica that missed the last writes, or Redis restarted from an older snapshot or
   * empty. When this instance holds a newer token than the store (obtained or adopted under the
   * fleet's rules, not a local fallback), the fleet must go on from it rather than from the older
   * record, whose refresh token may already be spent: a live token is written back with its own
   * generation (fenced, so anything newer stays) and announced; a dead one whose refresh token is
   * newer than the store's is refreshed now, from that refresh token.
   */
  async restoreShared(): Promise<void> {
    const held = this.#held;
    const current = held.current;
    const { store, log } = this.options;
    if (current === null || held.local || held.refreshing || !store.shared) return;
    const stored = await store.read(this.account.id).catch(() => undefined);
    if (stored === undefined || (stored !== null && stored.generation >= current.generation)) return;
    const lost = {
      account: this.account.id,
      generation: current.generation,
      storedGeneration: stored?.generation ?? null,
    };
    if (current.expiresAt > this.#parts.now()) {
      if ((await store.write(this.account.id, current).catch(() => 'failed')) !== 'written') return;
      log.warn(lost, 'redis had lost the current token: written back from this instance');
      await store.announce(this.account.id, current.generation).catch(() => {});
    } else if (this.account.token.usesRefreshToken && current.refreshToken !== undefined) {
      log.warn(lost, 'redis had lost the current refresh token: refreshing from this instance');
      await held.refresh(current.generation, 'restore').catch(() => {});
    }
  }

  /** Resolves once no refresh is in flight (shutdown, and tests that step a fake clock). */
  whenIdle(): Promise<void> {
    return this.#held.whenIdle();
  }

  status(read?: StatusReads): Promise<TokenStatus> {
    return projectStatus(this.#parts, read);
  }

  stop(): void {
    this.#held.stop();
  }
}
