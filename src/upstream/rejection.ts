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
