/**
 * @module upstream/rejection
 * How a carrier API says "this credential is not accepted", read the same way for every call:
 * a dependent token's rejection is one of its statuses without the access token's challenge
 * (USPS: a 401 without `WWW-Authenticate: Bearer`); the access token's (or static key's) is one
 * of the carrier's `api.tokenRejectedStatuses`. A 403 is not a token rejection unless the
 * carrier's data says so: it refuses a permission, which a fresh token does not change, so it is
 * never a reason to ask the token endpoint again.
 */
import type { ConfiguredAccount } from '../core/account.js';

export type Rejection = 'token' | 'dependent';

/** RFC 9110 11.6.1: a challenge of `scheme` among the WWW-Authenticate values. */
export function hasChallenge(value: string | string[] | undefined, scheme: string): boolean {
  if (value === undefined) return false;
  const lower = scheme.toLowerCase();
  return (Array.isArray(value) ? value : [value]).some((entry) =>
    entry.split(',').some((part) => {
      const token = part.trim().toLowerCase();
      return token === lower || token.startsWith(`${lower} `);
    }),
  );
}

/** Which credential the answer refuses, if any. */
export function rejectionOf(
  account: ConfiguredAccount,
  status: number,
  wwwAuthenticate: string | string[] | undefined,
  dependentRule: { statuses: number[]; notChallenge: string } | undefined,
): Rejection | null {
  if (status < 400) return null;
  if (
    dependentRule !== undefined &&
    dependentRule.statuses.includes(status) &&
    !hasChallenge(wwwAuthenticate, dependentRule.notChallenge)
  )
    return 'dependent';
  return account.api.tokenRejectedStatuses.includes(status) ? 'token' : null;
}

/** Which rejections a call may answer by renewing the credential and sending once more. */
export interface RetryPermission {
  token: boolean;
  dependent: boolean;
}

/**
 * Token churn (issue 12, point 1). A carrier that answers 401 whatever the token (a UPS path
 * without `/api/`, a permission the account lacks) would otherwise make every such call ask the
 * token endpoint again, burning the carrier's token quota and, once that endpoint throttles,
 * taking the account down for every client. So a refusal renews the token only when:
 * - the token is not young: a 401 on a token issued moments ago says the request is wrong (its
 *   path, its permission), not that the token expired. It is that request's failure, unless the
 *   same young token is refused on several distinct paths, which no single wrong path explains;
 * - the token was not already replaced: the replacement is taken, nothing is asked for;
 * - the account's fleet-wide renewal budget allows it (one rejection-driven refresh per
 *   interval across every instance). Proactive refreshes and expiry are not counted here: the
 *   invariant is token requests ≤ lifetimes elapsed + this budget.
 */
export interface RejectionSettings {
  /** A token younger than this is never renewed on a refusal. */
  youngTokenMs: number;
  /** At most one rejection-driven refresh per account per this interval, fleet-wide. */
  renewalIntervalMs: number;
  /** Distinct paths a young token must be refused on before the refusal is the token's. */
  distinctPaths: number;
}

export const REJECTION_DEFAULTS: RejectionSettings = {
  youngTokenMs: 30_000,
  renewalIntervalMs: 30_000,
  distinctPaths: 3,
};

/** The fleet-wide budget of rejection-driven refreshes: one per account per window. */
export interface RenewalBudget {
  /** True when this caller may refresh now (and the window starts); false when spent. */
  take(storeId: string, windowMs: number): Promise<boolean>;
}

export class MemoryRenewalBudget implements RenewalBudget {
  readonly #until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(storeId: string, windowMs: number): Promise<boolean> {
    return this.takeNow(storeId, windowMs);
  }

  takeNow(storeId: string, windowMs: number): boolean {
    const now = this.now();
    if ((this.#until.get(storeId) ?? 0) > now) return false;
    this.#until.set(storeId, now + windowMs);
    return true;
  }
}

/** The minimal Redis surface the budget needs (src/platform/redis.ts provides it). */
export interface BudgetRedis {
  keyPrefix: string;
  client: { set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<string | null> };
}

/**
 * `SET renewal:{<account>} 1 NX PX <window>`: whoever sets it refreshes; the key's expiry is the
 * window. The account is the hash tag, the slot of its other token keys. Without Redis (down,
 * or a command failing) each instance keeps its own window: the budget is then per instance.
 */
export class RedisRenewalBudget implements RenewalBudget {
  readonly #fallback: MemoryRenewalBudget;

  constructor(
    private readonly redis: BudgetRedis,
    now: () => number = Date.now,
  ) {
    this.#fallback = new MemoryRenewalBudget(now);
  }

  async take(storeId: string, windowMs: number): Promise<boolean> {
    try {
      const set = await this.redis.client.set(
        `${this.redis.keyPrefix}renewal:{${storeId}}`,
        '1',
        'PX',
        windowMs,
        'NX',
      );
      return set === 'OK';
    } catch {
      return this.#fallback.takeNow(storeId, windowMs);
    }
  }
}

/** What a refusal of the access token means for the token. */
export type RefusalVerdict =
  /** Issued moments ago: the request is wrong, not the token. Nothing is renewed. */
  | 'young'
  /** Another call already replaced it: take the replacement, ask for nothing. */
  | 'replaced'
  /** Old enough to have been dropped by the carrier: renew it, budget permitting. */
  | 'stale';

interface YoungRefusals {
  accessToken: string;
  paths: Set<string>;
}

export class RejectionPolicy {
  readonly settings: RejectionSettings;
  readonly #budget: RenewalBudget;
  readonly #now: () => number;
  /** Per account: the distinct paths its current young token was refused on. */
  readonly #young = new Map<string, YoungRefusals>();

  constructor(
    options: { settings?: Partial<RejectionSettings>; budget?: RenewalBudget; now?: () => number } = {},
  ) {
    this.settings = { ...REJECTION_DEFAULTS, ...options.settings };
    this.#now = options.now ?? Date.now;
    this.#budget = options.budget ?? new MemoryRenewalBudget(this.#now);
  }

  /**
   * Judges a refusal of `refused` (the access token a call carried) on `path`, `current` being
   * the token the account holds now.
   */
  judge(
    accountId: string,
    refused: { accessToken: string; obtainedAt: number },
    current: { accessToken: string } | null,
    path: string,
  ): RefusalVerdict {
    if (current !== null && current.accessToken !== refused.accessToken) return 'replaced';
    if (this.#now() - refused.obtainedAt >= this.settings.youngTokenMs) return 'stale';
    let seen = this.#young.get(accountId);
    if (seen === undefined || seen.accessToken !== refused.accessToken) {
      seen = { accessToken: refused.accessToken, paths: new Set() };
      this.#young.set(accountId, seen);
    }
    // Bounded: once the threshold is reached the set stops growing.
    if (seen.paths.size < this.settings.distinctPaths) seen.paths.add(path);
    return seen.paths.size >= this.settings.distinctPaths ? 'stale' : 'young';
  }

  /** Whether the fleet-wide budget allows one more rejection-driven refresh of `storeId` now. */
  permitRenewal(storeId: string): Promise<boolean> {
    return this.#budget.take(storeId, this.settings.renewalIntervalMs);
  }
}
