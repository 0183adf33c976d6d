/**
 * @module core/shipping-adapter
 * The shape each carrier's `shipping.ts` fills in to take part in `POST /v1/shipments`: the
 * service codes (a table, as data), the account settings its label API needs (a zod schema,
 * checked at boot), how the gateway's shipment becomes the carrier's request, and how the
 * carrier's answer is read back. Credentials, timeouts, retries, breakers and failover are not
 * the adapter's business: `src/shipments/` does them the same way for every carrier.
 */
import type { z } from 'zod';

import type { CreatedShipment, ServiceLevel, ShipmentRequest } from './shipment.js';
import {
  resolveService,
  ruleViolations,
  type LaneService,
  type RuleViolation,
  type ShipmentRule,
} from './shipment-rules.js';

/** The label request as it goes on the wire, relative to the account's API base. */
export interface ShippingCall {
  method: 'POST';
  /** Path (and query) under the account's API base URL, without a leading slash. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Everything an adapter may use to build one label request. */
export interface ShipmentDraft<Settings> {
  shipment: ShipmentRequest;
  /** The account's `shipping` block, parsed by the adapter's `settingsSchema`. */
  settings: Settings;
  /**
   * A UUID fixed for one `(client, Idempotency-Key)`: a retry of the same shipment carries the
   * same value, so a carrier that deduplicates (USPS `X-Idempotency-Key`) returns the label it made.
   */
  carrierIdempotencyKey: string;
  /** The gateway's shipment id (`shp_…`), for the carrier's customer-reference field where it has one. */
  shipmentId: string;
}

/**
 * How the carrier answered a label request that reached it.
 * - created: the label exists; the response carries it.
 * - rejected: the carrier refused the shipment data (4xx); nothing was created.
 * - unreadable: a success status whose body the adapter cannot read; the label may exist.
 */
export type CarrierAnswer =
  | ({ kind: 'created' } & CreatedShipment)
  | { kind: 'rejected'; carrierCode?: string }
  | { kind: 'unreadable' };

/**
 * Why an account cannot take a shipment, known before any carrier call:
 * - not_supported: the carrier has no service for this lane (or cannot carry it at all): the walk
 *   skips the account, and `reason` says why;
 * - rules_unmet: the shipment lacks what the carrier requires here (a phone, a state, a customs
 *   declaration): each violation names the field, the rule and its source.
 */
export type ShipmentUnfit =
  { kind: 'not_supported'; reason: string } | { kind: 'rules_unmet'; violations: RuleViolation[] };

/** The carrier's error code from an error body, if it has one. Never its message. */
export type CarrierErrorCode = string | undefined;

export interface ShippingAdapter<Settings = unknown> {
  /** Where the mapping comes from: spec files and documentation pages. */
  sources: string[];
  /** Service codes per service level (and, where the carrier splits them, per domestic/international). */
  services: Record<ServiceLevel, { domestic: string; international: string }>;
  /** The account's `shipping` block; an account of this carrier without a valid one cannot ship. */
  settingsSchema: z.ZodType<Settings>;
  /**
   * How the answer's bytes become the string `readSuccess` reads: `latin1` keeps every byte (a
   * multipart answer with a binary label part); default `utf8`.
   */
  answerEncoding?: 'utf8' | 'latin1';
  /** The carrier's own idempotency header, when its label API deduplicates by one. */
  idempotencyHeader?: string;
  /**
   * Whether this carrier can carry the shipment at all (USPS domestic labels only, say). An
   * account that cannot is skipped before anything is sent, and the attempt says why.
   */
  supports?(shipment: ShipmentRequest): boolean;
  /**
   * The carrier's lane and party rules (carriers/<carrier>/rules.ts), checked before anything is
   * sent; undefined when the shipment passes. See `checkShipment`.
   */
  check?(shipment: ShipmentRequest): ShipmentUnfit | undefined;
  build(draft: ShipmentDraft<Settings>): ShippingCall;
  /** Reads a 2xx answer: the label, or `unreadable`. */
  readSuccess(status: number, body: string): CarrierAnswer;
  /** The carrier's error code in a non-2xx body, for the `carrierCode` field; never its message. */
  errorCode(status: number, body: string): CarrierErrorCode;
}

/** The carrier's service code for a shipment. */
export function serviceCode(adapter: Pick<ShippingAdapter, 'services'>, shipment: ShipmentRequest): string {
  const codes = adapter.services[shipment.service];
  return shipment.shipper.countryCode === shipment.recipient.countryCode
    ? codes.domestic
    : codes.international;
}

/** A carrier's lane services and party rules against one shipment: the first thing wrong, or undefined. */
export function checkShipment(
  tables: { lanes: readonly LaneService[]; rules: readonly ShipmentRule[] },
  shipment: ShipmentRequest,
): ShipmentUnfit | undefined {
  const service = resolveService(tables.lanes, shipment);
  if ('refused' in service) return { kind: 'not_supported', reason: service.refused };
  const violations = ruleViolations(tables.rules, shipment);
  return violations.length > 0 ? { kind: 'rules_unmet', violations } : undefined;
}

/** JSON body or undefined, for adapters reading carrier answers. */
export { parseJson } from './json.js';
