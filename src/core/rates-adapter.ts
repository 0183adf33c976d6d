/**
 * @module core/rates-adapter
 * The shape each carrier's `rates.ts` fills in to take part in `POST /v1/rates`: how the
 * gateway's shipment becomes the carrier's rate request, and how its answer becomes a list of
 * prices. The fan-out, deadlines, breakers, credentials and health are not the adapter's
 * business: `src/rates/` does them the same way for every carrier.
 */
import { z } from 'zod';

import { shipmentRequestSchema, type ShipmentRequest } from './shipment.js';

/** How long the caller waits for the slowest carrier, by default and at most. */
export const RATES_DEADLINE_DEFAULT_MS = 2_000;
export const RATES_DEADLINE_MAX_MS = 10_000;

/**
 * The body of `POST /v1/shipments` with a deadline. `accounts` names the accounts to ask (every
 * one of the client's otherwise); `labelFormat` and `reference` are accepted and play no part.
 */
export const rateRequestSchema = shipmentRequestSchema.extend({
  deadlineMs: z.number().int().min(1).max(RATES_DEADLINE_MAX_MS).default(RATES_DEADLINE_DEFAULT_MS),
});
export type RateRequest = z.infer<typeof rateRequestSchema>;

/** One price as the gateway answers it, whatever the carrier. */
export interface RateQuote {
  /** The carrier's service name (its own wording where it gives one). */
  service: string;
  /** The carrier's own code for the service, as `POST /v1/shipments` would not need it. */
  serviceCode: string;
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** Business days in transit, where the carrier says. */
  estimatedDays?: number;
  /** The date (YYYY-MM-DD) the carrier expects to deliver, where it says. */
  deliveryDate?: string;
}

/** A read request on the wire, relative to the account's API base. */
export interface CarrierReadCall {
  method: 'GET' | 'POST';
  /** Path (and query) under the account's API base URL, without a leading slash. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * How a 2xx answer reads: prices (possibly none: the carrier serves no product for this
 * shipment), or a body the adapter does not understand.
 */
export type RatesAnswer = { kind: 'rated'; rates: RateQuote[] } | { kind: 'unreadable' };

export interface RatesAdapter<Settings = unknown> {
  /** Where the mapping comes from: spec files and documentation pages. */
  sources: string[];
  /**
   * Whether the request needs the account's `shipping` block (the account number a carrier
   * rates for). An account without one answers `not_supported`.
   */
  needsShippingSettings: boolean;
  /** Whether this carrier can price the shipment at all (USPS: domestic only). */
  supports?(shipment: ShipmentRequest): boolean;
  build(draft: { shipment: ShipmentRequest; settings: Settings }): CarrierReadCall;
  read(body: string): RatesAnswer;
  /** The carrier's error code in a non-2xx body; never its message. */
  errorCode(status: number, body: string): string | undefined;
}

/** A business-day count from a carrier's text ("3", "THREE_DAYS"), or undefined. */
const WORDS = ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE', 'TEN'];
export function transitDays(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  if (/^\d{1,3}$/.test(value.trim())) return Number(value.trim());
  const word = /^([A-Z]+)_DAYS?$/.exec(value.trim());
  const index = word ? WORDS.indexOf(word[1]!) : -1;
  return index === -1 ? undefined : index + 1;
}

/** `YYYY-MM-DD` from `YYYYMMDD` or an ISO date-time; undefined otherwise. */
export function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (compact) return `${compact[1]}-${compact[2]}-${compact[3]}`;
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(value);
  return iso ? iso[1] : undefined;
}

/** A money amount from a number or a decimal string; undefined when it is neither. */
export function money(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return undefined;
}
