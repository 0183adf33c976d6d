/**
 * @module carriers/dhl-parcel-de/rules
 * What DHL Parcel DE demands per lane, as data (src/core/shipment-rules.ts). [SHIP] is
 * ../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml (line numbers of that file).
 */
import { carrierRules } from '../../src/core/shipment-rules.js';

const SHIP = 'carrier-specs/dhl/parcel-de-shipping-v2_2.yaml';

export const DHL_PARCEL_DE_RULES = carrierRules({
  lanes: [
    {
      service: 'standard',
      when: { crossBorder: false },
      code: 'V01PAK',
      source: `${SHIP} Product "V01PAK: DHL PAKET" (l.1230)`,
    },
    // [SHIP] Product (l.1225-1243) has no domestic parcel faster than V01PAK: V54EPAK is the B2B
    // Europaket, V62KP/V62WP small parcels. Booking V01PAK for "express" would sell a standard
    // parcel as express, so the account answers not_supported and failover moves on.
    {
      service: 'express',
      when: { crossBorder: false },
      refused: 'DHL Parcel DE has no domestic express product (V01PAK is its standard parcel)',
      source: `${SHIP} #/components/schemas/Product enum (l.1225-1243)`,
    },
    {
      service: 'standard',
      when: { crossBorder: true },
      code: 'V53WPAK',
      source: `${SHIP} Product "V53WPAK: DHL PAKET International"`,
    },
    // International express: V53WPAK with the `premium` service ("premium vs economy parcel", l.1450).
    {
      service: 'express',
      when: { crossBorder: true },
      code: 'V53WPAK',
      source: `${SHIP} Product V53WPAK + VAS premium (l.1450)`,
    },
  ],
  rules: [
    // Shipments leave Germany only (dhlParcelDeUnsupported), so "outside the EU" is the lane.
    {
      field: 'customs',
      require: 'present',
      when: { withinEu: false },
      rule: 'DHL Parcel DE requires customs details (CN23) for destinations outside the European customs union',
      source: `${SHIP} #/components/schemas/CustomsDetails "mandatory depending on whether the parcel will go to a country outside the European Customs Union" (l.974, l.1059)`,
    },
  ],
});
