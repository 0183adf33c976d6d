/**
 * @module upstream/credentials
 * The credential one carrier call carries: the account's token as a Bearer (or its static key in
 * the carrier's header), plus the dependent token the path needs (USPS labels: the payment
 * authorization token), plus the carrier's own per-request headers (`decorateApiRequest`). When
 * the carrier rejects one of them, `renew` drops exactly that one fleet-wide and takes the next.
 */
import type { DependentToken } from '../auth/dependent-token.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { AccountCredentials } from '../auth/token-status.js';
import type { StoredToken } from '../auth/token-store.js';
import type { ConfiguredAccount } from '../core/account.js';
import type { Rejection } from './rejection.js';

export type OutgoingHeaders = Record<string, string | string[]>;

/** The dependent token on one call: where it goes, and its value. */
interface DependentUse {
  dependent: DependentToken;
  header: string;
  value: string;
}

/**
 * Puts an account's credential value on `headers` (a Bearer token, or the static key in the
 * carrier's header), then the carrier's per-request headers. Pure; returns `headers`.
 */
export function withCredential(
  account: ConfiguredAccount,
  value: string,
  method: string,
  path: string,
  headers: OutgoingHeaders,
): OutgoingHeaders {
  if (account.kind === 'static') headers[account.staticCredential.header] = value;
  else headers.authorization = `Bearer ${value}`;
  account.descriptor.decorateApiRequest?.({ method, path, headers: headers as Record<string, string> });
  return headers;
}

export class CallCredential {
  #dependent: DependentUse | undefined;

  private constructor(
    readonly account: ConfiguredAccount,
    /** Undefined for a credential the caller supplied: it is not the engine's to renew or drop. */
    private readonly manager: AccountCredentials | undefined,
    public token: StoredToken,
    dependent: DependentUse | undefined,
  ) {
    this.#dependent = dependent;
  }

  /**
   * A credential the caller holds itself (a probe's freshly issued token, never stored): sent as
   * it is, never renewed, and its refusal drops nothing of the engine's.
   */
  static supplied(account: ConfiguredAccount, token: StoredToken): CallCredential {
    return new CallCredential(account, undefined, token, undefined);
  }

  /** Whether a refusal can be answered by renewing this credential through the engine. */
  get renewable(): boolean {
    return this.manager !== undefined && this.account.kind === 'oauth';
  }

  /**
   * The credential for a call to `path` (relative to the API base, no query). `clientSends` says
   * whether the client's own request already carries a header: an account without the dependent
   * token's configuration still passes a client's own token through (USPS clients that obtained
   * one themselves), and only a call with neither fails.
   */
  static async obtain(
    engine: TokenEngine,
    account: ConfiguredAccount,
    path: string,
    clientSends?: (header: string) => boolean,
  ): Promise<CallCredential> {
    const manager = engine.manager(account.id);
    const token = manager.peek() ?? (await manager.getToken());
    let dependent = account.kind === 'oauth' ? engine.dependentFor(account.id, path) : undefined;
    if (dependent?.configured === false && clientSends?.(dependent.profile.data.header.toLowerCase()))
      dependent = undefined;
    if (dependent === undefined) return new CallCredential(account, manager, token, undefined);
    const value = (dependent.peek(token) ?? (await dependent.get(token))).accessToken;
    return new CallCredential(account, manager, token, {
      dependent,
      header: dependent.profile.data.header.toLowerCase(),
      value,
    });
  }

  /** How the carrier says it refused the dependent token rather than the access token. */
  get dependentRule(): { statuses: number[]; notChallenge: string } | undefined {
    return this.#dependent?.dependent.profile.data.rejection;
  }

  /** Puts the credential and the carrier's per-request headers on `headers` (and returns it). */
  apply(method: string, path: string, headers: OutgoingHeaders): OutgoingHeaders {
    if (this.#dependent !== undefined) headers[this.#dependent.header] = this.#dependent.value;
    return withCredential(this.account, this.token.accessToken, method, path, headers);
  }

  /** The access token the engine holds for the account now, if a usable one. */
  held(): StoredToken | null {
    return this.manager?.peek() ?? null;
  }

  /** Where the refused credential is stored: the account's, or its dependent token's. */
  storeId(rejection: Rejection): string {
    const use = this.#dependent;
    return rejection === 'dependent' && use !== undefined ? use.dependent.storeId : this.account.id;
  }

  /**
   * The carrier refused one of the tokens: drop it fleet-wide and hold the next. A token already
   * replaced is not dropped again: the engine hands out its replacement without a token request.
   */
  async renew(rejection: Rejection): Promise<void> {
    if (this.manager === undefined) throw new Error('a supplied credential cannot be renewed');
    const use = this.#dependent;
    if (rejection === 'dependent' && use !== undefined) {
      // Only the dependent token goes; the access token was accepted.
      use.value = (await use.dependent.invalidate(use.value, this.token)).accessToken;
      return;
    }
    this.token = await this.manager.invalidate(this.token.accessToken);
    if (use !== undefined)
      use.value = (use.dependent.peek(this.token) ?? (await use.dependent.get(this.token))).accessToken;
  }

  /** A rejection not retried on this call: the next call gets a fresh token. */
  dropInBackground(rejection: Rejection): void {
    if (this.manager === undefined) return;
    const use = this.#dependent;
    if (rejection === 'dependent' && use !== undefined)
      use.dependent.invalidate(use.value, this.token).catch(() => {});
    else this.manager.invalidate(this.token.accessToken).catch(() => {});
  }
}
