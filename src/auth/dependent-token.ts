/**
 * @module auth/dependent-token
 * A second token some API paths need beside the access token, obtained from the carrier API
 * with the account's current access token (USPS labels: `X-Payment-Authorization-Token` from
 * POST /payments/v3/payment-authorization, valid 8 h and "not to be re-fetched per label",
 * carrier-auth-facts 5.6).
 *
 * It is a `TokenManager` of its own over a derived store key (`<account>/<name>`), so it gets
 * the same sealed store, refresh lock, fencing generations, single-flight, cooldowns and proactive
 * refresh as access tokens; only the exchange is injected. Each token records a digest of the
 * parent's identity (client id, the JWT `sub`, the configured body): a token obtained for
 * another identity is never served or adopted, while an ordinary refresh of the access token
 * (same client, same subject) leaves it in place. The parent's access token itself is never
 * recorded.
 */
import { createHash } from 'node:crypto';

import { decodeJwt } from 'jose';
import { request as undiciRequest } from 'undici';

import type { DependentTokenProfile, ResolvedAccount } from '../core/account.js';
import { GatewayError } from '../core/errors.js';
import { deadline } from '../platform/deadline.js';
import { classifyTransportFailure, parseRetryAfter } from './classify.js';
import { TokenManager, type TokenManagerOptions } from './token-manager.js';
import type { AcceptedToken } from './token-response.js';
import type { DependentTokenStatus } from './token-status.js';
import type { StoredToken } from './token-store.js';

/** The store key (and lock name) of a dependent token: its own, so it never fences the access token. */
export const dependentStoreId = (accountId: string, name: string) => `${accountId}/${name}`;

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

export class DependentToken {
  readonly storeId: string;
  readonly #inner: TokenManager | undefined;
  readonly #bodyDigest: string;
  readonly #now: () => number;
  /** The identity the token must be bound to: the last parent token seen, and its digest. */
  #expected: { parentToken: string; identity: string } | undefined;

  constructor(
    readonly parent: TokenManager,
    readonly profile: DependentTokenProfile,
    options: TokenManagerOptions,
  ) {
    const account = parent.account;
    this.storeId = dependentStoreId(account.id, profile.data.name);
    this.#bodyDigest = digest(profile.body ?? null);
    this.#now = options.now ?? Date.now;
    if (profile.body === undefined) return;
    // The parent's resolution with what differs for this token: no refresh token, its own timings.
    const derived: ResolvedAccount = {
      ...account,
      id: this.storeId,
      token: { ...account.token, usesRefreshToken: false, rotatesRefreshTokens: false },
      refresh: {
        marginMs: profile.data.marginSeconds * 1000,
        windowMs: profile.data.windowSeconds * 1000,
      },
      dependentTokens: [],
    };
    // Onboarding belongs to the parent; this token is never obtained by a code exchange.
    delete derived.authorization;
    this.#inner = new TokenManager(derived, {
      ...options,
      exchange: () => this.#exchange(),
      accepts: (token) => this.#expected === undefined || token.binding === this.#expected.identity,
    });
  }

  get configured(): boolean {
    return this.#inner !== undefined;
  }

  /** True when `path` (relative to the API base, leading slash) needs this token. */
  matches(path: string): boolean {
    return this.profile.data.pathPrefixes.some((prefix) => path.startsWith(prefix));
  }

  /**
   * Who the token is for: client id, JWT `sub` and the configured body. Memoised on the parent
   * token, so the hot path decodes a JWT only when the access token changed.
   */
  #identity(parentToken: StoredToken): string {
    if (this.#expected?.parentToken === parentToken.accessToken) return this.#expected.identity;
    let subject: unknown;
    try {
      subject = decodeJwt(parentToken.accessToken).sub;
    } catch {
      // Opaque access tokens: the client id alone names the parent.
    }
    const identity = digest([this.parent.account.credentials.clientId, subject ?? null, this.#bodyDigest]);
    this.#expected = { parentToken: parentToken.accessToken, identity };
    return identity;
  }

  #manager(): TokenManager {
    if (this.#inner === undefined) {
      throw new GatewayError('ERR_DEPENDENT_TOKEN_NOT_CONFIGURED', undefined, {
        account: this.parent.account.id,
        detail: `"${this.profile.data.configBlock}" is not configured for this account; ${this.profile.data.pathPrefixes.join(', ')} calls need ${this.profile.data.header}`,
      });
    }
    return this.#inner;
  }

  /** Hot path: a fresh token bound to this parent token, from memory, or undefined. */
  peek(parentToken: StoredToken): StoredToken | undefined {
    const manager = this.#manager();
    this.#identity(parentToken);
    return manager.peek();
  }

  async get(parentToken: StoredToken): Promise<StoredToken> {
    const manager = this.#manager();
    this.#identity(parentToken);
    return manager.getToken();
  }

  /** The carrier rejected this dependent token: drop it fleet-wide and get another. The access token is untouched. */
  async invalidate(value: string, parentToken: StoredToken): Promise<StoredToken> {
    const manager = this.#manager();
    this.#identity(parentToken);
    return manager.invalidate(value);
  }

  /** POST the configured body with the parent's current access token. */
  async #exchange(): Promise<AcceptedToken> {
    const { data, url, body } = this.profile;
    const account = this.parent.account;
    const parentToken = await this.parent.getToken();
    const identity = this.#identity(parentToken);
    const limit = deadline(account.token.timeoutMs);
    const sentAt = this.#now();
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await undiciRequest(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${parentToken.accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: limit.signal,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (cause) {
      throw classifyTransportFailure(this.storeId, cause, limit.signal.aborted).error;
    } finally {
      limit.release();
    }
    const failure = (
      code: ConstructorParameters<typeof GatewayError>[0],
      detail: string,
      retryAfterMs?: number,
    ) =>
      new GatewayError(code, undefined, {
        account: this.storeId,
        upstreamStatus: status,
        detail,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    if (status === 429 || status === 503) {
      const header = headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, this.#now());
      throw failure('ERR_TOKEN_ENDPOINT_THROTTLED', `${data.path} throttled`, retryAfterMs);
    }
    if (status >= 500) throw failure('ERR_TOKEN_ENDPOINT_SERVER_ERROR', `${data.path} failed`);
    if (status < 200 || status >= 300) {
      // 400 (the configured roles refused), 401/403 (the access token or its scope refused).
      throw failure('ERR_TOKEN_REQUEST_REJECTED', `${data.path} answered ${status}`);
    }
    let value: unknown;
    try {
      value = (JSON.parse(text) as Record<string, unknown>)[data.responseField];
    } catch {
      // Reported below as malformed.
    }
    if (typeof value !== 'string' || value === '') {
      throw failure('ERR_TOKEN_MALFORMED_RESPONSE', `no ${data.responseField} in the answer`);
    }
    let expiresAt = sentAt + data.lifetimeSeconds * 1000;
    try {
      // The documented lifetime counts from issuance; an earlier JWT exp is the real end.
      const exp = decodeJwt(value).exp;
      if (typeof exp === 'number') expiresAt = Math.min(expiresAt, exp * 1000);
    } catch {
      // Not a JWT: the documented lifetime applies.
    }
    if (expiresAt <= this.#now()) throw failure('ERR_TOKEN_MALFORMED_RESPONSE', 'token already expired');
    return {
      token: { accessToken: value, tokenType: 'Bearer', obtainedAt: sentAt, expiresAt, binding: identity },
    };
  }

  onRemoteUpdate(generation: number): void {
    this.#inner?.onRemoteUpdate(generation);
  }

  async whenIdle(): Promise<void> {
    await this.#inner?.whenIdle();
  }

  async restoreShared(): Promise<void> {
    await this.#inner?.restoreShared();
  }

  stop(): void {
    this.#inner?.stop();
  }

  async status(): Promise<DependentTokenStatus> {
    const base = { name: this.profile.data.name, header: this.profile.data.header };
    if (this.#inner === undefined)
      return {
        ...base,
        configured: false,
        state: 'not_configured',
        present: false,
        token: null,
        lastRefresh: null,
      };
    const inner = await this.#inner.status();
    return {
      ...base,
      configured: true,
      state: inner.state,
      present: inner.token !== null && inner.token.expiresInSeconds > 0,
      token: inner.token && {
        generation: inner.token.generation,
        expiresInSeconds: inner.token.expiresInSeconds,
        obtainedAt: inner.token.obtainedAt,
      },
      lastRefresh: inner.lastRefresh && {
        at: inner.lastRefresh.at,
        outcome: inner.lastRefresh.outcome,
        ...(inner.lastRefresh.code !== undefined ? { code: inner.lastRefresh.code } : {}),
      },
    };
  }
}
