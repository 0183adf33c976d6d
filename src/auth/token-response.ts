/**
 * @module auth/token-response
 * Accepts or refuses a token endpoint's 2xx answer. A token is accepted only with an
 * `access_token`, a known `token_type`, a sane `expires_in` (number or numeric string) and no
 * error fields; its expiry is computed on the local clock (from the moment the request was
 * sent) and cross-checked with `issued_at` corrected by the skew measured against the carrier's
 * `Date` header, taking whichever ends first.
 */
import type { ResolvedAccount } from '../core/account.js';
import { GatewayError } from '../core/errors.js';
import { classifyHttpFailure, type GrantKind } from './classify.js';

/** A token as the engine keeps it (before a generation is assigned). */
export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Epoch ms on this machine's clock. */
  expiresAt: number;
  obtainedAt: number;
  refreshToken?: string;
  refreshTokenExpiresAt?: number;
  scope?: string;
  /**
   * Dependent tokens only: a digest of what the token was obtained for (the parent's client id
   * and subject, the configured body). Never the parent token itself.
   */
  binding?: string;
}

export interface ResponseTiming {
  sentAt: number;
  receivedAt: number;
  /** The carrier's `Date` header, if any. */
  dateHeader?: string;
}

export interface AcceptedToken {
  token: IssuedToken;
  /** Carrier clock minus ours, in ms, when it could be measured. */
  skewMs?: number;
}

/** Longest lifetime we believe; anything longer is a unit mistake (ms sent as s). */
const MAX_LIFETIME_SECONDS = 31 * 24 * 3600;
const DATE_HEADER_RESOLUTION_MS = 1000;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function malformed(account: string, detail: string, body: unknown): GatewayError {
  return new GatewayError('ERR_TOKEN_MALFORMED_RESPONSE', undefined, { account, detail }).withUpstreamBody(
    body,
  );
}

/**
 * Carrier clock minus ours, from the `Date` header, or undefined without one. The header has
 * one-second resolution (RFC 9110 5.6.7) and the carrier wrote it somewhere between our send
 * and our receive, so only a gap beyond both intervals is skew; the result is the smallest skew
 * consistent with what was seen, never an artefact of truncation.
 */
export function measureSkew(timing: ResponseTiming): number | undefined {
  if (timing.dateHeader === undefined) return undefined;
  const carrierLow = Date.parse(timing.dateHeader);
  if (Number.isNaN(carrierLow)) return undefined;
  const carrierHigh = carrierLow + DATE_HEADER_RESOLUTION_MS - 1;
  if (carrierHigh < timing.sentAt) return carrierHigh - timing.sentAt;
  if (carrierLow > timing.receivedAt) return carrierLow - timing.receivedAt;
  return 0;
}

export function acceptTokenResponse(
  account: ResolvedAccount,
  grant: GrantKind,
  status: number,
  body: unknown,
  timing: ResponseTiming,
): AcceptedToken {
  const profile = account.token;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw malformed(account.id, 'body is not a JSON object', body);
  }
  const fields = body as Record<string, unknown>;
  if ('error' in fields || 'errors' in fields || 'response' in fields) {
    const failure = classifyHttpFailure(account.id, profile, grant, { status, body });
    if (failure.code === 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY') throw failure;
    throw new GatewayError('ERR_TOKEN_ERROR_IN_SUCCESS_BODY', undefined, {
      account: account.id,
      upstreamStatus: status,
      detail: `HTTP ${status} with error fields`,
    }).withUpstreamBody(body);
  }

  const parsed = account.descriptor.tokenResponseSchema?.safeParse(body) ?? { success: true as const };
  if (!parsed.success) {
    // Paths only: the values may be secrets.
    const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw malformed(account.id, where.join('; '), body);
  }

  const accessToken = fields.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw malformed(account.id, 'access_token missing', body);
  }
  // RFC 6749 7.1: token_type is case-insensitive; FedEx sends "bearer" ([FDX-AUTH]).
  if (typeof fields.token_type !== 'string' || fields.token_type.toLowerCase() !== 'bearer') {
    throw malformed(account.id, 'token_type is not Bearer', body);
  }
  const expiresIn = toNumber(fields.expires_in);
  if (expiresIn === undefined || expiresIn <= 0 || expiresIn > MAX_LIFETIME_SECONDS) {
    throw malformed(account.id, 'expires_in missing or not a sane number of seconds', body);
  }

  const skewMs = measureSkew(timing);
  // Counted from when we sent the request: the carrier issued the token no earlier than that,
  // so a slow answer can never make us believe in a token the carrier already expired.
  let expiresAt = timing.sentAt + expiresIn * 1000;
  const issuedAt = toNumber(fields.issued_at);
  if (issuedAt !== undefined && profile.issuedAtUnit !== undefined) {
    const issuedAtMs = profile.issuedAtUnit === 'ms' ? issuedAt : issuedAt * 1000;
    // issued_at is on the carrier's clock; move it onto ours before comparing.
    const issuedLocal = issuedAtMs - (skewMs ?? 0);
    expiresAt = Math.min(expiresAt, issuedLocal + expiresIn * 1000);
  }
  if (expiresAt <= timing.receivedAt) {
    throw malformed(account.id, 'token is already expired by its issued_at', body);
  }

  const token: IssuedToken = {
    accessToken,
    tokenType: 'Bearer',
    expiresAt,
    obtainedAt: timing.receivedAt,
  };
  if (typeof fields.refresh_token === 'string' && fields.refresh_token.length > 0) {
    token.refreshToken = fields.refresh_token;
    const refreshLifetime = toNumber(fields.refresh_token_expires_in);
    if (refreshLifetime !== undefined && refreshLifetime > 0) {
      token.refreshTokenExpiresAt = timing.receivedAt + refreshLifetime * 1000;
    }
  }
  if (typeof fields.scope === 'string') token.scope = fields.scope;
  return skewMs === undefined ? { token } : { token, skewMs };
}
