/**
 * @module metrics/read-metrics
 * Metrics of the read operations, `POST /v1/rates` and `/v1/tracking`, named as the shipment
 * metrics are (`carrier_gateway_shipments_total`, `carrier_gateway_shipment_attempts_total`,
 * `carrier_gateway_shipment_duration_seconds`): one count per account asked with its outcome,
 * the carrier's time for the accounts that were called, and each rates answer's time. Labels are
 * account ids, carrier ids and the stable outcome codes of README's "Rates and tracking": bounded.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

type CallLabels = 'account' | 'carrier' | 'outcome';

/** Carrier latency buckets: a tracking look-up is quick; a rate call may run to its deadline (≤ 10 s). */
const CALL_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10];

export class ReadMetrics {
  readonly #rateCalls: Counter<CallLabels>;
  readonly #rateCallSeconds: Histogram<'account' | 'carrier'>;
  readonly #rates: Histogram<string>;
  readonly #trackingCalls: Counter<CallLabels>;
  readonly #trackingCallSeconds: Histogram<'account' | 'carrier'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#rateCalls = new Counter({
      name: 'carrier_gateway_rate_calls_total',
      help: 'Accounts asked by POST /v1/rates, by outcome (rated, cached, or the errors[].code)',
      labelNames: ['account', 'carrier', 'outcome'],
      registers,
    });
    this.#rateCallSeconds = new Histogram({
      name: 'carrier_gateway_rate_call_duration_seconds',
      help: 'Carrier time of each rate call made (a call still out at the deadline counts to the answer)',
      labelNames: ['account', 'carrier'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.#rates = new Histogram({
      name: 'carrier_gateway_rates_duration_seconds',
      help: 'POST /v1/rates answers: time from the request to the answer (at most the deadline)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10],
      registers,
    });
    this.#trackingCalls = new Counter({
      name: 'carrier_gateway_tracking_calls_total',
      help: 'Tracking numbers asked of an account, by outcome (tracked, not_found, not_supported, carrier_rejected, or the unavailable reason)',
      labelNames: ['account', 'carrier', 'outcome'],
      registers,
    });
    this.#trackingCallSeconds = new Histogram({
      name: 'carrier_gateway_tracking_call_duration_seconds',
      help: 'Carrier time of each tracking call made',
      labelNames: ['account', 'carrier'],
      buckets: CALL_BUCKETS,
      registers,
    });
  }

  /** One account of a fan-out; `seconds` only when the carrier was called. */
  rateCall(account: string, carrier: string, outcome: string, seconds: number | undefined): void {
    this.#rateCalls.inc({ account, carrier, outcome });
    if (seconds !== undefined) this.#rateCallSeconds.observe({ account, carrier }, seconds);
  }

  ratesAnswered(seconds: number): void {
    this.#rates.observe(seconds);
  }

  /** One number; `seconds` only when the carrier was called. */
  trackingCall(account: string, carrier: string, outcome: string, seconds: number | undefined): void {
    this.#trackingCalls.inc({ account, carrier, outcome });
    if (seconds !== undefined) this.#trackingCallSeconds.observe({ account, carrier }, seconds);
  }
}
