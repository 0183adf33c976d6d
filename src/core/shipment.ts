/**
 * @module core/shipment
 * The one shipment shape shipping apps send to `POST /v1/shipments`, whatever the carrier. Each
 * carrier's `shipping.ts` maps it onto its own label API. zod names every bad field, and the
 * parsed value (defaults applied, keys in schema order) is what the idempotency fingerprint is
 * taken over, so two bodies that mean the same shipment are the same request.
 */
import { z } from 'zod';

export const SERVICE_LEVELS = ['standard', 'express'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

export const LABEL_FORMATS = ['PDF', 'ZPL'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

const text = (max: number) => z.string().trim().min(1).max(max);

const partySchema = z.strictObject({
  name: text(100),
  company: text(100).optional(),
  street: z.array(text(100)).min(1).max(3),
  city: text(100),
  postalCode: text(20),
  countryCode: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. "DE"'),
  stateCode: text(10).optional(),
  phone: text(30).optional(),
  email: z.email().max(100).optional(),
});
export type Party = z.infer<typeof partySchema>;

const parcelSchema = z.strictObject({
  weightKg: z.number().positive().max(1000),
  lengthCm: z.number().positive().max(1000).optional(),
  widthCm: z.number().positive().max(1000).optional(),
  heightCm: z.number().positive().max(1000).optional(),
});
export type Parcel = z.infer<typeof parcelSchema>;

export const shipmentRequestSchema = z.strictObject({
  /** Preference order; the client's own accounts in configuration order when absent. */
  accounts: z.array(z.string().min(1)).min(1).max(10).optional(),
  service: z.enum(SERVICE_LEVELS),
  shipper: partySchema,
  recipient: partySchema,
  parcels: z.array(parcelSchema).min(1).max(20),
  reference: text(35).optional(),
  labelFormat: z.enum(LABEL_FORMATS).default('PDF'),
});
export type ShipmentRequest = z.infer<typeof shipmentRequestSchema>;

/** A label as the gateway returns it: the carrier's format name and the bytes in base64. */
export interface Label {
  format: string;
  data: string;
}

/** What a carrier created: its tracking numbers and label documents. */
export interface CreatedShipment {
  trackingNumbers: string[];
  labels: Label[];
}

export function isDomestic(shipment: Pick<ShipmentRequest, 'shipper' | 'recipient'>): boolean {
  return shipment.shipper.countryCode === shipment.recipient.countryCode;
}

export function totalWeightKg(shipment: Pick<ShipmentRequest, 'parcels'>): number {
  return shipment.parcels.reduce((sum, parcel) => sum + parcel.weightKg, 0);
}
