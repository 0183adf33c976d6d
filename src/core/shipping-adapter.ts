/**
 * @module core/shipping-adapter
 * The shape each carrier's `shipping.ts` fills in to take part in `POST /v1/shipments`: the
 * service codes (a table, as data), the account settings its label API needs (a zod schema,
 * checked at boot), how the gateway's shipment becomes the carrier's request, and how the
 * carrier's answer is read back. Credentials, timeouts, retries, breakers and failover are not
 * the adapter's business: `src/shipments/` does them the same way for every carrier.
 */
import type { z } from 'zod';

import type { CreatedShipment, Label, ServiceLevel, ShipmentRequest } from './shipment.js';
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
  /**
   * Voiding a label it made (`POST /v1/shipments/{id}/void`): the calls and how to read their
   * answers, or what the carrier offers instead when its API has no void. Absent: not described yet.
   */
  void?: VoidSupport<Settings> | VoidNotOffered;
  /**
   * Finding out whether a label exists after an answer was lost (in-doubt resolution): absent
   * when the carrier offers no way to look.
   */
  lookup?: LookupSupport<Settings>;
}

// --- Void and lookup: optional parts of the adapter ------------------------------------------

/** A call on a shipment that exists (void, lookup), relative to the account's API base. */
export interface CarrierCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path (and query) under the account's API base URL, without a leading slash. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a void or a lookup knows about the shipment the carrier made. */
export interface ShipmentAtCarrier<Settings> {
  settings: Settings;
  trackingNumbers: string[];
  /** The request as the label call carried it (kept while its outcome is unknown). */
  shipment?: ShipmentRequest;
  carrierIdempotencyKey: string;
  shipmentId: string;
}

/**
 * How the carrier answered a void call.
 * - voided: the label is cancelled (or the refund requested, where that is the carrier's void);
 * - gone: the carrier no longer has it (deleted or voided before): nothing is left to void;
 * - refused: too late (manifested, picked up, scanned) or otherwise not allowed; `reason` is the
 *   carrier's own words, from which the gateway derives a stable code and a cut-down text for the
 *   client (src/shipments/void-refusal.ts): never passed on as they are;
 * - unreadable: a success status whose body says nothing clear.
 */
export type VoidAnswer =
  | { kind: 'voided' }
  | { kind: 'gone' }
  | { kind: 'refused'; carrierCode?: string; reason: string }
  | { kind: 'unreadable' };

export interface VoidSupport<Settings = unknown> {
  offered: true;
  /** The spec file and operation each call follows. */
  sources: string[];
  /** The calls that void every piece, in order (one per tracking number where the carrier wants that). */
  build(target: ShipmentAtCarrier<Settings>): CarrierCall[];
  read(status: number, body: string): VoidAnswer;
}

export interface VoidNotOffered {
  offered: false;
  /** What the carrier's API offers instead (or that it offers nothing), for the client's problem detail. */
  instead: string;
  sources: string[];
}

/**
 * What a lookup learned.
 * - found: the label exists; the labels are there when the carrier returns them;
 * - absent: the carrier says it has no such shipment;
 * - unknown: the carrier could not say.
 */
export type LookupAnswer =
  | {
      kind: 'found';
      trackingNumbers: string[];
      labels?: Label[];
      /** Why the label images are missing although the carrier offers a way to fetch them. */
      labelsMissing?: string;
    }
  | { kind: 'absent' }
  | { kind: 'unknown' };

/** One label image a recovery call returned; `trackingNumber` when the answer names the piece. */
export interface RecoveredLabel {
  trackingNumber?: string;
  label: Label;
}

/**
 * Fetching the label images of a shipment found by reference, when the search answers with the
 * tracking numbers only (UPS Label Recovery). One call per piece still without its image; an
 * answer may carry the images of several pieces.
 */
export interface LabelRecoverySupport<Settings = unknown> {
  sources: string[];
  build(target: ShipmentAtCarrier<Settings>, trackingNumber: string): CarrierCall;
  /** The images in a 2xx answer; undefined when it holds none that can be read. */
  read(status: number, body: string): RecoveredLabel[] | undefined;
}

export interface LookupSupport<Settings = unknown> {
  /**
   * resend: the label API deduplicates (`idempotencyHeader`), so the label request is sent again
   * with the same key and the answer is the label that exists (or the one now made, once);
   * reference: a search by the reference the label request carried.
   */
  method: 'resend' | 'reference';
  sources: string[];
  /** For `reference`: the search call, or undefined when the request carried nothing to find it by. */
  build?(target: ShipmentAtCarrier<Settings>): CarrierCall | undefined;
  read?(status: number, body: string): LookupAnswer;
  /** For `reference`: how the found shipment's label images are fetched, where the carrier offers it. */
  recover?: LabelRecoverySupport<Settings>;
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
