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
import { request, type Dispatcher } from 'undici';

import type { ConfiguredAccount, JwtExpectations, ResolvedAccount } from '../core/account.js';
import { classifyHttpFailure, classifyTransportFailure, parseRetryAfter } from '../auth/classify.js';
import { looksLikeJwt } from '../auth/jwt-checks.js';
import { buildTokenRequest } from '../auth/token-client.js';
import { acceptTokenResponse, type AcceptedToken, type ResponseTiming } from '../auth/token-response.js';
import type { StoredToken, TokenStore } from '../auth/token-store.js';
import { GatewayError } from '../core/errors.js';
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

export interface FreshAnswer {
  status: number;
  body: unknown;
  timing: ResponseTiming;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The token step of a fresh issuance: one request, no retries. During the fleet's cooldown
 * nothing is sent (the engine promises that) and the cooldown's failure is the answer.
 */
export async function requestFreshToken(
  account: ResolvedAccount,
  store: TokenStore,
  options: { now: () => number; dispatcher?: Dispatcher; clientSecret?: string | undefined },
): Promise<FreshAnswer> {
  const { now } = options;
  const cooldown = (await store.readState(account.id).catch(() => ({ cooldown: undefined }))).cooldown;
  if (cooldown !== undefined && cooldown.until > now()) {
    throw new GatewayError(cooldown.code, undefined, {
      account: account.id,
      retryAfterMs: cooldown.until - now(),
      ...(cooldown.carrierCode !== undefined ? { carrierCode: cooldown.carrierCode } : {}),
      detail: `token endpoint cooling down after ${cooldown.failures} failed refresh(es); no request sent`,
    });
  }
  // The carrier counts it like any other token request.
  await store.countTokenRequest(account.id, now()).catch(() => undefined);
  // During a secret rotation, the secret the engine found working (an untried one is the engine's to try).
  const plan = buildTokenRequest(
    account,
    { kind: 'initial' },
    'clientSecret' in options ? options.clientSecret : account.credentials.clientSecret,
  );
  const signal = AbortSignal.timeout(account.token.timeoutMs);
  const sentAt = now();
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await request(plan.url, {
      method: 'POST',
      headers: plan.headers,
      body: plan.body,
      signal,
      ...(options.dispatcher !== undefined ? { dispatcher: options.dispatcher } : {}),
    });
    text = await response.body.text();
  } catch (cause) {
    throw classifyTransportFailure(account.id, cause, signal.aborted).error;
  }
  const receivedAt = now();
  const body = parseJson(text);
  const status = response.statusCode;
  if (status < 200 || status >= 300) {
    const retryAfter = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, receivedAt);
    throw classifyHttpFailure(account.id, account.token, 'initial', {
      status,
      body,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const date = response.headers.date;
  return {
    status,
    body,
    timing: { sentAt, receivedAt, ...(typeof date === 'string' ? { dateHeader: date } : {}) },
  };
}

/** The validation step of a fresh issuance: the answer is a token the engine would accept. */
export function acceptFreshToken(account: ResolvedAccount, answer: FreshAnswer): AcceptedToken {
  if (answer.body === undefined) {
    throw new GatewayError('ERR_TOKEN_MALFORMED_RESPONSE', undefined, {
      account: account.id,
      upstreamStatus: answer.status,
      detail: 'body is not JSON',
    });
  }
  return acceptTokenResponse(account, 'initial', answer.status, answer.body, answer.timing);
}

/**
 * The account's JWT expectations, with the key a carrier sends beside the token (USPS
 * `public_key`) when none is configured, as src/auth/token-client.ts checks a fresh token.
 */
export function freshJwtExpectations(account: ResolvedAccount, body: unknown): JwtExpectations {
  const field = account.token.publicKeyField;
  if (field === undefined || account.jwt.jwksUrl !== undefined || account.jwt.publicKey !== undefined)
    return account.jwt;
  const value = (body as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.length === 0) return account.jwt;
  const pem = value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  return { ...account.jwt, publicKey: pem };
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
