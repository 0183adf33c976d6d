/**
 * @module auth/refresh-bookkeeping
 * What the refreshes of one account left behind, and what it forbids next. A failed refresh
 * starts a cooldown that grows with the consecutive failures; a refused refresh token means the
 * account needs re-authorization; a refresh whose request may have reached the carrier leaves its
 * outcome unknown. Those three live in the fleet-shared state (so no instance calls the carrier
 * while they hold) and in this process's state; the last outcome, the carrier's clock skew and
 * the carrier's premature rejections are this process's, for the status.
 */
import type { Logger } from 'pino';

import type { ResolvedAccount } from '../core/account.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import { impliedClass, type GrantKind } from './classify.js';
import { cooldownMs, DEFAULT_COOLDOWN_POLICY, type CooldownPolicy } from './retry.js';
import { isMaybeDelivered } from './token-client.js';
import type { AcceptedToken } from './token-response.js';
import type { AccountAuthState, TokenRequestEvent, TokenStatus } from './token-status.js';
import type { AccountSharedState, CooldownState, StoredToken, TokenStore } from './token-store.js';

export interface BookkeepingOptions {
  store: TokenStore;
  log: Logger;
  now: () => number;
  cooldown?: CooldownPolicy | undefined;
  skewWarningMs?: number | undefined;
  observer?: ((event: TokenRequestEvent) => void) | undefined;
}

/** Where the account's state is shown (the token this process holds carries it). */
export interface AuthStateCell {
  state: AccountAuthState;
}

/** The answer to a token request asked for during a cooldown: the failure that started it, and nothing sent. */
export function cooldownError(accountId: string, cooldown: CooldownState, now: number): GatewayError {
  return new GatewayError(cooldown.code, undefined, {
    account: accountId,
    retryAfterMs: cooldown.until - now,
    ...(cooldown.carrierCode !== undefined ? { carrierCode: cooldown.carrierCode } : {}),
    detail: `token endpoint cooling down after ${cooldown.failures} failed refresh(es); no request sent`,
  });
}

export class RefreshBookkeeping {
  /** The fleet-shared state as last read or written here. */
  shared: AccountSharedState = {};
  lastRefresh: TokenStatus['lastRefresh'] = null;
  skewMs: number | null = null;
  prematureRejections = 0;
  #consecutiveFailures = 0;

  constructor(
    private readonly account: ResolvedAccount,
    private readonly cell: AuthStateCell,
    private readonly options: BookkeepingOptions,
  ) {}

  /** Throws when the fleet already knows a refresh would be pointless now. */
  async checkShared(): Promise<void> {
    const id = this.account.id;
    this.shared = await this.options.store.readState(id);
    const { reauthorizationRequired, cooldown } = this.shared;
    if (reauthorizationRequired) {
      this.cell.state = 'reauthorization_required';
      throw new GatewayError('ERR_REAUTHORIZATION_REQUIRED', undefined, {
        account: id,
        detail: reauthorizationRequired.reason,
      });
    }
    const now = this.options.now();
    if (cooldown && cooldown.until > now) {
      this.cell.state = 'cooldown';
      throw cooldownError(id, cooldown, now);
    }
  }

  async requireReauthorization(reason: string): Promise<void> {
    this.cell.state = 'reauthorization_required';
    this.options.log.error({ account: this.account.id, reason }, 'account needs re-authorization');
    const value = { since: this.options.now(), reason };
    this.shared.reauthorizationRequired = value;
    await this.options.store.updateState(this.account.id, { reauthorizationRequired: value }).catch(() => {});
  }

  /**
   * A refresh failed: a refused refresh token requires re-authorization, a refresh that may have
   * reached the carrier leaves its outcome unknown, anything else starts or extends a cooldown.
   */
  async recordFailure(
    error: unknown,
    grant: GrantKind,
    started: number,
    stored: StoredToken | null,
  ): Promise<void> {
    const id = this.account.id;
    const now = this.options.now;
    const gatewayError = isGatewayError(error)
      ? error
      : new GatewayError('ERR_INTERNAL', undefined, { cause: error });
    this.options.observer?.({
      account: id,
      ok: false,
      latencyMs: now() - started,
      code: gatewayError.code,
      ...(gatewayError.detail !== undefined ? { detail: gatewayError.detail } : {}),
    });
    this.lastRefresh = {
      at: new Date(now()).toISOString(),
      outcome: 'failure',
      latencyMs: now() - started,
      code: gatewayError.code,
      ...(gatewayError.carrierCode !== undefined ? { carrierCode: gatewayError.carrierCode } : {}),
    };
    const failureClass =
      gatewayError.code === 'ERR_TOKEN_INVALID_GRANT'
        ? 'invalid_grant'
        : impliedClass(this.account.token, grant, gatewayError);
    if (grant === 'refresh' && failureClass === 'invalid_grant') {
      // Stop retrying; the access token, if still valid, keeps being served until it expires.
      await this.requireReauthorization(
        `refresh token rejected (${gatewayError.carrierCode ?? gatewayError.code})`,
      );
      return;
    }
    if (grant === 'refresh' && isMaybeDelivered(gatewayError)) {
      this.cell.state = 'refresh_outcome_unknown';
      const value = { since: now() };
      this.shared.refreshOutcomeUnknown = value;
      await this.options.store.updateState(id, { refreshOutcomeUnknown: value }).catch(() => {});
      this.options.log.error(
        { account: id, hasValidAccessToken: stored !== null && stored.expiresAt > now() },
        'refresh outcome unknown; refresh token not presented again',
      );
      return;
    }
    this.#consecutiveFailures += 1;
    const until =
      now() +
      cooldownMs(gatewayError, this.#consecutiveFailures, this.options.cooldown ?? DEFAULT_COOLDOWN_POLICY);
    const cooldown = {
      until,
      code: gatewayError.code,
      failures: this.#consecutiveFailures,
      ...(gatewayError.carrierCode !== undefined ? { carrierCode: gatewayError.carrierCode } : {}),
    };
    this.shared.cooldown = cooldown;
    this.cell.state = 'cooldown';
    await this.options.store.updateState(id, { cooldown }).catch(() => {});
  }

  /** A refresh that went without the shared store failed: only its outcome is kept (no fleet state to set). */
  recordLocalFailure(error: unknown, started: number): void {
    if (!isGatewayError(error)) return;
    const now = this.options.now();
    this.lastRefresh = {
      at: new Date(now).toISOString(),
      outcome: 'failure',
      latencyMs: now - started,
      code: error.code,
    };
  }

  /** `generation`: the fencing generation the token will be written with (none for a local refresh). */
  recordSuccess(accepted: AcceptedToken, started: number, reason: string, generation?: number): void {
    const now = this.options.now;
    const latencyMs = now() - started;
    this.options.observer?.({ account: this.account.id, ok: true, latencyMs });
    this.#consecutiveFailures = 0;
    this.lastRefresh = { at: new Date(now()).toISOString(), outcome: 'success', latencyMs };
    if (accepted.skewMs !== undefined) {
      this.skewMs = accepted.skewMs;
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
        expiresInSeconds: Math.round((accepted.token.expiresAt - now()) / 1000),
      },
      'token refreshed',
    );
  }

  /** A new token is in the shared store: nothing the failures forbade holds any more, fleet-wide. */
  async clear(): Promise<void> {
    await this.options.store.updateState(this.account.id, {
      cooldown: null,
      refreshOutcomeUnknown: null,
      reauthorizationRequired: null,
    });
    this.shared = {};
  }

  /** The failures counted so far say nothing about what comes next (operator action, new credentials). */
  async liftCooldown(): Promise<void> {
    this.#consecutiveFailures = 0;
    delete this.shared.cooldown;
    await this.options.store.updateState(this.account.id, { cooldown: null }).catch(() => {});
  }

  /** The carrier rejected `token`; before its expiry, that is worth counting and a warning. */
  notePrematureRejection(token: StoredToken): void {
    const now = this.options.now();
    if (now >= token.expiresAt) return;
    this.prematureRejections += 1;
    this.options.log.warn(
      {
        account: this.account.id,
        generation: token.generation,
        ageMs: now - token.obtainedAt,
        expiresInMs: token.expiresAt - now,
      },
      'carrier rejected a token before its expiry',
    );
  }

  /** The account's tokens were purged: its failures are forgotten with them. */
  forget(): void {
    this.#consecutiveFailures = 0;
    this.shared = {};
  }
}
