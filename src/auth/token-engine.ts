/**
 * @module auth/token-engine
 * The token engine of one gateway instance: a `TokenManager` per carrier account over one store
 * (Redis, shared by the fleet, or memory in embedded mode) and one refresh lock, plus the
 * pub/sub listener that lets every instance pick up a token another instance obtained.
 * Managers are built on an account's first use: an account nobody called holds no token, timer
 * or lock state, and a fleet of 10,000 accounts does not build 10,000 managers at boot. Whatever
 * another instance did meanwhile is in the store, which a new manager reads first.
 */
import type { Logger } from 'pino';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';
import type { TokenSealer } from './crypto.js';
import { DependentToken } from './dependent-token.js';
import { LocalRefreshLock, RedisRefreshLock, type RefreshLock } from './refresh-lock.js';
import { RedisTokenStore, TOKEN_EVENTS_CHANNEL } from './redis-token-store.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { StaticCredentials } from './static-credentials.js';
import { TokenManager, type TokenManagerOptions } from './token-manager.js';
import { type AccountCredentials, type StatusReads, type TokenStatus } from './token-status.js';
import { MemoryTokenStore, type TokenStore } from './token-store.js';

export interface TokenEngineOptions {
  accounts: ConfiguredAccount[];
  log: Logger;
  redis?: RedisConnection;
  sealer?: TokenSealer;
  lockTtlMs?: number;
  lockAutoExtend?: boolean;
  /** Passed to every manager (retry, cooldown, transport, clocks) for tests and tuning. */
  manager?: Partial<
    Omit<TokenManagerOptions, 'store' | 'lock' | 'log' | 'sharedStoreAvailable' | 'schedule'>
  >;
}

interface AccountEntry {
  manager: AccountCredentials;
  dependents: DependentToken[];
}

export class TokenEngine {
  readonly store: TokenStore;
  readonly #managers = new Map<string, AccountCredentials>();
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #build: (account: ConfiguredAccount) => AccountEntry;
  /** Dependent tokens per account, and by their store id (for token events). */
  readonly #dependents = new Map<string, DependentToken[]>();
  readonly #dependentsByStoreId = new Map<string, DependentToken>();
  readonly #redis: RedisConnection | undefined;
  readonly #onMessage: ((channel: string, message: string) => void) | undefined;
  readonly #onAvailable: (() => void) | undefined;

  constructor(options: TokenEngineOptions) {
    this.#redis = options.redis;
    let lock: RefreshLock;
    if (options.redis) {
      if (!options.sealer) throw new Error('a token sealer is required with redis');
      this.store = new RedisTokenStore(options.redis, options.sealer);
      lock = new RedisRefreshLock(options.redis, {
        ttlMs: options.lockTtlMs ?? 15_000,
        autoExtend: options.lockAutoExtend ?? true,
      });
    } else {
      this.store = new MemoryTokenStore();
      lock = new LocalRefreshLock();
    }
    const redis = options.redis;
    this.#accounts = accountsById(options.accounts);
    // One object for every manager, so what they derive from it is shared too (token-manager.ts).
    const managerOptions = {
      ...options.manager,
      store: this.store,
      lock,
      log: options.log,
      sharedStoreAvailable: () => redis?.available ?? false,
      schedule: new RefreshSchedule(),
    };
    this.#build = (account) => {
      if (account.kind === 'static')
        return { manager: new StaticCredentials(account, options.log), dependents: [] };
      const manager = new TokenManager(account, managerOptions);
      const dependents = account.dependentTokens.map(
        (profile) => new DependentToken(manager, profile, managerOptions),
      );
      return { manager, dependents };
    };
    if (redis) {
      const channel = `${redis.keyPrefix}${TOKEN_EVENTS_CHANNEL}`;
      this.#onMessage = (received, message) => {
        if (received !== channel) return;
        try {
          const event = JSON.parse(message) as { account?: unknown; generation?: unknown; purged?: unknown };
          // Only managers already built hold anything to forget or update.
          if (typeof event.account === 'string' && event.purged === true) {
            const held = this.#managers.get(event.account);
            if (held instanceof TokenManager) held.forget();
          } else if (typeof event.account === 'string' && typeof event.generation === 'number') {
            this.#managers.get(event.account)?.onRemoteUpdate(event.generation);
            this.#dependentsByStoreId.get(event.account)?.onRemoteUpdate(event.generation);
          }
        } catch {
          // Not ours; ignore.
        }
      };
      redis.subscriber.on('message', this.#onMessage);
      redis.subscriber.subscribe(channel).catch((error: Error) => {
        options.log.warn(
          { err: { message: error.message } },
          'token event subscription failed; instances fall back to polling',
        );
      });
      // Each (re)connection may meet a store that lost writes (failover, restart): see restoreShared.
      this.#onAvailable = () => void this.restoreShared();
      redis.on('available', this.#onAvailable);
    }
  }

  /** Writes back (or refreshes from) every token this instance holds that is newer than the store's. */
  async restoreShared(): Promise<void> {
    const managers = [...this.#managers.values()].filter((manager) => manager instanceof TokenManager);
    await Promise.allSettled([
      ...managers.map((manager) => manager.restoreShared()),
      ...[...this.#dependentsByStoreId.values()].map((dependent) => dependent.restoreShared()),
    ]);
  }

  /** An account's manager, built and kept on first use; undefined for an unknown account. */
  #use(accountId: string): AccountCredentials | undefined {
    const existing = this.#managers.get(accountId);
    if (existing) return existing;
    const account = this.#accounts.get(accountId);
    if (!account) return undefined;
    const { manager, dependents } = this.#build(account);
    this.#managers.set(accountId, manager);
    if (dependents.length > 0) this.#dependents.set(accountId, dependents);
    for (const dependent of dependents) this.#dependentsByStoreId.set(dependent.storeId, dependent);
    return manager;
  }

  manager(accountId: string): AccountCredentials {
    const manager = this.#use(accountId);
    if (!manager) throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId });
    return manager;
  }

  /** The token manager of an account whose carrier issues tokens; undefined otherwise (static or unknown). */
  tokenManager(accountId: string): TokenManager | undefined {
    const manager = this.#use(accountId);
    return manager instanceof TokenManager ? manager : undefined;
  }

  /** Whether the account's carrier issues tokens (it has a token manager), without building one. */
  issuesTokens(accountId: string): boolean {
    const account = this.#accounts.get(accountId);
    return account !== undefined && account.kind !== 'static';
  }

  /** The fresh token this instance holds for an account, if any; builds nothing. */
  heldToken(accountId: string): ReturnType<TokenManager['peek']> {
    const manager = this.#managers.get(accountId);
    return manager instanceof TokenManager ? manager.peek() : undefined;
  }

  /** The dependent token a request path (relative to the API base) needs, if any. */
  dependentFor(accountId: string, path: string): DependentToken | undefined {
    this.#use(accountId);
    return this.#dependents.get(accountId)?.find((dependent) => dependent.matches(path));
  }

  /** Removes an account's stored tokens, and every instance forgets the one it holds. */
  async purge(accountId: string): Promise<void> {
    await this.store.purge(accountId);
    const held = this.#managers.get(accountId);
    if (held instanceof TokenManager) held.forget();
  }

  /** The account object's credentials were replaced in place (configuration reload). */
  async credentialsChanged(accountId: string): Promise<void> {
    const manager = this.#use(accountId);
    if (manager instanceof TokenManager) await manager.credentialsChanged();
    if (manager instanceof StaticCredentials) manager.credentialsChanged();
  }

  get shared(): boolean {
    return this.#redis !== undefined;
  }

  /**
   * An account's status, with its dependent tokens (never their values). An account not used yet
   * is read from the store through a manager built for this answer alone (a status page over
   * every account must not build and keep one per account). `read.requestCounts: false` leaves
   * the hour's token request counts unread (null): one Redis read less.
   */
  async status(accountId: string, read?: StatusReads): Promise<TokenStatus> {
    let entry: AccountEntry | undefined;
    const manager = this.#managers.get(accountId);
    if (manager) entry = { manager, dependents: this.#dependents.get(accountId) ?? [] };
    else {
      const account = this.#accounts.get(accountId);
      if (!account) throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId });
      entry = this.#build(account);
    }
    const status = await entry.manager.status(read);
    const dependents = entry.dependents;
    if (dependents.length === 0) return status;
    return {
      ...status,
      dependentTokens: await Promise.all(dependents.map((dependent) => dependent.status())),
    };
  }

  async statuses(): Promise<TokenStatus[]> {
    return Promise.all([...this.#accounts.keys()].map((id) => this.status(id)));
  }

  stop(): void {
    for (const manager of this.#managers.values()) manager.stop();
    for (const dependent of this.#dependentsByStoreId.values()) dependent.stop();
    if (this.#redis && this.#onMessage) this.#redis.subscriber.off('message', this.#onMessage);
    if (this.#redis && this.#onAvailable) this.#redis.off('available', this.#onAvailable);
  }
}
