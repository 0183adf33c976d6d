/**
 * @module test/auth/unit/retry
 * Retry decisions and cooldowns at the token endpoint (src/auth/retry.ts): which codes are worth
 * another attempt, never re-presenting a refresh whose outcome is unknown, Retry-After, full-jitter
 * backoff bounds (as a property) and cooldown growth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RETRYABLE_TOKEN_CODES } from '../../../src/auth/classify.js';
import {
  cooldownMs,
  decideRetry,
  DEFAULT_COOLDOWN_POLICY,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from '../../../src/auth/retry.js';
import { isMaybeDelivered } from '../../../src/auth/token-client.js';
import { ERROR_CODES, GatewayError, type GatewayErrorCode } from '../../../src/core/errors.js';

const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 };

function failure(code: GatewayErrorCode, options: { retryAfterMs?: number; maybeDelivered?: boolean } = {}) {
  const error = new GatewayError(code, undefined, {
    account: 'ups-main',
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
  });
  if (options.maybeDelivered !== undefined) {
    // As exchangeToken marks transport failures: a non-enumerable property on the error.
    Object.defineProperty(error, 'maybeDelivered', { value: options.maybeDelivered, enumerable: false });
  }
  return error;
}

describe('decideRetry', () => {
  const nonRetryable = ERROR_CODES.filter((code) => !RETRYABLE_TOKEN_CODES.has(code));

  it.each(nonRetryable)('does not retry %s', (code) => {
    const decision = decideRetry(failure(code), 'initial', 1, policy, () => 0.5);
    expect(decision).toEqual({ retry: false, reason: `${code} is not retryable`, waitMs: 0 });
  });

  it('retries exactly the transient token-endpoint failures', () => {
    expect([...RETRYABLE_TOKEN_CODES].sort()).toEqual([
      'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
      'ERR_TOKEN_ENDPOINT_THROTTLED',
      'ERR_TOKEN_ENDPOINT_TIMEOUT',
      'ERR_TOKEN_ENDPOINT_UNREACHABLE',
    ]);
    for (const code of RETRYABLE_TOKEN_CODES) {
      expect(decideRetry(failure(code), 'initial', 1, policy, () => 0.5).retry).toBe(true);
    }
  });

  it.each<GatewayErrorCode>(['ERR_TOKEN_ENDPOINT_TIMEOUT', 'ERR_TOKEN_ENDPOINT_UNREACHABLE'])(
    'never retries a refresh that may have been delivered (%s): the refresh token may be spent ([UPS-I90])',
    (code) => {
      const error = failure(code, { maybeDelivered: true });
      expect(isMaybeDelivered(error)).toBe(true);
      expect(Object.keys(error)).not.toContain('maybeDelivered');
      const decision = decideRetry(error, 'refresh', 1, policy, () => 0.5);
      expect(decision.retry).toBe(false);
      expect(decision.reason).toContain('refresh token may be spent');
    },
  );

  it('retries an initial grant that may have been delivered (it holds nothing single-use)', () => {
    const error = failure('ERR_TOKEN_ENDPOINT_TIMEOUT', { maybeDelivered: true });
    expect(decideRetry(error, 'initial', 1, policy, () => 0.5).retry).toBe(true);
  });

  it('retries a refresh that certainly never left (connection refused)', () => {
    const error = failure('ERR_TOKEN_ENDPOINT_UNREACHABLE', { maybeDelivered: false });
    expect(decideRetry(error, 'refresh', 1, policy, () => 0.5).retry).toBe(true);
  });

  it('gives up at maxAttempts', () => {
    const error = failure('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
    expect(decideRetry(error, 'initial', 2, policy, () => 0.5).retry).toBe(true);
    expect(decideRetry(error, 'initial', 3, policy, () => 0.5)).toEqual({
      retry: false,
      reason: 'gave up after 3 attempts',
      waitMs: 0,
    });
  });

  it('honours Retry-After exactly, with no jitter, up to maxRetryAfterMs (USPS 429 Retry-After: 30, [USPS-OAUTH])', () => {
    const throttled = (retryAfterMs: number) => failure('ERR_TOKEN_ENDPOINT_THROTTLED', { retryAfterMs });
    expect(decideRetry(throttled(3_000), 'initial', 1, policy, () => 0.99)).toEqual({
      retry: true,
      reason: 'honouring Retry-After',
      waitMs: 3_000,
    });
    expect(decideRetry(throttled(10_000), 'initial', 1, policy).waitMs).toBe(10_000);
    const tooLong = decideRetry(throttled(30_000), 'initial', 1, policy);
    expect(tooLong.retry).toBe(false);
    expect(tooLong.reason).toContain('30000');
  });

  it('backs off exponentially with full jitter', () => {
    const error = failure('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
    const wide = { ...policy, maxAttempts: 100 };
    expect(decideRetry(error, 'initial', 1, wide, () => 0.5).waitMs).toBe(100);
    expect(decideRetry(error, 'initial', 2, wide, () => 0.5).waitMs).toBe(200);
    expect(decideRetry(error, 'initial', 3, wide, () => 0.5).waitMs).toBe(400);
    expect(decideRetry(error, 'initial', 20, wide, () => 0.5).waitMs).toBe(2_500);
    expect(decideRetry(error, 'initial', 1, wide, () => 0).waitMs).toBe(0);
  });

  it('property: waitMs is in [0, min(max, base * 2^(attempt-1))) for any attempt and random in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.constantFrom<GatewayErrorCode>(...RETRYABLE_TOKEN_CODES),
        (attempt, random, baseDelayMs, maxDelayMs, code) => {
          const bounded = { ...policy, maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs, maxDelayMs };
          const decision = decideRetry(failure(code), 'initial', attempt, bounded, () => random);
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(decision.retry).toBe(true);
          expect(Number.isInteger(decision.waitMs)).toBe(true);
          expect(decision.waitMs).toBeGreaterThanOrEqual(0);
          expect(decision.waitMs).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it('uses the default policy values documented in retry.ts', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 3,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      maxRetryAfterMs: 10_000,
    });
  });
});

describe('cooldownMs', () => {
  const cooldown = { baseMs: 2_000, maxMs: 60_000 };
  const serverError = failure('ERR_TOKEN_ENDPOINT_SERVER_ERROR');

  it('doubles with consecutive failures up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => cooldownMs(serverError, n, cooldown))).toEqual([
      2_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('is never shorter than the carrier Retry-After, even beyond the maximum', () => {
    const throttled = failure('ERR_TOKEN_ENDPOINT_THROTTLED', { retryAfterMs: 30_000 });
    expect(cooldownMs(throttled, 1, cooldown)).toBe(30_000);
    expect(cooldownMs(throttled, 5, cooldown)).toBe(32_000);
    const daily = failure('ERR_TOKEN_ENDPOINT_THROTTLED', { retryAfterMs: 3_600_000 });
    expect(cooldownMs(daily, 1, cooldown)).toBe(3_600_000);
  });

  it('property: monotone in failures, within [base, max] without Retry-After', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), (failures) => {
        const current = cooldownMs(serverError, failures, DEFAULT_COOLDOWN_POLICY);
        expect(current).toBeGreaterThanOrEqual(DEFAULT_COOLDOWN_POLICY.baseMs);
        expect(current).toBeLessThanOrEqual(DEFAULT_COOLDOWN_POLICY.maxMs);
        expect(cooldownMs(serverError, failures + 1, DEFAULT_COOLDOWN_POLICY)).toBeGreaterThanOrEqual(
          current,
        );
      }),
    );
  });
});
