/**
 * @module shipments/shipment-metrics
 * Metrics of what happens to shipments after `POST /v1/shipments`: how many are in doubt (fleet-wide,
 * as the last resolver pass on this instance counted them), how resolutions end and how long they
 * took, and how voids end. Registered on the gateway's own registry; labels are bounded sets.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class ShipmentMetrics {
  #inDoubt = 0;
  readonly #resolutions: Counter<'outcome' | 'method'>;
  readonly #resolutionSeconds: Histogram<'outcome'>;
  readonly #voids: Counter<'account' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const inDoubt = () => this.#inDoubt;
    new Gauge({
      name: 'carrier_gateway_shipments_in_doubt',
      help: 'Shipments whose label outcome is unknown and still being resolved (fleet-wide, last count)',
      registers,
      collect() {
        this.set(inDoubt());
      },
    });
    this.#resolutions = new Counter({
      name: 'carrier_gateway_shipment_resolutions_total',
      help: 'In-doubt shipments settled: created (label found), failed (proven absent), unresolved (given up)',
      labelNames: ['outcome', 'method'],
      registers,
    });
    this.#resolutionSeconds = new Histogram({
      name: 'carrier_gateway_shipment_resolution_seconds',
      help: 'Time from the unknown outcome to its resolution',
      labelNames: ['outcome'],
      buckets: [1, 5, 30, 60, 300, 900, 1800, 3600, 4 * 3600],
      registers,
    });
    this.#voids = new Counter({
      name: 'carrier_gateway_shipment_voids_total',
      help: 'Voids by account and outcome (voided, refused, not_offered, unknown)',
      labelNames: ['account', 'outcome'],
      registers,
    });
  }

  inDoubt(count: number): void {
    this.#inDoubt = count;
  }

  resolved(outcome: string, method: string, seconds: number): void {
    this.#resolutions.inc({ outcome, method });
    this.#resolutionSeconds.observe({ outcome }, Math.max(0, seconds));
  }

  voided(account: string, outcome: string): void {
    this.#voids.inc({ account, outcome });
  }
}
