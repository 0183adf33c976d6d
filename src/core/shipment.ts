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
const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. "DE"');

const partySchema = z.strictObject({
  name: text(100),
  company: text(100).optional(),
  street: z.array(text(100)).min(1).max(3),
  city: text(100),
  postalCode: text(20),
  countryCode,
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

/** What the parcel holds, for the customs declaration (CN23, commercial invoice, export declaration). */
export const CUSTOMS_CONTENTS = ['merchandise', 'documents', 'gift', 'sample', 'return'] as const;
export type CustomsContents = (typeof CUSTOMS_CONTENTS)[number];

/** Incoterms 2020, the terms of sale every carrier's customs block takes by these three letters. */
export const INCOTERMS = [
  'EXW',
  'FCA',
  'CPT',
  'CIP',
  'DAP',
  'DPU',
  'DDP',
  'FAS',
  'FOB',
  'CFR',
  'CIF',
] as const;

const customsItemSchema = z.strictObject({
  /** What the goods are, plainly ("cotton T-shirts"); each carrier's length limit is a rule of its own. */
  description: text(200),
  quantity: z.number().int().positive().max(99_999),
  /** The value of one unit, in `currency`. */
  unitValue: z.number().positive().max(99_999_999),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code in capitals, e.g. "EUR"'),
  /** The net weight of one unit. */
  weightKg: z.number().positive().max(1000),
  /** Harmonized System code: 6 to 10 digits, no dots. */
  hsCode: z
    .string()
    .regex(/^\d{6,10}$/, 'a Harmonized System code of 6 to 10 digits, without dots')
    .optional(),
  originCountry: countryCode,
});
export type CustomsItem = z.infer<typeof customsItemSchema>;

const customsSchema = z
  .strictObject({
    contents: z.enum(CUSTOMS_CONTENTS),
    incoterm: z.enum(INCOTERMS).default('DAP'),
    invoiceNumber: text(35).optional(),
    items: z.array(customsItemSchema).min(1).max(99),
  })
  .refine((customs) => new Set(customs.items.map((item) => item.currency)).size === 1, {
    path: ['items'],
    message: 'every item in one currency: a declaration has one invoice currency',
  });
export type Customs = z.infer<typeof customsSchema>;

export const shipmentRequestSchema = z.strictObject({
  /** Preference order; the client's own accounts in configuration order when absent. */
  accounts: z.array(z.string().min(1)).min(1).max(10).optional(),
  service: z.enum(SERVICE_LEVELS),
  shipper: partySchema,
  recipient: partySchema,
  parcels: z.array(parcelSchema).min(1).max(20),
  reference: text(35).optional(),
  /**
   * The customs declaration, for shipments that cross a customs border. Whether a carrier needs it
   * on a lane is one of its rules (carriers/<carrier>/rules.ts), checked before any call.
   */
  customs: customsSchema.optional(),
  labelFormat: z.enum(LABEL_FORMATS).default('PDF'),
  /**
   * What happens when a label call's outcome is unknown: `none` (default) answers 502 and resolves
   * it in the background; `after-resolution` resolves it at once (bounded) and, if the label is
   * proven absent, goes on to the next account. Never a second label.
   */
  failover: z.enum(['none', 'after-resolution']).default('none'),
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

/** The declared value of the whole shipment (every item's units), rounded to cents. */
export function customsValue(customs: Pick<Customs, 'items'>): number {
  return Math.round(customs.items.reduce((sum, item) => sum + item.quantity * item.unitValue, 0) * 100) / 100;
}

export function totalWeightKg(shipment: Pick<ShipmentRequest, 'parcels'>): number {
  return shipment.parcels.reduce((sum, parcel) => sum + parcel.weightKg, 0);
}
