/**
 * @module metrics/registry
 * The gateway's Prometheus metrics (prom-client), one registry per gateway instance so that
 * several gateways in one process (tests) do not share counters. Label values are account ids,
 * outcomes and stable codes: bounded sets, never a token or a carrier's message.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { AuthBreakers, BreakerStateName, BreakerTransition } from '../breaker/auth-breaker.js';
import type { HealthEvent, HealthRecorder } from '../health/recorder.js';
import { HotCounter, HotHistogram, type CounterSeries, type HistogramSeries } from './hot-series.js';

/** The health service's last scores; only accounts that were scored have one. */
interface ScoreSource {
  scoredAccounts(): Iterable<string>;
  lastScore(account: string): { score: number } | undefined;
}

/** One account's pass-through series, found without building a label key per request. */
interface ProxiedSeries {
  ok: CounterSeries | undefined;
  /** Made at the account's first failed answer: most accounts never have one. */
  failed: Map<string, CounterSeries> | undefined;
  /** The answer time of the account's first status; most accounts only ever answer one. */
  status: number;
  seconds: HistogramSeries | undefined;
  /** Any other status's, made when one first comes. */
  otherStatuses: Map<number, HistogramSeries> | undefined;
}

/** Period of the event-loop lag sampler behind `nodejs_eventloop_lag_*`. */
export const EVENT_LOOP_SAMPLE_MS = 100;

const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2 };

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #breakerTransitions: Counter<'account' | 'from' | 'to' | 'cause'>;
  readonly #shipments: Counter<'status'>;
  readonly #shipmentSeconds: Histogram<'status'>;
  readonly #attempts: Counter<'account' | 'outcome'>;
  readonly #failovers: Counter<'from' | 'to'>;
  #scores: ScoreSource | undefined;

  constructor(breakers: AuthBreakers, recorder?: HealthRecorder) {
    const registers = [this.registry];
    // prom-client's process metrics (CPU, memory, event-loop lag, handles, GC), on this registry.
    // The lag histogram samples the loop with a libuv timer of this period: prom-client's 10 ms
    // wakes an idle instance 100 times a second, about 1 % of a core on its own (issue 11 asks
    // for at most 1 % in all). A 100 ms period still sees every stall longer than that.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    new Gauge({
      name: 'carrier_gateway_breaker_state',
      help: 'Auth breaker state as this instance knows it: 0 closed, 1 half-open, 2 open',
      labelNames: ['account'],
      registers,
      // Only accounts with a breaker record or counted outcomes: a label child per configured
      // account would cost memory and scrape size for accounts that never saw traffic (closed).
      collect() {
        for (const account of breakers.accounts())
          this.set({ account }, BREAKER_STATE_VALUE[breakers.state(account).state]);
      },
    });
    const scores = () => this.#scores;
    new Gauge({
      name: 'carrier_gateway_health_score',
      help: 'Health score 0-100 of each account, as last reported on this instance',
      labelNames: ['account'],
      registers,
      collect() {
        for (const account of scores()?.scoredAccounts() ?? []) {
          const last = scores()?.lastScore(account);
          if (last) this.set({ account }, last.score);
        }
      },
    });
    this.#breakerTransitions = new Counter({
      name: 'carrier_gateway_breaker_transitions_total',
      help: 'Auth breaker state changes seen by this instance, with their cause',
      labelNames: ['account', 'from', 'to', 'cause'],
      registers,
    });
    this.#shipments = new Counter({
      name: 'carrier_gateway_shipments_total',
      help: 'POST /v1/shipments answers by HTTP status',
      labelNames: ['status'],
      registers,
    });
    this.#shipmentSeconds = new Histogram({
      name: 'carrier_gateway_shipment_duration_seconds',
      help: 'POST /v1/shipments latency by HTTP status',
      labelNames: ['status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#attempts = new Counter({
      name: 'carrier_gateway_shipment_attempts_total',
      help: 'Shipment attempts per account and outcome (created, breaker_open, token_rejected, ...)',
      labelNames: ['account', 'outcome'],
      registers,
    });
    this.#failovers = new Counter({
      name: 'carrier_gateway_failovers_total',
      help: 'Shipments made at another account than the first one tried',
      labelNames: ['from', 'to'],
      registers,
    });
    const tokenRequests = new Counter({
      name: 'carrier_gateway_token_requests_total',
      help: 'Token requests to carriers by account, outcome and failure class',
      labelNames: ['account', 'outcome', 'class'],
      registers,
    });
    const refreshSeconds = new Histogram({
      name: 'carrier_gateway_token_request_duration_seconds',
      help: 'Token request latency by account',
      labelNames: ['account'],
      buckets: [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4],
      registers,
    });
    const probes = new Counter({
      name: 'carrier_gateway_probes_total',
      help: 'Synthetic probe results by account, outcome and failure class',
      labelNames: ['account', 'outcome', 'class'],
      registers,
    });
    const proxied = new HotCounter(
      'carrier_gateway_proxied_requests_total',
      'Requests passed through to carriers by account and outcome (failure class when failed)',
      this.registry,
    );
    const proxiedSeconds = new HotHistogram(
      'carrier_gateway_proxied_request_duration_seconds',
      'Carrier answer time (to its headers) of passed-through requests by account and status',
      this.registry,
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    // Proxied answers are the hot path: each account's series are found by account, then by
    // outcome or status, with no label set converted or hashed per request (src/metrics/hot-series.ts).
    const proxiedSeries = new Map<string, ProxiedSeries>();
    const proxiedOf = (account: string): ProxiedSeries => {
      let found = proxiedSeries.get(account);
      if (found === undefined) {
        found = { ok: undefined, failed: undefined, status: 0, seconds: undefined, otherStatuses: undefined };
        proxiedSeries.set(account, found);
      }
      return found;
    };
    const secondsOf = (series: ProxiedSeries, account: string, status: number): HistogramSeries => {
      if (series.seconds === undefined) {
        series.status = status;
        series.seconds = proxiedSeconds.add({ account, status: String(status) });
      }
      if (series.status === status) return series.seconds;
      series.otherStatuses ??= new Map();
      let seconds = series.otherStatuses.get(status);
      if (seconds === undefined) {
        seconds = proxiedSeconds.add({ account, status: String(status) });
        series.otherStatuses.set(status, seconds);
      }
      return seconds;
    };
    recorder?.on('event', (event: HealthEvent) => {
      if (event.source === 'api') {
        const { account } = event;
        const series = proxiedOf(account);
        if (event.ok) {
          series.ok ??= proxied.add({ account, outcome: 'ok', class: '' });
          series.ok.value += 1;
        } else {
          const failureClass = event.failureClass ?? '';
          series.failed ??= new Map();
          let failed = series.failed.get(failureClass);
          if (failed === undefined) {
            failed = proxied.add({ account, outcome: 'failed', class: failureClass });
            series.failed.set(failureClass, failed);
          }
          failed.value += 1;
        }
        const { status, latencyMs } = event;
        if (status !== undefined && latencyMs !== undefined)
          proxiedSeconds.observe(secondsOf(series, account, status), latencyMs / 1000);
        return;
      }
      const labels = {
        account: event.account,
        outcome: event.ok ? 'ok' : 'failed',
        class: event.failureClass ?? '',
      };
      if (event.source === 'token') {
        tokenRequests.inc(labels);
        if (event.latencyMs !== undefined)
          refreshSeconds.observe({ account: event.account }, event.latencyMs / 1000);
      } else if (event.source === 'probe') probes.inc(labels);
    });
    breakers.on('transition', (transition: BreakerTransition) =>
      this.#breakerTransitions.inc({
        account: transition.account,
        from: transition.from,
        to: transition.to,
        cause: transition.cause,
      }),
    );
  }

  /** Where the health score gauge reads from (the health service is built after the metrics). */
  readScoresFrom(source: ScoreSource): void {
    this.#scores = source;
  }

  shipmentAnswered(status: number, seconds: number): void {
    this.#shipments.inc({ status: String(status) });
    this.#shipmentSeconds.observe({ status: String(status) }, seconds);
  }

  attempt(account: string, outcome: string): void {
    this.#attempts.inc({ account, outcome });
  }

  failover(from: string, to: string): void {
    this.#failovers.inc({ from, to });
  }
}
