/**
 * @module test/carriers/customs-fixtures
 * Customs declarations the carriers' label tests ship with across a customs border, written once.
 */
import type { Customs } from '../../src/core/shipment.js';

/** Two lines of goods sold, in US dollars (US origin and one Chinese-made item). */
export const CUSTOMS_USD: Customs = {
  contents: 'merchandise',
  incoterm: 'DAP',
  invoiceNumber: 'INV-2026-0042',
  items: [
    {
      description: 'Cotton T-shirts',
      quantity: 3,
      unitValue: 12.5,
      currency: 'USD',
      weightKg: 0.2,
      hsCode: '610910',
      originCountry: 'US',
    },
    {
      description: 'Ceramic mug',
      quantity: 1,
      unitValue: 8,
      currency: 'USD',
      weightKg: 0.4,
      originCountry: 'CN',
    },
  ],
};

/** One line of goods sold, in euros, made in Germany. */
export const CUSTOMS_EUR: Customs = {
  contents: 'merchandise',
  incoterm: 'DAP',
  items: [
    {
      description: 'Steel screws 9 mm',
      quantity: 100,
      unitValue: 0.25,
      currency: 'EUR',
      weightKg: 0.005,
      hsCode: '731815',
      originCountry: 'DE',
    },
  ],
};

/** A party (or any record) without one of its fields: what a shipping app that omits it sends. */
export function without<T extends object, K extends keyof T>(record: T, key: K): Omit<T, K> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}
