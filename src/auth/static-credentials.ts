/**
 * @module auth/static-credentials
 * Accounts whose carrier takes the same credentials on every call (an API-key header, HTTP
 * Basic) go through the same interface as token accounts, so the proxy and the operations view
 * treat every account alike. There is nothing to refresh; what matters is noticing when the
 * carrier starts rejecting them (a rotated or revoked key), which is counted and shown.
 */
import type { StaticAccount } from '../core/account.js';
import type { Logger } from '../platform/log.js';
import type { AccountCredentials, TokenStatus } from './token-status.js';
import type { StoredToken } from './token-store.js';

export class StaticCredentials implements AccountCredentials {
  #credential: StoredToken;
  #rejections = 0;
  #lastRejectionAt: number | null = null;

  constructor(
    readonly account: StaticAccount,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#credential = this.#fromAccount();
  }

  /** The header value stands where a token would; it never expires on its own. */
  #fromAccount(): StoredToken {
    return {
      accessToken: this.account.staticCredential.value,
      tokenType: 'Bearer',
      generation: 0,
      obtainedAt: this.now(),
      expiresAt: Number.MAX_SAFE_INTEGER,
    };
  }

  peek(): StoredToken {
    return this.#credential;
  }

  async getToken(): Promise<StoredToken> {
    return this.#credential;
  }

  /** New credentials (configuration reload): rejections of the old ones no longer count. */
  credentialsChanged(): void {
    this.#credential = this.#fromAccount();
    this.#rejections = 0;
    this.#lastRejectionAt = null;
  }

  /** The carrier rejected the credentials: nothing to refresh, but operators must see it. */
  async invalidate(): Promise<StoredToken> {
    this.#rejections += 1;
    this.#lastRejectionAt = this.now();
    this.log.warn(
      { account: this.account.id, rejections: this.#rejections },
      'carrier rejected the static credentials',
    );
    return this.#credential;
  }

  onRemoteUpdate(): void {}

  async whenIdle(): Promise<void> {}

  stop(): void {}

  async status(): Promise<TokenStatus> {
    return {
      account: this.account.id,
      carrier: this.account.carrier,
      state: this.#rejections > 0 ? 'credentials_rejected' : 'ok',
      store: 'static',
      token: null,
      lastRefresh: null,
      tokenRequests: null,
      clockSkewMs: null,
      prematureRejections: 0,
      credentialRejections: this.#rejections,
      lastCredentialRejectionAt:
        this.#lastRejectionAt === null ? null : new Date(this.#lastRejectionAt).toISOString(),
      cooldownUntil: null,
      reauthorizationReason: null,
    };
  }
}
