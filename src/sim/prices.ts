/**
 * @module sim/prices
 * Made-up but stable prices for the simulators' rate APIs: the same shipment always costs the
 * same, heavier costs more, faster costs more. Nothing here is a carrier's tariff.
 */

/** One simulated service: the carrier's code and name, a base price, a price per kg, days in transit. */
export interface SimService {
  code: string;
  name: string;
  base: number;
  perKg: number;
  days: number;
}

export function simPrice(service: SimService, weightKg: number): number {
  return Math.round((service.base + service.perKg * Math.max(weightKg, 0.1)) * 100) / 100;
}

/** The date `days` business days after `from`, as YYYY-MM-DD (Saturdays and Sundays skipped). */
export function businessDaysAfter(from: number, days: number): string {
  const date = new Date(from);
  let left = days;
  while (left > 0) {
    date.setUTCDate(date.getUTCDate() + 1);
    const day = date.getUTCDay();
    if (day !== 0 && day !== 6) left -= 1;
  }
  return date.toISOString().slice(0, 10);
}
