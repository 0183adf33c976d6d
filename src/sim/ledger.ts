/**
 * @module sim/ledger
 * The shipments a simulated carrier made, so it can answer what real carriers answer about them
 * afterwards: void or cancel one, find one by the customer's reference, or return the label a
 * deduplicated resend asks for. A test marks a shipment manifested (closed out, picked up) to see
 * the carrier's "too late" answer to a void.
 */
export interface LedgerLabel {
  format: string;
  data: string;
}

export interface LedgerShipment {
  /** Every piece's tracking number; the first also names the shipment where the carrier has one number. */
  trackingNumbers: string[];
  reference?: string;
  /** The carrier idempotency key the label request carried (USPS `X-Idempotency-Key`). */
  idempotencyKey?: string;
  labels: LedgerLabel[];
  /** The client (token owner) whose account made it. */
  clientId?: string;
  state: 'active' | 'voided' | 'manifested';
  createdAtMs: number;
}

export type VoidResult = 'voided' | 'gone' | 'too_late';

export class ShipmentLedger {
  readonly #byTracking = new Map<string, LedgerShipment>();

  /** Every shipment recorded, voided ones included. */
  get all(): LedgerShipment[] {
    return [...new Set(this.#byTracking.values())];
  }

  record(shipment: Omit<LedgerShipment, 'state'>): LedgerShipment {
    const entry: LedgerShipment = { ...shipment, state: 'active' };
    for (const number of shipment.trackingNumbers) this.#byTracking.set(number, entry);
    return entry;
  }

  find(trackingNumber: string): LedgerShipment | undefined {
    return this.#byTracking.get(trackingNumber);
  }

  byReference(reference: string): LedgerShipment[] {
    return this.all.filter((entry) => entry.reference === reference && entry.state !== 'voided');
  }

  byIdempotencyKey(key: string): LedgerShipment | undefined {
    return this.all.find((entry) => entry.idempotencyKey === key);
  }

  /** The carrier closed the day out: a void is now too late. False when unknown. */
  manifest(trackingNumber: string): boolean {
    const entry = this.#byTracking.get(trackingNumber);
    if (!entry) return false;
    entry.state = 'manifested';
    return true;
  }

  void(trackingNumber: string): VoidResult {
    const entry = this.#byTracking.get(trackingNumber);
    if (!entry || entry.state === 'voided') return 'gone';
    if (entry.state === 'manifested') return 'too_late';
    entry.state = 'voided';
    return 'voided';
  }

  /** Shipments made and not voided: what the shipper pays for. */
  get billable(): number {
    return this.all.filter((entry) => entry.state !== 'voided').length;
  }

  clear(): void {
    this.#byTracking.clear();
  }
}
