/**
 * @module carriers/dhl-express/rules
 * What MyDHL demands per lane, as data (src/core/shipment-rules.ts). [MYDHL] is
 * ../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml (line numbers of that file).
 * Product codes per lane are account-specific (`/products` answers them); the ones below are the
 * spec's reference-data and example codes, and their lanes are UNVERIFIED (docs/carriers/unverified.md).
 */
import { carrierRules } from '../../src/core/shipment-rules.js';

const MYDHL = 'carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml';
const PRODUCTS = `${MYDHL} reference data productCode (l.8108-8530)`;

export const DHL_EXPRESS_RULES = carrierRules({
  lanes: [
    {
      service: 'standard',
      when: { crossBorder: false },
      code: 'N',
      source: `${PRODUCTS} "N EXPRESS DOMESTIC"`,
    },
    {
      service: 'express',
      when: { crossBorder: false },
      code: '1',
      source: `${PRODUCTS} "1 EXPRESS DOMESTIC 12:00"`,
    },
    // Between EU states nothing is dutiable: U and T, whose reference data says "Doc" (UNVERIFIED for goods).
    {
      service: 'standard',
      when: { withinEu: true },
      code: 'U',
      source: `${PRODUCTS} "U EXPRESS WORLDWIDE"; UNVERIFIED for goods`,
    },
    {
      service: 'express',
      when: { withinEu: true },
      code: 'T',
      source: `${PRODUCTS} "T EXPRESS 12:00"; UNVERIFIED for goods`,
    },
    // Dutiable: P, EXPRESS WORLDWIDE NONDOC, the spec's product for dutiable goods (rates example l.20642).
    {
      service: 'standard',
      when: { crossBorder: true },
      code: 'P',
      source: `${MYDHL} rates example "EXPRESS WORLDWIDE NONDOC" productCode P (l.20642)`,
    },
    {
      service: 'express',
      when: { crossBorder: true },
      refused:
        'no MyDHL time-definite product for dutiable goods is in the spec (EXPRESS 12:00 NONDOC: UNVERIFIED)',
      source: `${PRODUCTS}; docs/carriers/unverified.md`,
    },
  ],
  rules: [
    ...(['shipper', 'recipient'] as const).map((role) => ({
      field: `${role}.phone`,
      require: 'present' as const,
      rule: 'MyDHL requires a phone number for shipper and receiver',
      source: `${MYDHL} #/components/schemas/supermodelIoLogisticsExpressContact/required phone (l.10488)`,
    })),
    {
      field: 'customs',
      require: 'present',
      when: { crossBorder: true, withinEu: false },
      rule: 'MyDHL requires an export declaration for dutiable shipments',
      source: `${MYDHL} content.isCustomsDeclarable "If the shipment is dutiable, exportDeclaration element must be provided" (l.11392)`,
    },
    {
      field: 'customs.items[].description',
      require: { maxLength: 512 },
      rule: 'MyDHL line item descriptions take at most 512 characters',
      source: `${MYDHL} exportDeclaration.lineItems[].description maxLength 512`,
    },
  ],
});
