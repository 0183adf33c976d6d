/**
 * @module test/metrics/hot-series
 * The pass-through's own counter and histogram expose exactly what prom-client's would for the
 * same observations (same lines, labels, escaping and order), since dashboards and alerts read
 * them by name; and a registry reset zeroes them as it zeroes prom-client's.
 */
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import {
  HotCounter,
  HotHistogram,
  type CounterSeries,
  type HistogramSeries,
} from '../../src/metrics/hot-series.js';

/** The caller holds its series, made once per label set (as the gateway's metrics do per account). */
function held<S>(make: (labels: Record<string, string>) => S) {
  const series = new Map<string, S>();
  return (labels: Record<string, string>): S => {
    const key = JSON.stringify(labels);
    let found = series.get(key);
    if (found === undefined) {
      found = make(labels);
      series.set(key, found);
    }
    return found;
  };
}

const BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ACCOUNTS = ['ups-main', 'fedex "eu"', 'dhl\\de'];
const STATUSES = [200, 404, 503];

describe('hot series', () => {
  it('writes the same exposition as prom-client for any observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            account: fc.constantFrom(...ACCOUNTS),
            status: fc.constantFrom(...STATUSES),
            ok: fc.boolean(),
            seconds: fc.oneof(fc.constantFrom(...BOUNDS), fc.double({ min: 0, max: 20, noNaN: true })),
          }),
          { maxLength: 60 },
        ),
        async (observations) => {
          const theirs = new Registry();
          const ours = new Registry();
          const counter = new Counter({
            name: 'calls_total',
            help: 'calls',
            labelNames: ['account', 'outcome'],
            registers: [theirs],
          });
          const histogram = new Histogram({
            name: 'call_seconds',
            help: 'call time',
            labelNames: ['account', 'status'],
            buckets: BOUNDS,
            registers: [theirs],
          });
          const hotCounter = new HotCounter('calls_total', 'calls', ours);
          const hotHistogram = new HotHistogram('call_seconds', 'call time', ours, BOUNDS);
          const calls = held<CounterSeries>((labels) => hotCounter.add(labels));
          const times = held<HistogramSeries>((labels) => hotHistogram.add(labels));
          for (const { account, status, ok, seconds } of observations) {
            const outcome = ok ? 'ok' : 'failed';
            counter.inc({ account, outcome });
            histogram.observe({ account, status: String(status) }, seconds);
            calls({ account, outcome }).value += 1;
            hotHistogram.observe(times({ account, status: String(status) }), seconds);
          }
          expect(await ours.metrics()).toBe(await theirs.metrics());
          theirs.resetMetrics();
          ours.resetMetrics();
          expect(await ours.metrics()).toBe(await theirs.metrics());
          // Counted again after the reset: back in the exposition, from zero.
          counter.inc({ account: 'ups-main', outcome: 'ok' });
          histogram.observe({ account: 'ups-main', status: '200' }, 0.2);
          calls({ account: 'ups-main', outcome: 'ok' }).value += 1;
          hotHistogram.observe(times({ account: 'ups-main', status: '200' }), 0.2);
          expect(await ours.metrics()).toBe(await theirs.metrics());
        },
      ),
      { numRuns: 100 },
    );
  });
});
