/**
 * @module test/auth/unit/secret-rotation.property
 * The secret-rotation state machine against a model carrier, over random sequences of carrier
 * changes (which secrets it accepts, whether its token endpoint is down), clock steps and token
 * requests. What must hold whatever the order: a request succeeds whenever the carrier accepts
 * either secret and is up; a rejected next secret is not offered again for five minutes; the
 * current secret is only sent after the next one was rejected or while it waits out that pause;
 * any failure other than a rejected secret is the request's answer, with no fallback; and the
 * status names the secret that worked last.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RETRY_NEXT_SECRET_MS, SecretRotation } from '../../../src/auth/secret-rotation.js';
import { GatewayError } from '../../../src/core/errors.js';

const CURRENT = 'current-secret';
const NEXT = 'next-secret';

type Step =
  | { kind: 'carrier'; accepts: 'current' | 'next' | 'both' | 'none' }
  | { kind: 'down'; down: boolean }
  | { kind: 'wait'; ms: number }
  | { kind: 'request' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('carrier' as const),
    accepts: fc.constantFrom('current' as const, 'next' as const, 'both' as const, 'none' as const),
  }),
  fc.record({ kind: fc.constant('down' as const), down: fc.boolean() }),
  fc.record({
    kind: fc.constant('wait' as const),
    ms: fc.integer({ min: 0, max: 2 * RETRY_NEXT_SECRET_MS }),
  }),
  fc.constant({ kind: 'request' as const }),
);

describe('secret rotation (property)', () => {
  it('keeps tokens coming through any rotation, offers a rejected next secret once per pause, and reports what works', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
        const rotation = new SecretRotation();
        let now = 1_000_000;
        let accepted = new Set([CURRENT]);
        let down = false;
        // The model: what the carrier last said of the next secret, and when it was last offered.
        let verdict: 'untried' | 'rejected' | 'accepted' = 'untried';
        let lastOffer: number | null = null;

        for (const item of steps) {
          if (item.kind === 'carrier') {
            accepted = new Set(
              item.accepts === 'both'
                ? [CURRENT, NEXT]
                : item.accepts === 'none'
                  ? []
                  : [item.accepts === 'next' ? NEXT : CURRENT],
            );
            continue;
          }
          if (item.kind === 'down') {
            down = item.down;
            continue;
          }
          if (item.kind === 'wait') {
            now += item.ms;
            continue;
          }

          const sent: string[] = [];
          const send = async (secret: string | undefined) => {
            sent.push(secret!);
            if (down) throw new GatewayError('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
            if (!accepted.has(secret!)) throw new GatewayError('ERR_TOKEN_INVALID_CLIENT');
            return secret!;
          };
          const outcome = await rotation
            .exchange({ current: CURRENT, next: NEXT }, () => now, send)
            .then(
              (secret) => ({ ok: true as const, secret }),
              (error: unknown) => ({ ok: false as const, error }),
            );

          expect(sent.length).toBeGreaterThanOrEqual(1);
          expect(sent.length).toBeLessThanOrEqual(2);
          if (sent.length === 2) expect(sent).toEqual([NEXT, CURRENT]);
          if (sent[0] === NEXT && verdict === 'rejected') {
            // A rejected next secret is offered again only after the pause.
            expect(now - lastOffer!).toBeGreaterThanOrEqual(RETRY_NEXT_SECRET_MS);
          }
          if (sent[0] === CURRENT) {
            // The current one goes alone only while a rejected next one waits out its pause.
            expect(verdict).toBe('rejected');
            expect(now - lastOffer!).toBeLessThan(RETRY_NEXT_SECRET_MS);
          }
          if (sent[0] === NEXT) lastOffer = now;
          if (down) {
            expect(outcome.ok).toBe(false);
            // A carrier that is down says nothing about the secret: no fallback, no verdict.
            expect(sent).toHaveLength(1);
          } else {
            if (sent[0] === NEXT) verdict = accepted.has(NEXT) ? 'accepted' : 'rejected';
            expect(outcome.ok).toBe(sent.some((secret) => accepted.has(secret)));
          }

          const status = rotation.status({ current: CURRENT, next: NEXT })!;
          expect(status.next).toBe(verdict);
          expect(status.inUse).toBe(verdict === 'accepted' ? 'next' : 'current');
          expect(rotation.inUse({ current: CURRENT, next: NEXT })).toBe(
            verdict === 'accepted' ? NEXT : CURRENT,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('starts over when the configured next secret changes, and says nothing without one', async () => {
    const rotation = new SecretRotation();
    const now = () => 0;
    const rejectNext = async (secret: string | undefined) => {
      if (secret !== CURRENT) throw new GatewayError('ERR_TOKEN_INVALID_CLIENT');
      return secret;
    };
    await rotation.exchange({ current: CURRENT, next: NEXT }, now, rejectNext);
    expect(rotation.status({ current: CURRENT, next: NEXT })).toMatchObject({
      inUse: 'current',
      next: 'rejected',
    });
    expect(rotation.status({ current: CURRENT, next: 'another-next' })).toEqual({
      inUse: 'current',
      next: 'untried',
      nextLastTriedAt: null,
    });
    const sent: (string | undefined)[] = [];
    await rotation.exchange({ current: CURRENT, next: 'another-next' }, now, async (secret) => {
      sent.push(secret);
      return secret;
    });
    expect(sent).toEqual(['another-next']);
    expect(rotation.status({ current: CURRENT, next: undefined })).toBeUndefined();
  });
});
