/**
 * @module auth/retry
 * Whether and when to ask a token endpoint again. Exponential backoff with full jitter (AWS
 * Architecture Blog, "Exponential Backoff And Jitter"), a `Retry-After` floor on 429 and 503
 * (RFC 9110 10.2.3, RFC 6585 4), and no retry of a refresh whose outcome is unknown: a
 * single-use refresh token presented twice revokes the whole token family ([UPS-I90]).
 * Decisions carry a reason so logs can say why.
 */
import type { GatewayError } from '../core/errors.js';
import { RETRYABLE_TOKEN_CODES, type GrantKind } from './classify.js';
import { isMaybeDelivered } from './token-client.js';

export interface RetryPolicy {
  /** Attempts in one refresh, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this ends the refresh and becomes the cooldown instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
};

export interface RetryDecision {
  retry: boolean;
  reason: string;
  waitMs: number;
}

export function decideRetry(
  error: GatewayError,
  grant: GrantKind,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (!RETRYABLE_TOKEN_CODES.has(error.code)) {
    return { retry: false, reason: `${error.code} is not retryable`, waitMs: 0 };
  }
  if (grant === 'refresh' && isMaybeDelivered(error)) {
    return {
      retry: false,
      reason: 'refresh may have reached the carrier; its refresh token may be spent',
      waitMs: 0,
    };
  }
  if (attempt >= policy.maxAttempts) {
    return { retry: false, reason: `gave up after ${attempt} attempts`, waitMs: 0 };
  }
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `Retry-After ${error.retryAfterMs} ms exceeds the retry budget`,
        waitMs: 0,
      };
    }
    return { retry: true, reason: 'honouring Retry-After', waitMs: error.retryAfterMs };
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return { retry: true, reason: `backoff after ${error.code}`, waitMs: Math.floor(random() * ceiling) };
}

export interface CooldownPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_COOLDOWN_POLICY: CooldownPolicy = { baseMs: 2_000, maxMs: 60_000 };

/**
 * How long the fleet leaves a failing endpoint alone after a failed refresh: at least the
 * carrier's Retry-After, growing with consecutive failures.
 */
export function cooldownMs(error: GatewayError, consecutiveFailures: number, policy: CooldownPolicy): number {
  const grown = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, consecutiveFailures - 1));
  return Math.max(grown, error.retryAfterMs ?? 0);
}
