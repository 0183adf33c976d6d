/**
 * @module metrics/hot-series
 * A counter and a histogram for the pass-through's per-call metrics. prom-client converts,
 * validates and hashes the label set on every `inc` and `observe`, a child from `labels()`
 * included: the largest cost the metrics put on a proxied call (docs/benchmarks.md run 19). Here a
 * caller makes each series once, holds it and adds to plain numbers; the registry reads them at
 * scrape time through prom-client's own metric interface (`get()`), so the text exposition, the
 * label escaping and the default labels are prom-client's. A series is a few numbers in a list,
 * with no key string or map entry of its own: at 10,000 accounts each is held once per account
 * (docs/benchmarks.md run 22).
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

export interface HistogramSeries {
  readonly labels: Labels;
  /**
   * Observations per bucket (not cumulative); one more than the bounds, for +Inf. Small
   * integers in a plain array: a typed array would add an ArrayBuffer and its native store.
   */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Labels;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's registry reads from a metric (its `get()` result). */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

abstract class HotMetric<S> {
  readonly aggregator = 'sum' as const;
  /** Every series, in the order made (the exposition's order). */
  protected readonly all: S[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // prom-client's registry needs only `name`, `get()` and `reset()` of a metric.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** A new series for `labels`, which the caller keeps: one per label set, never made twice. */
  add(labels: Labels): S {
    const series = this.create(labels);
    this.all.push(series);
    return series;
  }

  protected abstract create(labels: Labels): S;
  abstract get(): Promise<MetricSnapshot>;
  abstract reset(): void;
}

export class HotCounter extends HotMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    // A series is made by its first increment, so zero means reset: prom-client shows none then.
    for (const series of this.all)
      if (series.value !== 0) values.push({ labels: series.labels, value: series.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series: hidden from the exposition until counted again, as prom-client's reset. */
  reset(): void {
    for (const series of this.all) series.value = 0;
  }
}

export class HotHistogram extends HotMetric<HistogramSeries> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    registry: Registry,
    readonly bounds: readonly number[],
  ) {
    super(name, help, registry);
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, counts: Array.from({ length: this.bounds.length + 1 }, () => 0), sum: 0, count: 0 };
  }

  observe(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    series.counts[index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.all) {
      if (series.count === 0) continue;
      let cumulative = 0;
      for (const [index, bound] of this.bounds.entries()) {
        cumulative += series.counts[index]!;
        values.push({
          labels: { le: String(bound) },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucket,
        });
      }
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: series.labels,
        value: series.count,
        metricName: bucket,
      });
      values.push({
        labels: {},
        sharedLabels: series.labels,
        value: series.sum,
        metricName: `${this.name}_sum`,
      });
      values.push({
        labels: {},
        sharedLabels: series.labels,
        value: series.count,
        metricName: `${this.name}_count`,
      });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const series of this.all) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
