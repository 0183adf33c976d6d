/**
 * @module shipments/shipment-status
 * The shipment status machine, in one place: which status a record may take next. Both shipment
 * stores check every write against it (`checkTransition`), so no code path can, say, bring a
 * voided shipment back or turn a failed one (whose Idempotency-Key was freed, so a retry ships
 * anew under a new id) into a created one.
 *
 * - A record starts `created` (the carrier answered with the label) or `unknown` (the answer was
 *   lost).
 * - `unknown` and `resolving` (the resolver is looking) end `created` (found, by the resolver, a
 *   retry on the pinned account, or an operator) or `failed` (proven absent); `resolving` goes
 *   back to `unknown` when the look said nothing; a retry that could not settle it writes
 *   `unknown` again.
 * - `created` may be voided; `voided` and `failed` are final.
 * A status may always be written again (a retry that replays, a second void).
 */
import { GatewayError } from '../core/errors.js';

export const SHIPMENT_STATUSES = ['created', 'voided', 'unknown', 'resolving', 'failed'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const FIRST_STATUSES: readonly ShipmentStatus[] = ['created', 'unknown'];

export const SHIPMENT_TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  unknown: ['unknown', 'resolving', 'created', 'failed'],
  resolving: ['resolving', 'unknown', 'created', 'failed'],
  created: ['created', 'voided'],
  voided: ['voided'],
  failed: ['failed'],
};

/** Whether a record in `from` (undefined: none yet) may be written as `to`. */
export function canTransition(from: ShipmentStatus | undefined, to: ShipmentStatus): boolean {
  return from === undefined ? FIRST_STATUSES.includes(to) : SHIPMENT_TRANSITIONS[from].includes(to);
}

/** Throws on a write the status machine forbids: a bug, never the client's doing. */
export function checkTransition(id: string, from: ShipmentStatus | undefined, to: ShipmentStatus): void {
  if (canTransition(from, to)) return;
  throw new GatewayError('ERR_INTERNAL', undefined, {
    detail: `shipment ${id}: no transition from ${from ?? '(new)'} to ${to}`,
  });
}
