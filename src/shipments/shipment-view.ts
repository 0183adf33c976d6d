/**
 * @module shipments/shipment-view
 * The shipment as the API shows it (`GET /v1/shipments/{id}`, `?reference=`), and the stored 201
 * a label answers with, shared by the walk and by in-doubt resolution so a retry replays the same
 * shape whichever of them found the label.
 */
import type { Label } from '../core/shipment.js';
import type { Attempt } from './attempt.js';
import type { StoredResponse } from './idempotency-store.js';
import type { Resolution, ShipmentStatus, StoredShipment } from './shipment-store.js';

export interface ShipmentView {
  id: string;
  status: ShipmentStatus;
  account: string;
  carrier: string;
  reference?: string;
  trackingNumbers: string[];
  labels?: Label[];
  labelsExpired?: true;
  attempts: Attempt[];
  createdAt: string;
  resolution?: Resolution;
  voidedAt?: string;
  voidedBy?: string;
}

export function shipmentView({ record, labels }: StoredShipment): ShipmentView {
  // A label that existed and is no longer kept is `labelsExpired`; one that never existed is [].
  const hadLabels = record.status === 'created' || record.status === 'voided';
  return {
    id: record.id,
    status: record.status,
    account: record.account,
    carrier: record.carrier,
    ...(record.reference !== undefined ? { reference: record.reference } : {}),
    trackingNumbers: record.trackingNumbers,
    ...(labels !== undefined ? { labels } : hadLabels ? { labelsExpired: true as const } : { labels: [] }),
    attempts: record.attempts,
    createdAt: record.createdAt,
    ...(record.resolution !== undefined ? { resolution: record.resolution } : {}),
    ...(record.voided !== undefined ? { voidedAt: record.voided.at, voidedBy: record.voided.by } : {}),
  };
}

/** The 201 of `POST /v1/shipments` for a label, as stored for replays. */
export function createdResponse(input: {
  id: string;
  account: string;
  carrier: string;
  reference?: string;
  trackingNumbers: string[];
  labels: Label[];
  attempts: Attempt[];
}): StoredResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-carrier-account': input.account,
  };
  const skipped = [
    ...new Set(input.attempts.filter((a) => a.account !== input.account).map((a) => a.account)),
  ];
  if (skipped.length > 0) headers['x-failover-from'] = skipped.join(', ');
  const body = {
    id: input.id,
    account: input.account,
    carrier: input.carrier,
    ...(input.reference !== undefined ? { reference: input.reference } : {}),
    trackingNumbers: input.trackingNumbers,
    labels: input.labels,
    attempts: input.attempts,
  };
  return { status: 201, headers, body: JSON.stringify(body) };
}
