/**
 * @module auth/token-store
 * Where tokens and per-account refresh state live: the `TokenStore` contract, with the
 * in-memory store used in embedded mode (one instance, no Redis). The Redis store is in
 * redis-token-store.ts; both keep the same rules, so the token manager has one code path.
 */
import type { GatewayErrorCode } from '../core/errors.js';
import type { IssuedToken } from './token-response.js';

export interface StoredToken extends IssuedToken {
  /** Fencing generation: a write succeeds only when it is newer than what is stored. */
  generation: number;
}

/**
 * `{ ...token, generation }`, the same fields in the same order, built field by field: once the
 * spread ran in optimised code V8 gave each result a hidden class of its own, about 0.5 KB kept
 * with every account's token (10,000 accounts, issue 11).
 */
export function withGeneration(token: IssuedToken, generation: number): StoredToken {
  const stored = {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    obtainedAt: token.obtainedAt,
  } as StoredToken;
  if ('refreshToken' in token) stored.refreshToken = token.refreshToken!;
  if ('refreshTokenExpiresAt' in token) stored.refreshTokenExpiresAt = token.refreshTokenExpiresAt!;
  if ('scope' in token) stored.scope = token.scope!;
  if ('binding' in token) stored.binding = token.binding!;
  stored.generation = generation;
  return stored;
}

export interface CooldownState {
  until: number;
  code: GatewayErrorCode;
  carrierCode?: string;
  failures: number;
}

export interface AccountSharedState {
  reauthorizationRequired?: { since: number; reason: string };
  refreshOutcomeUnknown?: { since: number };
  cooldown?: CooldownState;
}

export type WriteResult = 'written' | 'stale' | 'expired';

/**
 * An authorization request the gateway sent a browser off with (RFC 6749 4.1.1), kept under its
 * `state` until the callback comes back. The PKCE verifier is a secret (RFC 7636 4.1): Redis
 * keeps this record sealed like tokens, and it is never logged.
 */
export interface PendingAuthorization {
  account: string;
  /** The redirect URI sent on /authorize; the code exchange must repeat it (RFC 6749 4.1.3). */
  redirectUri: string;
  codeVerifier?: string;
  /** Who started it (an admin id), for the audit log. */
  startedBy: string;
  createdAt: number;
  /** After this the state is refused as expired. */
  expiresAt: number;
  /**
   * Issue 12, point 9: SHA-256 (base64url) of the nonce in the cookie the start link set in the
   * operator's browser; the callback must carry that cookie.
   */
  browserBinding?: string;
  /** On a start-link record only: the state, and the carrier's authorization URL that carries it. */
  state?: string;
  authorizeUrl?: string;
}

export interface TokenRequestCounts {
  thisHour: number;
  lastHour: number;
}

export interface TokenStore {
  /** True for Redis: other instances see what this store holds. */
  readonly shared: boolean;
  read(account: string): Promise<StoredToken | null>;
  /**
   * A new fencing generation, above `atLeast`: after Redis loses its data the counter restarts,
   * and an instance still holding generation N must not see a newer token labelled below N.
   */
  nextGeneration(account: string, atLeast: number): Promise<number>;
  /** Fenced write: refused ('stale') unless newer than the stored generation, and refused ('expired') for a dead token. */
  write(account: string, token: StoredToken): Promise<WriteResult>;
  /**
   * Marks a refresh token as presented to the carrier. Returns false when it was presented
   * before (by anyone in the fleet): presenting it again would burn the token family.
   */
  claimRefreshToken(
    account: string,
    refreshToken: string,
    purpose: 'refresh' | 'last-resort',
  ): Promise<boolean>;
  readState(account: string): Promise<AccountSharedState>;
  /** `readState` for many accounts at once (ranking a fleet's health), by account. */
  readStates(accounts: readonly string[]): Promise<Map<string, AccountSharedState>>;
  updateState(
    account: string,
    change: Partial<Record<keyof AccountSharedState, unknown | null>>,
  ): Promise<void>;
  countTokenRequest(account: string, now: number): Promise<void>;
  tokenRequestCounts(account: string, now: number): Promise<TokenRequestCounts>;
  /** Tells other instances a newer token exists. */
  announce(account: string, generation: number): Promise<void>;
  /**
   * Removes everything stored for an account (tests, and purge in the operations API) and tells
   * the other instances to forget the token they hold in memory.
   */
  purge(account: string): Promise<void>;
  /**
   * Keeps a pending authorization under its `state` for `retainMs` (at least until it expires, so
   * an expired state can be told apart from an unknown one).
   */
  saveAuthorization(state: string, pending: PendingAuthorization, retainMs: number): Promise<void>;
  /**
   * Returns and deletes the pending authorization in one step: of any number of callbacks with
   * the same state, across the fleet, exactly one gets it (RFC 6749 10.12; RFC 9700 4.7).
   */
  takeAuthorization(state: string): Promise<PendingAuthorization | null>;
}

export const HOUR_MS = 3_600_000;

export function hourBucket(now: number): number {
  return Math.floor(now / HOUR_MS);
}

/** Single-instance store for embedded mode. */
export class MemoryTokenStore implements TokenStore {
  readonly shared = false;
  readonly #tokens = new Map<string, StoredToken>();
  readonly #generations = new Map<string, number>();
  readonly #claims = new Set<string>();
  readonly #states = new Map<string, AccountSharedState>();
  readonly #counts = new Map<string, number>();
  readonly #authorizations = new Map<string, { pending: PendingAuthorization; dropAt: number }>();

  /** `now` is the clock tokens are judged dead by (the token manager's, in tests with a fake clock). */
  constructor(private readonly now: () => number = Date.now) {}

  async read(account: string): Promise<StoredToken | null> {
    return this.#tokens.get(account) ?? null;
  }

  async nextGeneration(account: string, atLeast: number): Promise<number> {
    const next = Math.max(this.#generations.get(account) ?? 0, atLeast) + 1;
    this.#generations.set(account, next);
    return next;
  }

  async write(account: string, token: StoredToken): Promise<WriteResult> {
    const current = this.#tokens.get(account);
    if (current && current.generation >= token.generation) return 'stale';
    if (token.expiresAt <= this.now()) return 'expired';
    this.#tokens.set(account, token);
    return 'written';
  }

  async claimRefreshToken(
    account: string,
    refreshToken: string,
    purpose: 'refresh' | 'last-resort',
  ): Promise<boolean> {
    const key = `${account}\u0000${purpose}\u0000${refreshToken}`;
    if (this.#claims.has(key)) return false;
    this.#claims.add(key);
    return true;
  }

  async readState(account: string): Promise<AccountSharedState> {
    return { ...(this.#states.get(account) ?? {}) };
  }

  async readStates(accounts: readonly string[]): Promise<Map<string, AccountSharedState>> {
    return new Map(accounts.map((account) => [account, { ...(this.#states.get(account) ?? {}) }]));
  }

  async updateState(
    account: string,
    change: Partial<Record<keyof AccountSharedState, unknown | null>>,
  ): Promise<void> {
    const state: Record<string, unknown> = { ...(this.#states.get(account) ?? {}) };
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete state[key];
      else state[key] = value;
    }
    this.#states.set(account, state as AccountSharedState);
  }

  async countTokenRequest(account: string, now: number): Promise<void> {
    const hour = hourBucket(now);
    const key = `${account}:${hour}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    // Only this hour and the last are ever read.
    this.#counts.delete(`${account}:${hour - 2}`);
  }

  async tokenRequestCounts(account: string, now: number): Promise<TokenRequestCounts> {
    const hour = hourBucket(now);
    return {
      thisHour: this.#counts.get(`${account}:${hour}`) ?? 0,
      lastHour: this.#counts.get(`${account}:${hour - 1}`) ?? 0,
    };
  }

  async announce(): Promise<void> {}

  async purge(account: string): Promise<void> {
    this.#tokens.delete(account);
    this.#states.delete(account);
  }

  async saveAuthorization(state: string, pending: PendingAuthorization, retainMs: number): Promise<void> {
    const now = this.now();
    // Few and short-lived: swept whenever a new one arrives.
    for (const [key, entry] of this.#authorizations)
      if (entry.dropAt <= now) this.#authorizations.delete(key);
    this.#authorizations.set(state, { pending: { ...pending }, dropAt: now + retainMs });
  }

  async takeAuthorization(state: string): Promise<PendingAuthorization | null> {
    const entry = this.#authorizations.get(state);
    this.#authorizations.delete(state);
    return entry === undefined || entry.dropAt <= this.now() ? null : entry.pending;
  }
}
