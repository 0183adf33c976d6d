/**
 * @module carriers/ups/rules
 * What UPS demands per lane, as data (src/core/shipment-rules.ts): the service each level books,
 * and the fields a label request must carry. [SHIP] is ../shared/carrier-specs/ups/Shipping.yaml
 * (line numbers of that file); its Shipment_Service.Code list (l.6556-6600) names the codes but not
 * the lanes they serve, which UPS's service guide (not saved) does: those lines are UNVERIFIED and
 * listed in docs/carriers/unverified.md.
 */
import { carrierRules } from '../../src/core/shipment-rules.js';

const SHIP = 'carrier-specs/ups/Shipping.yaml';
const SERVICE_CODES = `${SHIP} #/components/schemas/Shipment_Service/properties/Code (l.6556)`;
/** Where UPS's US domestic products apply (US and PR as one market, third-party connectors: UNVERIFIED beyond the US). */
const US_MARKETS = ['US', 'PR'];

export const UPS_RULES = carrierRules({
  lanes: [
    {
      service: 'standard',
      when: { crossBorder: false, from: US_MARKETS },
      code: '03',
      source: `${SERVICE_CODES} "03 = Ground"`,
    },
    {
      service: 'express',
      when: { crossBorder: false, from: US_MARKETS },
      code: '01',
      source: `${SERVICE_CODES} "01 = Next Day Air"`,
    },
    // UPS Standard from the US serves Canada and Mexico only (UPS service guide, UNVERIFIED); to
    // elsewhere the deferred product is Worldwide Expedited. Between the US and PR the code stays
    // 11, as before these tables (UNVERIFIED too).
    {
      service: 'standard',
      when: { from: US_MARKETS, to: ['CA', 'MX', ...US_MARKETS] },
      code: '11',
      source: `${SERVICE_CODES} "11 = UPS Standard"; lane UNVERIFIED`,
    },
    {
      service: 'standard',
      when: { from: US_MARKETS, crossBorder: true },
      code: '08',
      source: `${SERVICE_CODES} "08 = Expedited"; lane UNVERIFIED`,
    },
    { service: 'standard', when: {}, code: '11', source: `${SERVICE_CODES} "11 = UPS Standard"` },
    { service: 'express', when: {}, code: '07', source: `${SERVICE_CODES} "07 = Express"` },
  ],
  rules: [
    {
      field: 'shipper.phone',
      require: 'present',
      when: { crossBorder: true },
      rule: 'UPS requires the shipper phone number when the destination is international',
      source: `${SHIP} #/components/schemas/Shipper_Phone/properties/Number "A phone number is required if destination is international" (l.5207)`,
    },
    {
      field: 'recipient.phone',
      require: 'present',
      when: { crossBorder: true },
      rule: 'UPS requires the consignee phone number when ShipTo and ShipFrom countries differ',
      source: `${SHIP} #/components/schemas/ShipTo_Phone/properties/Number (l.5356)`,
    },
    ...['US', 'CA', 'VN'].map((country) => ({
      field: 'recipient.stateCode',
      require: 'present' as const,
      when: { to: [country] },
      rule: 'UPS requires the consignee state or province code for US, Canada and Vietnam',
      source: `${SHIP} #/components/schemas/ShipTo_Address/properties/StateProvinceCode "Required for US, Canada, and Vietnam (VN)" (l.5401)`,
    })),
    {
      field: 'shipper.stateCode',
      require: 'present',
      when: { from: ['VN'] },
      rule: 'UPS requires the shipper province code for Vietnam',
      source: `${SHIP} #/components/schemas/Shipper_Address/properties/StateProvinceCode "Required for Vietnam (VN)" (l.5252)`,
    },
    {
      field: 'customs',
      require: 'present',
      when: { crossBorder: true },
      unless: { withinEu: true, service: 'standard' },
      rule: 'UPS requires a description of goods (from the customs declaration) across borders, except UPS Standard inside the EU',
      source: `${SHIP} #/components/schemas/ShipmentRequest_Shipment/properties/Description (l.4775)`,
    },
    ...[{ from: ['AE'] }, { to: ['AE'] }].map((when) => ({
      field: 'customs',
      require: 'present' as const,
      when,
      rule: 'UPS requires a description of goods (from the customs declaration) for every UAE shipment',
      source: `${SHIP} #/components/schemas/ShipmentRequest_Shipment/properties/Description "required for all UAE shipments" (l.4783)`,
    })),
    {
      field: 'customs.items[].description',
      require: { maxLength: 35 },
      rule: 'UPS invoice product descriptions take at most 35 characters',
      source: `${SHIP} #/components/schemas/InternationalForms_Product/properties/Description (maxLength 35)`,
    },
    {
      field: 'shipper.stateCode',
      require: { maxLength: 5 },
      rule: 'UPS state codes take at most 5 characters',
      source: `${SHIP} Shipper_Address.StateProvinceCode maxLength 5`,
    },
    {
      field: 'recipient.stateCode',
      require: { maxLength: 5 },
      rule: 'UPS state codes take at most 5 characters',
      source: `${SHIP} ShipTo_Address.StateProvinceCode maxLength 5`,
    },
  ],
});
