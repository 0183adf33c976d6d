/**
 * @module probes/token
 * The probe's first three steps: get a token, check the answer, check the JWT. A fresh issuance
 * (one exchange through the account's token profile, never stored, never announced) where the
 * carrier tolerates it, so a token endpoint that stopped issuing shows before the shared token
 * runs out; otherwise the shared token the engine serves, checked for being usable now. A fresh
 * token would disturb the shared one where the carrier keeps a single active token per client,
 * rotates refresh tokens, or counts token requests against a tight quota: the carrier's data says
 * so (`probe.freshIssuance`), and so does an account with a refresh token or a configured quota.
 */
import type { Dispatcher } from 'undici';

import type { ConfiguredAccount, JwtExpectations, ResolvedAccount } from '../core/account.js';
import { looksLikeJwt } from '../auth/jwt-checks.js';
import { cooldownError } from '../auth/refresh-bookkeeping.js';
import { requestToken, type TokenEndpointAnswer } from '../auth/token-client.js';
import type { StoredToken, TokenStore } from '../auth/token-store.js';
import { ProbeStepError } from './call.js';

export type TokenMode = 'fresh' | 'shared' | 'static';

export function tokenMode(account: ConfiguredAccount): TokenMode {
  if (account.kind === 'static') return 'static';
  if (account.descriptor.data.probe?.freshIssuance !== true) return 'shared';
  // A refresh token is rotated or at least spent by the account's own flow, and a configured
  // quota means the operator counts every token request: neither is the probe's to spend.
  if (account.token.usesRefreshToken || account.tokenQuotaPerHour !== undefined) return 'shared';
  return 'fresh';
}

/**
 * The token step of a fresh issuance: one request, no retries. During the fleet's cooldown
 * nothing is sent (the engine promises that) and the cooldown's failure is the answer. The
 * request, its classification and the answer's reading are the engine's own
 * (src/auth/token-client.ts); the validation and JWT steps follow with `acceptTokenAnswer` and
 * `jwtExpectations` from there.
 */
export async function requestFreshToken(
  account: ResolvedAccount,
  store: TokenStore,
  options: { now: () => number; dispatcher?: Dispatcher; clientSecret?: string | undefined },
): Promise<TokenEndpointAnswer> {
  const { now } = options;
  const cooldown = (await store.readState(account.id).catch(() => ({ cooldown: undefined }))).cooldown;
  if (cooldown !== undefined && cooldown.until > now()) throw cooldownError(account.id, cooldown, now());
  // The carrier counts it like any other token request.
  await store.countTokenRequest(account.id, now()).catch(() => undefined);
  // During a secret rotation, the secret the engine found working (an untried one is the engine's
  // to try); requestToken reads `clientSecret` only when the key is present.
  return requestToken(account, { kind: 'initial' }, options);
}

/** Whether the JWT step has anything to check: a JWT, or a configured key an opaque token must fail. */
export function jwtApplies(token: string, expect: JwtExpectations): boolean {
  return looksLikeJwt(token) || expect.jwksUrl !== undefined || expect.publicKey !== undefined;
}

/** Anything longer is a unit mistake (src/auth/token-response.ts uses the same bound). */
const MAX_LIFETIME_MS = 31 * 24 * 3600 * 1000;
/** Clocks of one fleet agree to well within this. */
const FUTURE_TOLERANCE_MS = 60_000;

/** The validation step for the shared token: what the engine serves is usable now. */
export function validateStoredToken(token: StoredToken, now: number): string {
  const malformed = (detail: string) => new ProbeStepError('token_endpoint.malformed_response', detail);
  if (typeof token.accessToken !== 'string' || token.accessToken.length === 0)
    throw malformed('the shared token has no access token');
  if (token.tokenType !== 'Bearer') throw malformed('the shared token is not a Bearer token');
  if (token.expiresAt <= now) {
    throw new ProbeStepError(
      'authorization.expired',
      `the shared token expired ${Math.round((now - token.expiresAt) / 1000)} s ago`,
    );
  }
  if (token.obtainedAt > now + FUTURE_TOLERANCE_MS)
    throw malformed('the shared token was obtained in the future');
  if (token.expiresAt - token.obtainedAt > MAX_LIFETIME_MS)
    throw malformed('the shared token claims a lifetime over 31 days');
  return `expires in ${Math.round((token.expiresAt - now) / 1000)} s`;
}

/** The validation step for static credentials: a value to send. */
export function validateStaticCredential(value: string): string {
  if (value.trim().length === 0)
    throw new ProbeStepError('authorization.rejected', 'the static credential is empty');
  return 'static credential present';
}
