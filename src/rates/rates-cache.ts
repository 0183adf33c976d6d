/**
 * @module rates/rates-cache
 * Optional memory cache of one account's prices for one shipment, keyed by the normalized
 * request (the parsed body, defaults applied, without the fields that do not change a price).
 * Off unless `rates.cacheTtlSeconds` is set. Only prices are kept, never an account's failure:
 * a failure says something about now, and the next request should ask again.
 */
import { createHash } from 'node:crypto';

import type { RateQuote, RateRequest } from '../core/rates-adapter.js';

/** Bounded so a flood of distinct shipments cannot grow memory without limit. */
const MAX_ENTRIES = 10_000;

/** The request as far as a price depends on it: no account list, deadline, label format or reference. */
export function rateKey(account: string, request: RateRequest): string {
  const { service, shipper, recipient, parcels } = request;
  return createHash('sha256')
    .update(JSON.stringify([account, service, shipper, recipient, parcels]))
    .digest('base64url');
}

export class RatesCache {
  readonly #entries = new Map<string, { rates: RateQuote[]; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): RateQuote[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.rates;
  }

  set(key: string, rates: RateQuote[]): void {
    if (this.#entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: the oldest entry goes first.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { rates, until: this.now() + this.ttlMs });
  }
}
