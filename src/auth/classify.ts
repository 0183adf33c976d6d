/**
 * @module auth/classify
 * Turns what a token endpoint did (no connection, no answer, a status, a body) into one typed
 * `GatewayError`. Throttling, bad credentials, a rejected grant and a broken answer must never be
 * confused: they tell an operator to wait, rotate a secret, re-consent or call the carrier.
 */
import type { TokenFailureClass } from '../core/carrier.js';
import type { TokenProfile } from '../core/account.js';
import { transportFate } from '../core/transport-failures.js';
import { GatewayError, type GatewayErrorCode } from '../core/errors.js';
import { readCarrierError } from './error-bodies.js';

const CODE_BY_CLASS: Record<TokenFailureClass, GatewayErrorCode> = {
  invalid_client: 'ERR_TOKEN_INVALID_CLIENT',
  invalid_grant: 'ERR_TOKEN_INVALID_GRANT',
  invalid_scope: 'ERR_TOKEN_INVALID_SCOPE',
  unauthorized_client: 'ERR_TOKEN_UNAUTHORIZED_CLIENT',
  invalid_request: 'ERR_TOKEN_REQUEST_REJECTED',
  throttled: 'ERR_TOKEN_ENDPOINT_THROTTLED',
  server_error: 'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
};

/** Codes worth another attempt after a wait; the rest need a person or new credentials. */
export const RETRYABLE_TOKEN_CODES: ReadonlySet<GatewayErrorCode> = new Set<GatewayErrorCode>([
  'ERR_TOKEN_ENDPOINT_UNREACHABLE',
  'ERR_TOKEN_ENDPOINT_TIMEOUT',
  'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
  'ERR_TOKEN_ENDPOINT_THROTTLED',
]);

export type GrantKind = 'initial' | 'refresh';

/** The failure class an HTTP status implies when the body names none. */
function classFromStatus(status: number): TokenFailureClass | null {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'invalid_client';
  if (status === 403) return 'unauthorized_client';
  if (status >= 400) return 'invalid_request';
  return null;
}

/** RFC 9110 10.2.3: delay-seconds or an HTTP-date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the three HTTP-date forms (RFC 9110 5.6.7) all begin with a day name; V8's lenient
  // Date.parse would otherwise read "1.5" or "-1" as a date in 2001.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export interface HttpOutcome {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

/**
 * Classifies an HTTP answer that is not a usable token. `body` is the parsed JSON (or undefined).
 * A 200 whose body carries an error is its own code, with the carrier's code kept.
 */
export function classifyHttpFailure(
  account: string,
  profile: TokenProfile,
  grant: GrantKind,
  outcome: HttpOutcome,
): GatewayError {
  const carrierError = readCarrierError(profile.errorBodyShape, outcome.body);
  const mapped =
    carrierError === null
      ? undefined
      : ((grant === 'refresh' ? profile.refreshErrorCodes[carrierError.code] : undefined) ??
        profile.errorCodes[carrierError.code]);
  const options = {
    account,
    upstreamStatus: outcome.status,
    ...(carrierError ? { carrierCode: carrierError.code } : {}),
    ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
  };

  if (outcome.status >= 200 && outcome.status < 300) {
    if (carrierError !== null) {
      const implied = mapped ?? 'unknown';
      return new GatewayError('ERR_TOKEN_ERROR_IN_SUCCESS_BODY', undefined, {
        ...options,
        detail: `HTTP ${outcome.status} carrying carrier error ${carrierError.code} (${implied})`,
      }).withUpstreamBody(outcome.body);
    }
    return new GatewayError('ERR_TOKEN_MALFORMED_RESPONSE', undefined, options).withUpstreamBody(
      outcome.body,
    );
  }

  // Throttling and server faults are decided by status first: a 429 is a wait, whatever its body says.
  const statusClass = classFromStatus(outcome.status);
  const failureClass =
    statusClass === 'throttled' || statusClass === 'server_error' ? statusClass : (mapped ?? statusClass);
  const code = failureClass === null ? 'ERR_TOKEN_MALFORMED_RESPONSE' : CODE_BY_CLASS[failureClass];
  const detail = carrierError
    ? `HTTP ${outcome.status}, carrier error ${carrierError.code}`
    : `HTTP ${outcome.status} without a recognised error body`;
  return new GatewayError(code, undefined, { ...options, detail }).withUpstreamBody(outcome.body);
}

/** The class implied by an error-in-200, so retry and reauthorization decisions follow it. */
export function impliedClass(
  profile: TokenProfile,
  grant: GrantKind,
  error: GatewayError,
): TokenFailureClass | null {
  if (error.carrierCode === undefined) return null;
  return (
    (grant === 'refresh' ? profile.refreshErrorCodes[error.carrierCode] : undefined) ??
    profile.errorCodes[error.carrierCode] ??
    null
  );
}

export interface TransportFailure {
  error: GatewayError;
  /** True when the request may have reached the carrier: its outcome is unknown. */
  maybeDelivered: boolean;
}

/** Classifies a failure below HTTP (no answer at all). */
export function classifyTransportFailure(
  account: string,
  cause: unknown,
  timedOut: boolean,
): TransportFailure {
  const fate = transportFate(cause, timedOut);
  const code = fate.code;
  if (!fate.sent) {
    return {
      error: new GatewayError('ERR_TOKEN_ENDPOINT_UNREACHABLE', undefined, {
        account,
        cause,
        detail: `${fate.reason}: ${code}`,
      }),
      maybeDelivered: false,
    };
  }
  if (fate.timedOut) {
    return {
      error: new GatewayError('ERR_TOKEN_ENDPOINT_TIMEOUT', undefined, {
        account,
        cause,
        detail: 'no answer in time',
      }),
      maybeDelivered: true,
    };
  }
  // A reset or a closed socket after the request was written: the carrier may have acted on it.
  return {
    error: new GatewayError('ERR_TOKEN_ENDPOINT_UNREACHABLE', undefined, {
      account,
      cause,
      detail: `connection lost${code ? `: ${code}` : ''}`,
    }),
    maybeDelivered: true,
  };
}
