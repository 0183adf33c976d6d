/**
 * @module carriers/colissimo/rules
 * What Colissimo demands per lane, as data (src/core/shipment-rules.ts). [COL-SPEC] is
 * ../shared/carrier-specs/laposte/colissimo-shipping-openapi.json; [KAR-COL] karrio's Colissimo
 * connector (see ./shipping.ts).
 */
import { carrierRules } from '../../src/core/shipment-rules.js';

const COL = 'carrier-specs/laposte/colissimo-shipping-openapi.json';

export const COLISSIMO_RULES = carrierRules({
  // Lanes (origins, destinations, express) stay in colissimoUnsupportedReason: one product, DOM.
  lanes: [
    { service: 'standard', code: 'DOM', source: `${COL} Service.productCode "DOM"` },
    {
      service: 'express',
      refused: 'Colissimo offers no express home delivery in this API',
      source: `${COL} Service.productCode (DOM, DOS only)`,
    },
  ],
  rules: [
    {
      field: 'customs',
      require: 'present',
      when: { withinEu: false, crossBorder: true },
      rule: 'Colissimo requires a CN23 customs declaration outside the EU',
      source: `${COL} #/components/schemas/CustomsDeclarations, Category.value "Mandatory for products subject to a CN23 form"`,
    },
    {
      field: 'customs.items[].description',
      require: { maxLength: 64 },
      rule: 'Colissimo CN23 article descriptions take at most 64 characters',
      source: `${COL} Article.description AN1…64`,
    },
    {
      field: 'customs.items[].currency',
      require: { oneOf: ['EUR'] },
      rule: 'Colissimo CN23 article values are in euros',
      source: `${COL} Article.value "Unitary value of articles in EUROS"`,
    },
  ],
});
