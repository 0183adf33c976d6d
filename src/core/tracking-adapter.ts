/**
 * @module core/tracking-adapter
 * The shape each carrier's `tracking.ts` fills in to take part in `GET /v1/tracking/{number}`:
 * the request for one number, and how the carrier's answer becomes the gateway's events and one
 * of its statuses. The carrier's raw codes are kept on every event; the table from raw code to
 * status is data, each row cited to the carrier's spec.
 */
import type { CarrierReadCall } from './rates-adapter.js';

export const TRACKING_STATUSES = [
  'pre_transit',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'available_for_pickup',
  'returned',
  'exception',
  'unknown',
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/**
 * How far along a parcel is, for "a status never goes backwards". An exception sits with
 * in-transit (a parcel recovers from one and moves on); waiting at a pickup point is as far as
 * out for delivery; delivered and returned end the journey. `unknown` says nothing and never
 * replaces what is known.
 */
export const STATUS_PROGRESS: Readonly<Record<TrackingStatus, number>> = {
  unknown: 0,
  pre_transit: 1,
  in_transit: 2,
  exception: 2,
  out_for_delivery: 3,
  available_for_pickup: 3,
  delivered: 4,
  returned: 4,
};

export interface TrackingEvent {
  /** ISO 8601, with the carrier's offset where it gives one. */
  at: string;
  status: TrackingStatus;
  description: string;
  location?: string;
  /** The carrier's own code for the event, unchanged. */
  carrierCode: string;
}

/** What one carrier answer says about one number. */
export interface TrackingResult {
  trackingNumber: string;
  status: TrackingStatus;
  /** Newest first. */
  events: TrackingEvent[];
  estimatedDelivery?: string;
  signedBy?: string;
}

export type TrackingAnswer =
  | { kind: 'tracked'; result: TrackingResult }
  /** The carrier knows no such number (in a 2xx or a 404 with its own body). */
  | { kind: 'not_found'; carrierCode?: string }
  | { kind: 'unreadable' };

export interface TrackingAdapter {
  sources: string[];
  /** The raw code → gateway status tables this adapter reads with, each citing its source. */
  statusTables: StatusTable[];
  build(trackingNumber: string): CarrierReadCall;
  /** Reads an answer: 2xx, and a 404 where the carrier says "not found" with its own body. */
  read(status: number, body: string, trackingNumber: string): TrackingAnswer;
  errorCode(status: number, body: string): string | undefined;
}

/**
 * A carrier's mapping, as data: raw code → status, where the codes come from, and which of them
 * no saved spec documents (listed in docs/carriers/unverified.md, checked by a test).
 */
export interface StatusTable {
  /** What the codes are (e.g. "UPS Status.type"). */
  name: string;
  source: string;
  codes: Readonly<Record<string, TrackingStatus>>;
  unverified: readonly string[];
}

/** The status a raw code maps to; `unknown` for a code the table does not hold. */
export function statusOf(table: StatusTable, code: string | undefined): TrackingStatus {
  if (code === undefined) return 'unknown';
  return table.codes[code] ?? table.codes[code.toUpperCase()] ?? 'unknown';
}

/** Events newest first; events without a readable time keep their order at the end. */
export function newestFirst(events: TrackingEvent[]): TrackingEvent[] {
  return events
    .map((event, index) => ({ event, index, time: Date.parse(event.at) }))
    .sort((a, b) => {
      const ta = Number.isNaN(a.time) ? -Infinity : a.time;
      const tb = Number.isNaN(b.time) ? -Infinity : b.time;
      return tb - ta || a.index - b.index;
    })
    .map(({ event }) => event);
}
