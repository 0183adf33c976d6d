/**
 * @module test/carriers/shipment-rules
 * The rule tables as data (src/core/shipment-rules.ts): a malformed table is refused when a
 * carrier's module loads (the boot), conditions and paths mean what they say, and the shipment's
 * customs block is validated by the shipment schema itself.
 */
import { describe, expect, it } from 'vitest';

import { DHL_EXPRESS_RULES } from '../../carriers/dhl-express/rules.js';
import { DHL_PARCEL_DE_RULES } from '../../carriers/dhl-parcel-de/rules.js';
import { FEDEX_RULES } from '../../carriers/fedex/rules.js';
import { UPS_RULES } from '../../carriers/ups/rules.js';
import { shipmentRequestSchema } from '../../src/core/shipment.js';
import { carrierRules, resolveService, ruleViolations } from '../../src/core/shipment-rules.js';
import { CUSTOMS_USD } from './customs-fixtures.js';

const party = (countryCode: string) => ({
  name: 'A Person',
  street: ['1 Street'],
  city: 'City',
  postalCode: '12345',
  countryCode,
});
const shipment = (fields: Record<string, unknown> = {}) =>
  shipmentRequestSchema.parse({
    service: 'standard',
    shipper: party('US'),
    recipient: party('DE'),
    parcels: [{ weightKg: 1 }],
    ...fields,
  });

describe('carrier rule tables', () => {
  it('every carrier table parses, and every entry cites a source', () => {
    for (const tables of [UPS_RULES, FEDEX_RULES, DHL_EXPRESS_RULES, DHL_PARCEL_DE_RULES]) {
      for (const entry of [...tables.lanes, ...tables.rules])
        expect(entry.source).toMatch(/carrier-specs\/|UNVERIFIED/);
    }
  });

  it('a malformed table is refused at load: a lane with neither code nor reason, a bad path, no source', () => {
    expect(() => carrierRules({ rules: [], lanes: [{ service: 'standard', source: 'x' }] })).toThrow(
      /either a code/,
    );
    expect(() =>
      carrierRules({
        rules: [{ field: 'recipient..phone', require: 'present', rule: 'r', source: 's' }],
        lanes: [{ service: 'standard', code: 'X', source: 's' }],
      }),
    ).toThrow();
    expect(() =>
      carrierRules({
        rules: [{ field: 'recipient.phone', require: 'present', rule: 'r' }],
        lanes: [{ service: 'standard', code: 'X', source: 's' }],
      }),
    ).toThrow();
    expect(() => carrierRules({ rules: [], lanes: [] })).toThrow();
  });

  it('conditions: crossBorder, withinEu, from/to/notTo, service; unless; [] walks every item', () => {
    const { rules, lanes } = carrierRules({
      lanes: [
        { service: 'standard', when: { from: ['US'], notTo: ['DE'] }, code: 'A', source: 's' },
        { service: 'standard', when: { withinEu: true }, code: 'EU', source: 's' },
        { service: 'express', refused: 'no express', source: 's' },
      ],
      rules: [
        {
          field: 'customs.items[].hsCode',
          require: 'present',
          when: { crossBorder: true },
          rule: 'hs',
          source: 's',
        },
        { field: 'recipient.phone', require: 'present', unless: { to: ['DE'] }, rule: 'phone', source: 's' },
        { field: 'recipient.name', require: { maxLength: 5 }, rule: 'short', source: 's' },
      ],
    });
    expect(resolveService(lanes, shipment())).toEqual({ refused: 'no standard service from US to DE' });
    expect(resolveService(lanes, shipment({ recipient: party('CA') }))).toEqual({ code: 'A' });
    expect(resolveService(lanes, shipment({ shipper: party('FR') }))).toEqual({ code: 'EU' });
    expect(resolveService(lanes, shipment({ service: 'express' }))).toEqual({
      refused: 'no express',
      source: 's',
    });
    expect(ruleViolations(rules, shipment({ customs: CUSTOMS_USD }))).toEqual([
      { field: 'customs.items.1.hsCode', rule: 'hs', source: 's' },
      { field: 'recipient.name', rule: 'short', source: 's' },
    ]);
    expect(ruleViolations(rules, shipment({ recipient: party('CA') })).map((v) => v.field)).toEqual([
      'recipient.phone',
      'recipient.name',
    ]);
  });

  it('the customs block: contents, incoterm default DAP, one currency, HS codes of 6-10 digits', () => {
    expect(shipment({ customs: { ...CUSTOMS_USD, incoterm: undefined } }).customs?.incoterm).toBe('DAP');
    const bad = (customs: Record<string, unknown>) =>
      shipmentRequestSchema
        .safeParse({ ...shipment(), customs })
        .error?.issues.map((issue) => issue.path.join('.'));
    expect(bad({ ...CUSTOMS_USD, contents: 'stuff' })).toEqual(['customs.contents']);
    expect(bad({ ...CUSTOMS_USD, items: [] })).toEqual(['customs.items']);
    expect(
      bad({ ...CUSTOMS_USD, items: [CUSTOMS_USD.items[0], { ...CUSTOMS_USD.items[1], currency: 'EUR' }] }),
    ).toEqual(['customs.items']);
    expect(bad({ ...CUSTOMS_USD, items: [{ ...CUSTOMS_USD.items[0], hsCode: '6109.10' }] })).toEqual([
      'customs.items.0.hsCode',
    ]);
    expect(bad({ ...CUSTOMS_USD, items: [{ ...CUSTOMS_USD.items[0], quantity: 1.5 }] })).toEqual([
      'customs.items.0.quantity',
    ]);
  });
});
