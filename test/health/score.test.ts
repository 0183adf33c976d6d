/**
 * @module test/health/score.test
 * The health score moves as src/health/score.ts documents: each input's penalty on its own, the
 * floor at 0, the status thresholds, and the inputs always listed with their penalties so the
 * score explains itself. Also the latency percentile read from the history histogram.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { percentile } from '../../src/health/health-service.js';
import { LATENCY_BOUNDS_MS } from '../../src/health/history.js';
import { computeScore, type ScoreInputs } from '../../src/health/score.js';

const HEALTHY: ScoreInputs = {
  tokenRequests: 10,
  tokenSuccesses: 10,
  refreshLatencyP95Ms: 200,
  refreshLatencyObjectiveMs: 2_000,
  freshRejections: 0,
  lastProbeOk: true,
  breaker: 'closed',
  reauthorizationRequired: false,
  secretExpiresInDays: null,
  certificateExpiresInDays: 300,
  clockSkewMs: 100,
  clockSkewThresholdMs: 30_000,
  tokenQuotaUse: 0.1,
};

const penalty = (inputs: Partial<ScoreInputs>, name: string) =>
  computeScore({ ...HEALTHY, ...inputs }).inputs.find((row) => row.name === name)!.penalty;

describe('health score', () => {
  it('is 100 and healthy when nothing is wrong, with every input listed', () => {
    const score = computeScore(HEALTHY);
    expect(score).toMatchObject({ score: 100, status: 'healthy' });
    expect(score.inputs.map((row) => row.name)).toEqual([
      'tokenSuccessRate',
      'refreshLatencyP95Ms',
      'freshTokenRejections',
      'lastProbe',
      'breaker',
      'reauthorizationRequired',
      'secretExpiresInDays',
      'certificateExpiresInDays',
      'clockSkewMs',
      'tokenQuotaUse',
    ]);
  });

  it('charges each input as documented', () => {
    expect(penalty({ tokenSuccesses: 5 }, 'tokenSuccessRate')).toBe(20);
    expect(penalty({ tokenRequests: 0, tokenSuccesses: 0 }, 'tokenSuccessRate')).toBe(0);
    expect(penalty({ refreshLatencyP95Ms: 3_000 }, 'refreshLatencyP95Ms')).toBe(5);
    expect(penalty({ refreshLatencyP95Ms: 10_000 }, 'refreshLatencyP95Ms')).toBe(10);
    expect(penalty({ freshRejections: 2 }, 'freshTokenRejections')).toBe(10);
    expect(penalty({ freshRejections: 9 }, 'freshTokenRejections')).toBe(20);
    expect(penalty({ lastProbeOk: false }, 'lastProbe')).toBe(25);
    expect(penalty({ lastProbeOk: null }, 'lastProbe')).toBe(0);
    expect(penalty({ breaker: 'open' }, 'breaker')).toBe(40);
    expect(penalty({ breaker: 'half_open' }, 'breaker')).toBe(20);
    expect(penalty({ reauthorizationRequired: true }, 'reauthorizationRequired')).toBe(50);
    expect(penalty({ secretExpiresInDays: 7 }, 'secretExpiresInDays')).toBe(8);
    expect(penalty({ secretExpiresInDays: -1 }, 'secretExpiresInDays')).toBe(15);
    expect(penalty({ certificateExpiresInDays: 14 }, 'certificateExpiresInDays')).toBe(0);
    expect(penalty({ certificateExpiresInDays: 0 }, 'certificateExpiresInDays')).toBe(15);
    expect(penalty({ clockSkewMs: -45_000 }, 'clockSkewMs')).toBe(10);
    expect(penalty({ tokenQuotaUse: 0.85 }, 'tokenQuotaUse')).toBe(10);
  });

  it('is 100 minus the listed penalties, never below 0, and never rises when an input gets worse', () => {
    const inputs = fc.record({
      tokenRequests: fc.integer({ min: 0, max: 100 }),
      successShare: fc.double({ min: 0, max: 1, noNaN: true }),
      refreshLatencyP95Ms: fc.option(fc.integer({ min: 0, max: 20_000 })),
      freshRejections: fc.integer({ min: 0, max: 10 }),
      lastProbeOk: fc.option(fc.boolean()),
      breaker: fc.constantFrom<'closed' | 'open' | 'half_open'>('closed', 'open', 'half_open'),
      reauthorizationRequired: fc.boolean(),
      secretExpiresInDays: fc.option(fc.integer({ min: -5, max: 60 })),
    });
    fc.assert(
      fc.property(inputs, (drawn) => {
        const full: ScoreInputs = {
          ...HEALTHY,
          ...drawn,
          tokenSuccesses: Math.round(drawn.tokenRequests * drawn.successShare),
        };
        const score = computeScore(full);
        const total = score.inputs.reduce((sum, row) => sum + row.penalty, 0);
        expect(score.score).toBe(Math.max(0, 100 - total));
        const worse = computeScore({ ...full, freshRejections: full.freshRejections + 1 });
        expect(worse.score).toBeLessThanOrEqual(score.score);
      }),
    );
  });

  it('says down when the breaker is open or consent is needed, degraded under 80, healthy otherwise', () => {
    expect(computeScore({ ...HEALTHY, breaker: 'open' }).status).toBe('down');
    expect(computeScore({ ...HEALTHY, reauthorizationRequired: true }).status).toBe('down');
    expect(computeScore({ ...HEALTHY, lastProbeOk: false }).status).toBe('degraded');
    expect(computeScore({ ...HEALTHY, tokenSuccesses: 0, lastProbeOk: false }).status).toBe('down');
    expect(computeScore({ ...HEALTHY, clockSkewMs: 60_000 }).status).toBe('healthy');
  });

  it('reads percentiles from the latency histogram as the bucket upper bound', () => {
    const histogram = LATENCY_BOUNDS_MS.map(() => 0);
    expect(percentile(histogram, 0.5)).toBeNull();
    histogram[2] = 90; // ≤ 100 ms
    histogram[6] = 10; // ≤ 1600 ms
    expect(percentile(histogram, 0.5)).toBe(100);
    expect(percentile(histogram, 0.95)).toBe(1_600);
  });
});
