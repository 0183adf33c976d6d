/**
 * @module auth/token-manager
 * One carrier account's token: get a valid one, drop one the carrier rejected, refresh ahead of
 * expiry. In-process, one refresh is in flight at a time (single-flight) and a fresh token is
 * served from memory with no Redis round trip. Across instances, the refresh runs under the
 * account's lock, re-reads the store after taking it, and writes with a fencing generation taken
 * before the carrier call, so a late refresh can never overwrite a newer token.
 */
import type { Logger } from 'pino';

import type { ResolvedAccount } from '../../carriers/registry.js';
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../errors.js';
import { impliedClass, type GrantKind } from './classify.js';
import type { DependentTokenStatus } from './dependent-token.js';
import type { RefreshLock } from './refresh-lock.js';
import { SecretRotation, type SecretPair, type SecretRotationStatus } from './secret-rotation.js';
import {
  cooldownMs,
  decideRetry,
  DEFAULT_COOLDOWN_POLICY,
  DEFAULT_RETRY_POLICY,
  type CooldownPolicy,
  type RetryPolicy,
} from './retry.js';
import {
  exchangeToken,
  isMaybeDelivered,
  type CodeGrantInput,
  type TokenClientOptions,
  type TokenGrantInput,
} from './token-client.js';
import type { AcceptedToken } from './token-response.js';
import type { AccountSharedState, StoredToken, TokenRequestCounts, TokenStore } from './token-store.js';

export type AccountAuthState =
  | 'no_token'
  | 'ok'
  | 'refreshing'
  | 'cooldown'
  | 'failing'
  | 'refresh_outcome_unknown'
  | 'reauthorization_required'
  | 'redis_unavailable'
  /** A static-credential account whose credentials the carrier rejected. */
  | 'credentials_rejected';

export interface TokenStatus {
  account: string;
  carrier: string;
  state: AccountAuthState;
  store: 'shared' | 'embedded' | 'local-fallback' | 'static';
  token: { generation: number; expiresInSeconds: number; obtainedAt: string; sharedStore: boolean } | null;
  lastRefresh: {
    at: string;
    outcome: 'success' | 'failure';
    latencyMs: number;
    code?: GatewayErrorCode;
    carrierCode?: string;
  } | null;
  tokenRequests: TokenRequestCounts | null;
  clockSkewMs: number | null;
  prematureRejections: number;
  /** Static-credential accounts: how often the carrier rejected the credentials. */
  credentialRejections?: number;
  lastCredentialRejectionAt?: string | null;
  cooldownUntil: string | null;
  reauthorizationReason: string | null;
  /** With a `nextClientSecret` configured: which secret the carrier accepts (never a secret). */
  secretRotation?: SecretRotationStatus;
  /** Second tokens some API paths need (USPS payment authorization): state and lifetime, never the value. */
  dependentTokens?: DependentTokenStatus[];
  /**
   * In `reauthorization_required`, for accounts the gateway can onboard: where an operator starts
   * the authorization-code flow again (admin key required).
   */
  authorizeUrl?: string;
}

/** What the proxy and the routes need from an account's credentials, tokens or static. */
export interface AccountCredentials {
  /** The hot path: a fresh credential from memory, or undefined. No I/O. */
  peek(): StoredToken | undefined;
  getToken(): Promise<StoredToken>;
  /** The carrier rejected this credential. */
  invalidate(accessToken: string): Promise<StoredToken>;
  onRemoteUpdate(generation: number): void;
  whenIdle(): Promise<void>;
  status(): Promise<TokenStatus>;
  stop(): void;
}

export interface TokenManagerOptions {
  store: TokenStore;
  lock: RefreshLock;
  log: Logger;
  /** True when Redis is configured and reachable right now. */
  sharedStoreAvailable: () => boolean;
  lockWaitMs?: number;
  lockPollMs?: number;
  retry?: RetryPolicy;
  cooldown?: CooldownPolicy;
  transport?: TokenClientOptions;
  now?: () => number;
  random?: () => number;
  /** Skew worth a warning (the carrier's clock against ours). */
  skewWarningMs?: number;
  /**
   * Replaces the OAuth token exchange (dependent tokens: src/auth/dependent-token.ts). Failures
   * must be GatewayErrors so retries and cooldowns classify them as usual.
   */
  exchange?: () => Promise<AcceptedToken>;
  /**
   * Extra condition for a token to be served or adopted (dependent tokens: still bound to the
   * parent's identity). A token failing it is never served, not even inside its margin.
   */
  accepts?: (token: StoredToken) => boolean;
  /** Told about every token request the carrier answered or failed (health history, metrics). */
  observer?: (event: TokenRequestEvent) => void;
}

/** One token request, as health and metrics see it: never the token. */
export interface TokenRequestEvent {
  account: string;
  ok: boolean;
  latencyMs: number;
  code?: GatewayErrorCode;
  detail?: string;
}

interface TokenTimings {
  marginMs: number;
  windowMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The grants the engine sends by itself; a code exchange only happens through completeAuthorization. */
type EngineGrantInput = Exclude<TokenGrantInput, CodeGrantInput>;

/** The admin route that starts onboarding (src/routes/getAuthorize.ts). */
export const authorizePath = (accountId: string) => `/v1/accounts/${encodeURIComponent(accountId)}/authorize`;

export class TokenManager implements AccountCredentials {
  #current: StoredToken | null = null;
  /** The token was obtained while Redis was away and lives only in this process. */
  #currentIsLocal = false;
  #inflight: Promise<StoredToken> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #wakeWaiters: (() => void)[] = [];
  #stopped = false;
  #state: AccountAuthState = 'no_token';
  #lastRefresh: TokenStatus['lastRefresh'] = null;
  #skewMs: number | null = null;
  #prematureRejections = 0;
  #consecutiveFailures = 0;
  #shared: AccountSharedState = {};
  readonly #rotation = new SecretRotation();
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(
    readonly account: ResolvedAccount,
    private readonly options: TokenManagerOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Read at each request: a configuration reload replaces the account's credentials in place. */
  #secrets(): SecretPair {
    const { clientSecret, nextClientSecret } = this.account.credentials;
    return { current: clientSecret, next: nextClientSecret };
  }

  /** The client secret the carrier accepts now (probes use it for their fresh issuance). */
  clientSecretInUse(): string | undefined {
    return this.#rotation.inUse(this.#secrets());
  }

  /** Refresh margin and proactive window, scaled down for short-lived tokens. */
  #timings(token: StoredToken): TokenTimings {
    const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
    return {
      marginMs: Math.min(this.account.refresh.marginMs, lifetime * 0.1),
      windowMs: Math.min(this.account.refresh.windowMs, lifetime * 0.4),
    };
  }

  #isFresh(token: StoredToken | null, now: number): boolean {
    return token !== null && now < token.expiresAt - this.#timings(token).marginMs && this.#accepted(token);
  }

  #accepted(token: StoredToken): boolean {
    return this.options.accepts === undefined || this.options.accepts(token);
  }

  /** The hot path: a fresh token from memory, or undefined. No I/O, no promise. */
  peek(): StoredToken | undefined {
    const current = this.#current;
    return current !== null && this.#isFresh(current, this.#now()) ? current : undefined;
  }

  /** A valid token, refreshing when needed. While a still-valid token is within its margin, it is served and refreshed behind. */
  async getToken(): Promise<StoredToken> {
    const now = this.#now();
    const current = this.#current;
    if (current !== null && this.#isFresh(current, now)) return current;
    const refresh = this.#refresh(current?.generation ?? 0, 'demand');
    if (current !== null && now < current.expiresAt && this.#accepted(current)) {
      refresh.catch(() => {});
      return current;
    }
    return refresh;
  }

  /**
   * The carrier rejected `accessToken`. Drops it (if it is still ours) and refreshes; another
   * instance's newer token is adopted without calling the carrier.
   */
  async invalidate(accessToken: string): Promise<StoredToken> {
    const current = this.#current;
    if (current === null || current.accessToken !== accessToken) return this.getToken();
    const ageMs = this.#now() - current.obtainedAt;
    if (this.#now() < current.expiresAt) {
      this.#prematureRejections += 1;
      this.options.log.warn(
        {
          account: this.account.id,
          generation: current.generation,
          ageMs,
          expiresInMs: current.expiresAt - this.#now(),
        },
        'carrier rejected a token before its expiry',
      );
    }
    // Kept, but dead: its generation and refresh token still matter to the next refresh.
    this.#current = { ...current, expiresAt: Math.min(current.expiresAt, this.#now() - 1) };
    return this.#refresh(current.generation, 'rejected');
  }

  /**
   * An operator asked for a new token now (admin API): the carrier is called even while the
   * current token is fresh, and a cooldown in force is lifted first, since the operator has
   * usually just fixed what caused it. The new token is shared with the fleet as usual.
   */
  async refreshNow(): Promise<StoredToken> {
    const id = this.account.id;
    const stored = await this.options.store.read(id).catch(() => null);
    await this.#liftCooldown();
    const trigger = Math.max(this.#current?.generation ?? 0, stored?.generation ?? 0);
    return this.#refresh(trigger, 'forced');
  }

  /**
   * The account's tokens were purged (here or on another instance): drop what this process
   * holds, so the next request fetches a new token instead of serving the old one from memory.
   */
  forget(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#current = null;
    this.#currentIsLocal = false;
    this.#consecutiveFailures = 0;
    this.#shared = {};
    if (this.#inflight === null) this.#state = 'no_token';
  }

  /**
   * The account's credentials changed (configuration reload, secret rotation): failures counted
   * against the old ones say nothing about the new ones, so the cooldown they caused is lifted.
   */
  async credentialsChanged(): Promise<void> {
    await this.#liftCooldown();
    if (this.#state === 'cooldown' || this.#state === 'failing')
      this.#state = this.#current === null ? 'no_token' : 'ok';
  }

  async #liftCooldown(): Promise<void> {
    this.#consecutiveFailures = 0;
    delete this.#shared.cooldown;
    await this.options.store.updateState(this.account.id, { cooldown: null }).catch(() => {});
  }

  /** Another instance announced a newer generation. */
  onRemoteUpdate(generation: number): void {
    this.#wakeWaiters.splice(0).forEach((wake) => wake());
    if (this.#current !== null && this.#current.generation >= generation && !this.#currentIsLocal) return;
    if (this.#inflight !== null) return;
    this.options.store
      .read(this.account.id)
      .then((stored) => {
        if (stored !== null && stored.generation >= generation && this.#isFresh(stored, this.#now()))
          this.#adopt(stored, false);
      })
      .catch(() => {});
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
    const current = this.#current;
    const { store, log } = this.options;
    if (current === null || this.#currentIsLocal || this.#inflight !== null || !store.shared) return;
    const stored = await store.read(this.account.id).catch(() => undefined);
    if (stored === undefined || (stored !== null && stored.generation >= current.generation)) return;
    const lost = {
      account: this.account.id,
      generation: current.generation,
      storedGeneration: stored?.generation ?? null,
    };
    if (current.expiresAt > this.#now()) {
      if ((await store.write(this.account.id, current).catch(() => 'failed')) !== 'written') return;
      log.warn(lost, 'redis had lost the current token: written back from this instance');
      await store.announce(this.account.id, current.generation).catch(() => {});
    } else if (this.account.token.usesRefreshToken && current.refreshToken !== undefined) {
      log.warn(lost, 'redis had lost the current refresh token: refreshing from this instance');
      await this.#refresh(current.generation, 'restore').catch(() => {});
    }
  }

  /** Resolves once no refresh is in flight (shutdown, and tests that step a fake clock). */
  async whenIdle(): Promise<void> {
    while (this.#inflight !== null) await this.#inflight.catch(() => {});
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #refresh(
    triggerGeneration: number,
    reason: 'demand' | 'rejected' | 'proactive' | 'forced' | 'restore',
  ): Promise<StoredToken> {
    if (this.#inflight) return this.#inflight;
    const previousState = this.#state;
    this.#state = 'refreshing';
    const run = this.#refreshOnce(triggerGeneration, reason).then(
      (token) => {
        this.#inflight = null;
        return token;
      },
      (error: unknown) => {
        this.#inflight = null;
        if (this.#state === 'refreshing')
          this.#state = previousState === 'refreshing' ? 'failing' : previousState;
        throw error;
      },
    );
    this.#inflight = run;
    return run;
  }

  #adopt(token: StoredToken, local: boolean): StoredToken {
    this.#current = token;
    this.#currentIsLocal = local;
    this.#state = 'ok';
    this.#schedule(token);
    return token;
  }

  /** Proactive refresh at a uniformly random point of the window before the margin, so a fleet of accounts does not refresh in bursts. */
  #schedule(token: StoredToken): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#stopped) return;
    const { marginMs, windowMs } = this.#timings(token);
    if (windowMs <= 0) return;
    const refreshAt = token.expiresAt - marginMs - this.#random() * windowMs;
    this.#timer = setTimeout(
      () => {
        this.#refresh(token.generation, 'proactive').catch(() => {});
      },
      Math.max(0, refreshAt - this.#now()),
    );
    this.#timer.unref();
  }

  /** A stored token this instance may use instead of refreshing. */
  #usable(stored: StoredToken | null, triggerGeneration: number): boolean {
    return stored !== null && stored.generation > triggerGeneration && this.#isFresh(stored, this.#now());
  }

  async #refreshOnce(triggerGeneration: number, reason: string): Promise<StoredToken> {
    if (!this.options.sharedStoreAvailable() && this.options.store.shared) {
      return this.#refreshWithoutSharedStore(reason);
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#refreshShared(triggerGeneration, reason);
      } catch (error) {
        if (!(isGatewayError(error) && error.code === 'ERR_REDIS_UNAVAILABLE' && this.options.store.shared))
          throw error;
        // A command that timed out on a live connection is most likely a busy moment: going it
        // alone would be the very stampede the lock prevents, so the shared path gets one more try.
        if (attempt === 1 && this.options.sharedStoreAvailable()) continue;
        this.options.log.warn(
          { account: this.account.id, reason },
          'redis failed during a refresh: refreshing without it',
        );
        return this.#refreshWithoutSharedStore(reason);
      }
    }
  }

  async #refreshShared(triggerGeneration: number, reason: string): Promise<StoredToken> {
    const { store, lock } = this.options;
    const id = this.account.id;
    let stored = await store.read(id);
    if (stored !== null && this.#usable(stored, triggerGeneration)) return this.#adopt(stored, false);
    await this.#checkSharedState();

    const lockWaitMs = this.options.lockWaitMs ?? 10_000;
    const pollMs = this.options.lockPollMs ?? 50;
    const deadline = this.#now() + lockWaitMs;
    let handle = await lock.tryAcquire(id);
    while (handle === null) {
      if (this.#now() >= deadline) {
        throw new GatewayError('ERR_LOCK_TIMEOUT', undefined, {
          account: id,
          detail: `waited ${lockWaitMs} ms for the refresh lock`,
        });
      }
      // Waiters poll the store (and wake early on a token announcement): the holder's token is
      // theirs as soon as it is written, with no carrier call.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs / 2 + this.#random() * pollMs);
        this.#wakeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // A poll that fails on a live connection is skipped; the next one may answer.
      stored = await store.read(id).catch((error: unknown) => {
        if (this.options.sharedStoreAvailable()) return null;
        throw error;
      });
      if (stored !== null && this.#usable(stored, triggerGeneration)) return this.#adopt(stored, false);
      handle = await lock.tryAcquire(id);
    }

    try {
      stored = await store.read(id);
      if (stored !== null && this.#usable(stored, triggerGeneration)) return this.#adopt(stored, false);
      await this.#checkSharedState();
      // Taken before the carrier call: a refresh that outlives its lock holds an older generation.
      const generation = await store.nextGeneration(
        id,
        Math.max(this.#current?.generation ?? 0, stored?.generation ?? 0),
      );
      const started = this.#now();
      const grant = await this.#chooseGrant(stored);
      let accepted: AcceptedToken;
      try {
        accepted = await this.#exchangeWithRetries(grant);
      } catch (error) {
        await this.#recordFailure(error, grant.kind, started, stored);
        throw error;
      }
      const token: StoredToken = { ...accepted.token, generation };
      if (grant.kind === 'refresh' && token.refreshToken === undefined) {
        // RFC 6749 6: the server MAY keep the old refresh token valid and not send a new one.
        token.refreshToken = grant.refreshToken;
        if (stored?.refreshTokenExpiresAt !== undefined)
          token.refreshTokenExpiresAt = stored.refreshTokenExpiresAt;
      }
      this.#recordSuccess(accepted, started, reason, generation);
      let written: Awaited<ReturnType<TokenStore['write']>>;
      try {
        written = await store.write(id, token);
      } catch (error) {
        // Redis went away after the carrier answered: keep the token here rather than lose it.
        this.options.log.warn(
          { account: id, generation },
          'token obtained but redis unavailable: kept in this process only',
        );
        if (isGatewayError(error) && error.code === 'ERR_REDIS_UNAVAILABLE') return this.#adopt(token, true);
        throw error;
      }
      if (written !== 'written') {
        this.options.log.warn(
          { account: id, generation, result: written },
          'fenced write refused a late token',
        );
        const newer = await store.read(id);
        if (newer !== null && this.#isFresh(newer, this.#now())) return this.#adopt(newer, false);
        // Nothing newer to use: our token is still valid even if it may not be shared.
        return this.#adopt(token, true);
      }
      await store.updateState(id, {
        cooldown: null,
        refreshOutcomeUnknown: null,
        reauthorizationRequired: null,
      });
      this.#shared = {};
      await store.announce(id, generation).catch(() => {});
      return this.#adopt(token, false);
    } finally {
      await handle.release();
    }
  }

  /** Throws when the fleet already knows a refresh would be pointless now. */
  async #checkSharedState(): Promise<void> {
    const id = this.account.id;
    this.#shared = await this.options.store.readState(id);
    const { reauthorizationRequired, cooldown } = this.#shared;
    if (reauthorizationRequired) {
      this.#state = 'reauthorization_required';
      throw new GatewayError('ERR_REAUTHORIZATION_REQUIRED', undefined, {
        account: id,
        detail: reauthorizationRequired.reason,
      });
    }
    if (cooldown && cooldown.until > this.#now()) {
      this.#state = 'cooldown';
      throw new GatewayError(cooldown.code, undefined, {
        account: id,
        retryAfterMs: cooldown.until - this.#now(),
        ...(cooldown.carrierCode !== undefined ? { carrierCode: cooldown.carrierCode } : {}),
        detail: `token endpoint cooling down after ${cooldown.failures} failed refresh(es); no request sent`,
      });
    }
  }

  async #chooseGrant(stored: StoredToken | null): Promise<EngineGrantInput> {
    const id = this.account.id;
    if (!this.account.token.usesRefreshToken) return { kind: 'initial' };
    // The configured refresh token only seeds an account neither the store nor this process has
    // seen: after Redis lost its data, the refresh token held in memory is the live one, and the
    // seed was spent long ago. Likewise when the store holds an older generation than this
    // process (a failover lost the last write): the older record's refresh token was spent.
    const current = this.#current;
    const newerHere =
      current !== null && !this.#currentIsLocal && stored !== null && current.generation > stored.generation;
    const refreshToken =
      (newerHere ? current.refreshToken : undefined) ??
      stored?.refreshToken ??
      current?.refreshToken ??
      (stored === null ? this.account.credentials.refreshToken : undefined);
    if (refreshToken === undefined) {
      await this.#requireReauthorization('no refresh token stored for this account');
      throw new GatewayError('ERR_REAUTHORIZATION_REQUIRED', undefined, {
        account: id,
        detail: 'no refresh token',
      });
    }
    if (!this.account.token.rotatesRefreshTokens) return { kind: 'refresh', refreshToken };
    if (await this.options.store.claimRefreshToken(id, refreshToken, 'refresh'))
      return { kind: 'refresh', refreshToken };
    // Someone presented this refresh token and no newer token was stored: its outcome is unknown.
    // Once the access token is dead there is nothing left to protect, so one last attempt is allowed.
    const live = stored ?? this.#current;
    const accessDead = live === null || live.expiresAt <= this.#now();
    if (accessDead && (await this.options.store.claimRefreshToken(id, refreshToken, 'last-resort'))) {
      this.options.log.warn(
        { account: id },
        'refresh outcome unknown and access token expired: one last-resort refresh',
      );
      return { kind: 'refresh', refreshToken };
    }
    this.#state = 'refresh_outcome_unknown';
    throw new GatewayError('ERR_REFRESH_OUTCOME_UNKNOWN', undefined, {
      account: id,
      detail:
        'the current refresh token was already presented; re-presenting it could revoke the token family',
    });
  }

  async #exchangeWithRetries(grant: EngineGrantInput): Promise<AcceptedToken> {
    const policy = this.options.retry ?? DEFAULT_RETRY_POLICY;
    for (let attempt = 1; ; attempt += 1) {
      await this.options.store.countTokenRequest(this.account.id, this.#now()).catch(() => {});
      try {
        if (this.options.exchange) return await this.options.exchange();
        return await this.#rotation.exchange(
          this.#secrets(),
          this.#now,
          (clientSecret) =>
            exchangeToken(this.account, grant, { now: this.#now, ...this.options.transport, clientSecret }),
          () => {
            this.options.log.warn(
              { account: this.account.id },
              'carrier rejected the next client secret; the current one is used in the same request',
            );
            void this.options.store.countTokenRequest(this.account.id, this.#now()).catch(() => {});
          },
        );
      } catch (error) {
        if (!isGatewayError(error)) throw error;
        const decision = decideRetry(error, grant.kind, attempt, policy, this.#random);
        this.options.log.warn(
          {
            account: this.account.id,
            attempt,
            code: error.code,
            carrierCode: error.carrierCode,
            upstreamStatus: error.upstreamStatus,
            retry: decision.retry,
            reason: decision.reason,
            waitMs: decision.waitMs,
          },
          'token request failed',
        );
        if (!decision.retry) throw error;
        await sleep(decision.waitMs);
      }
    }
  }

  async #requireReauthorization(reason: string): Promise<void> {
    this.#state = 'reauthorization_required';
    this.options.log.error({ account: this.account.id, reason }, 'account needs re-authorization');
    const value = { since: this.#now(), reason };
    this.#shared.reauthorizationRequired = value;
    await this.options.store.updateState(this.account.id, { reauthorizationRequired: value }).catch(() => {});
  }

  async #recordFailure(
    error: unknown,
    grant: GrantKind,
    started: number,
    stored: StoredToken | null,
  ): Promise<void> {
    const id = this.account.id;
    const gatewayError = isGatewayError(error)
      ? error
      : new GatewayError('ERR_INTERNAL', undefined, { cause: error });
    this.options.observer?.({
      account: id,
      ok: false,
      latencyMs: this.#now() - started,
      code: gatewayError.code,
      ...(gatewayError.detail !== undefined ? { detail: gatewayError.detail } : {}),
    });
    this.#lastRefresh = {
      at: new Date(this.#now()).toISOString(),
      outcome: 'failure',
      latencyMs: this.#now() - started,
      code: gatewayError.code,
      ...(gatewayError.carrierCode !== undefined ? { carrierCode: gatewayError.carrierCode } : {}),
    };
    const failureClass =
      gatewayError.code === 'ERR_TOKEN_INVALID_GRANT'
        ? 'invalid_grant'
        : impliedClass(this.account.token, grant, gatewayError);
    if (grant === 'refresh' && failureClass === 'invalid_grant') {
      // Stop retrying; the access token, if still valid, keeps being served until it expires.
      await this.#requireReauthorization(
        `refresh token rejected (${gatewayError.carrierCode ?? gatewayError.code})`,
      );
      return;
    }
    if (grant === 'refresh' && isMaybeDelivered(gatewayError)) {
      this.#state = 'refresh_outcome_unknown';
      const value = { since: this.#now() };
      this.#shared.refreshOutcomeUnknown = value;
      await this.options.store.updateState(id, { refreshOutcomeUnknown: value }).catch(() => {});
      this.options.log.error(
        { account: id, hasValidAccessToken: stored !== null && stored.expiresAt > this.#now() },
        'refresh outcome unknown; refresh token not presented again',
      );
      return;
    }
    this.#consecutiveFailures += 1;
    const until =
      this.#now() +
      cooldownMs(gatewayError, this.#consecutiveFailures, this.options.cooldown ?? DEFAULT_COOLDOWN_POLICY);
    const cooldown = {
      until,
      code: gatewayError.code,
      failures: this.#consecutiveFailures,
      ...(gatewayError.carrierCode !== undefined ? { carrierCode: gatewayError.carrierCode } : {}),
    };
    this.#shared.cooldown = cooldown;
    this.#state = 'cooldown';
    await this.options.store.updateState(id, { cooldown }).catch(() => {});
  }

  /** `generation`: the fencing generation the token will be written with (none for a local refresh). */
  #recordSuccess(accepted: AcceptedToken, started: number, reason: string, generation?: number): void {
    const latencyMs = this.#now() - started;
    this.options.observer?.({ account: this.account.id, ok: true, latencyMs });
    this.#consecutiveFailures = 0;
    this.#lastRefresh = { at: new Date(this.#now()).toISOString(), outcome: 'success', latencyMs };
    if (accepted.skewMs !== undefined) {
      this.#skewMs = accepted.skewMs;
      if (Math.abs(accepted.skewMs) >= (this.options.skewWarningMs ?? 30_000)) {
        this.options.log.warn({ account: this.account.id, skewMs: accepted.skewMs }, 'carrier clock skew');
      }
    }
    this.options.log.info(
      {
        account: this.account.id,
        reason,
        ...(generation !== undefined ? { generation } : {}),
        latencyMs,
        expiresInSeconds: Math.round((accepted.token.expiresAt - this.#now()) / 1000),
      },
      'token refreshed',
    );
  }

  /**
   * Redis is configured but away. Carriers without rotating refresh tokens are refreshed under
   * this process's single-flight; rotating ones are not (two instances could present the same
   * single-use refresh token) and keep their valid access token until it expires.
   */
  async #refreshWithoutSharedStore(reason: string): Promise<StoredToken> {
    const id = this.account.id;
    const current = this.#current;
    if (this.account.token.usesRefreshToken && this.account.token.rotatesRefreshTokens) {
      this.#state = 'redis_unavailable';
      throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
        account: id,
        detail: 'rotating refresh tokens are refreshed only under the shared lock; waiting for redis',
      });
    }
    const started = this.#now();
    const grant: EngineGrantInput =
      this.account.token.usesRefreshToken && current?.refreshToken
        ? { kind: 'refresh', refreshToken: current.refreshToken }
        : { kind: 'initial' };
    try {
      const accepted = await this.#exchangeWithRetries(grant);
      this.#recordSuccess(accepted, started, `${reason} (redis unavailable, local refresh)`);
      // Same generation as before: when Redis is back, the shared store's token wins.
      const token: StoredToken = { ...accepted.token, generation: current?.generation ?? 0 };
      if (token.refreshToken === undefined && grant.kind === 'refresh')
        token.refreshToken = grant.refreshToken;
      return this.#adopt(token, true);
    } catch (error) {
      if (isGatewayError(error)) {
        this.#lastRefresh = {
          at: new Date(this.#now()).toISOString(),
          outcome: 'failure',
          latencyMs: this.#now() - started,
          code: error.code,
        };
      }
      throw error;
    }
  }

  /**
   * Onboarding: exchanges an authorization code (RFC 6749 4.1.3) and stores the tokens it yields
   * as the account's new token family. Runs under the account's refresh lock with a fresh fencing
   * generation taken before the exchange, so no refresh in flight anywhere can overwrite it; then
   * clears reauthorization_required, refresh_outcome_unknown and the cooldown, and announces the
   * token to the fleet. The code is sent once, never retried: codes are single-use (RFC 6749
   * 4.1.2, 10.5). A failed exchange changes nothing stored.
   */
  async completeAuthorization(grant: CodeGrantInput): Promise<StoredToken> {
    const { store, lock } = this.options;
    const id = this.account.id;
    if (store.shared && !this.options.sharedStoreAvailable()) {
      throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
        account: id,
        detail: 'authorization needs the shared store to keep its tokens',
      });
    }
    const lockWaitMs = this.options.lockWaitMs ?? 10_000;
    const deadline = this.#now() + lockWaitMs;
    let handle = await lock.tryAcquire(id);
    while (handle === null) {
      if (this.#now() >= deadline) {
        throw new GatewayError('ERR_LOCK_TIMEOUT', undefined, {
          account: id,
          detail: `waited ${lockWaitMs} ms for the refresh lock; the code was not sent`,
        });
      }
      await sleep((this.options.lockPollMs ?? 50) * (0.5 + this.#random()));
      handle = await lock.tryAcquire(id);
    }
    try {
      const stored = await store.read(id);
      const generation = await store.nextGeneration(
        id,
        Math.max(this.#current?.generation ?? 0, stored?.generation ?? 0),
      );
      const started = this.#now();
      await store.countTokenRequest(id, started).catch(() => {});
      // The code is single-use: it goes with the secret known to work, never with an untried one.
      const accepted = await exchangeToken(this.account, grant, {
        now: this.#now,
        ...this.options.transport,
        clientSecret: this.#rotation.inUse(this.#secrets()),
      });
      const token: StoredToken = { ...accepted.token, generation };
      if (token.refreshToken === undefined) {
        // RFC 6749 4.1.4: the refresh token is OPTIONAL; without one the account needs another
        // authorization when this access token expires.
        this.options.log.warn({ account: id }, 'authorization yielded no refresh token');
      }
      const written = await store.write(id, token);
      if (written !== 'written') {
        // Only a generation taken after ours (a lock lost mid-exchange) can be newer; ours is not kept.
        throw new GatewayError('ERR_INTERNAL', undefined, {
          account: id,
          detail: `authorized token refused by the fenced write (${written})`,
        });
      }
      this.#recordSuccess(accepted, started, 'authorization', generation);
      await store.updateState(id, {
        cooldown: null,
        refreshOutcomeUnknown: null,
        reauthorizationRequired: null,
      });
      this.#shared = {};
      await store.announce(id, generation).catch(() => {});
      this.options.log.info({ account: id, generation }, 'account authorized: tokens stored');
      return this.#adopt(token, false);
    } finally {
      await handle.release();
    }
  }

  async status(): Promise<TokenStatus> {
    const now = this.#now();
    const current = this.#current;
    let counts: TokenRequestCounts | null = null;
    try {
      counts = await this.options.store.tokenRequestCounts(this.account.id, now);
      this.#shared = await this.options.store.readState(this.account.id);
    } catch {
      // Redis away: counts unknown; the state says why.
    }
    let state = this.#state;
    let neverAuthorized = false;
    if (
      state === 'no_token' &&
      this.account.token.usesRefreshToken &&
      this.account.credentials.refreshToken === undefined
    ) {
      // Nothing to refresh from until an operator completes the authorization-code flow.
      neverAuthorized = await this.options.store.read(this.account.id).then(
        (stored) => stored === null,
        () => false,
      );
    }
    if (this.#shared.reauthorizationRequired || neverAuthorized) state = 'reauthorization_required';
    else if (this.#shared.refreshOutcomeUnknown && state !== 'ok') state = 'refresh_outcome_unknown';
    else if (this.options.store.shared && !this.options.sharedStoreAvailable()) state = 'redis_unavailable';
    const cooldown = this.#shared.cooldown;
    const rotation = this.#rotation.status(this.#secrets());
    return {
      account: this.account.id,
      carrier: this.account.carrier,
      state,
      store: !this.options.store.shared ? 'embedded' : this.#currentIsLocal ? 'local-fallback' : 'shared',
      token:
        current === null
          ? null
          : {
              generation: current.generation,
              expiresInSeconds: Math.round((current.expiresAt - now) / 1000),
              obtainedAt: new Date(current.obtainedAt).toISOString(),
              sharedStore: !this.#currentIsLocal && this.options.store.shared,
            },
      lastRefresh: this.#lastRefresh,
      tokenRequests: counts,
      clockSkewMs: this.#skewMs,
      prematureRejections: this.#prematureRejections,
      cooldownUntil: cooldown && cooldown.until > now ? new Date(cooldown.until).toISOString() : null,
      reauthorizationReason:
        this.#shared.reauthorizationRequired?.reason ?? (neverAuthorized ? 'not authorized yet' : null),
      ...(state === 'reauthorization_required' && this.account.authorization !== undefined
        ? { authorizeUrl: authorizePath(this.account.id) }
        : {}),
      ...(rotation !== undefined ? { secretRotation: rotation } : {}),
    };
  }
}
