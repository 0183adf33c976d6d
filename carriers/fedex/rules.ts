/**
 * @module carriers/fedex/rules
 * What FedEx demands per lane, as data (src/core/shipment-rules.ts): the service each level books,
 * and the fields a label request must carry. [SHIP] is
 * ../shared/carrier-specs/fedex/Shipment-Resource.json (line numbers of that file).
 */
import { carrierRules } from '../../src/core/shipment-rules.js';

const SHIP = 'carrier-specs/fedex/Shipment-Resource.json';
const US_CA = ['US', 'CA'];

export const FEDEX_RULES = carrierRules({
  lanes: [
    // RequestedShipment_1.serviceType has no enum; each code is in the spec's own examples
    // (US_Ground_Shipment FEDEX_GROUND, Domestic_Express_Customer_Reference PRIORITY_OVERNIGHT).
    // Both are US and Canadian domestic products.
    {
      service: 'standard',
      when: { crossBorder: false, from: US_CA },
      code: 'FEDEX_GROUND',
      source: `${SHIP} example US_Ground_Shipment`,
    },
    {
      service: 'express',
      when: { crossBorder: false, from: US_CA },
      code: 'PRIORITY_OVERNIGHT',
      source: `${SHIP} example Domestic_Express_Customer_Reference`,
    },
    // Domestic elsewhere: the spec's examples name other products per country (intra-GB
    // FEDEX_PRIORITY in Intra_UK_Shipment l.8015, MX FEDEX_EXPRESS_SAVER), with no list of which
    // country has which; UNVERIFIED, so not offered rather than guessed.
    {
      service: 'standard',
      when: { crossBorder: false },
      refused:
        'FedEx domestic service codes outside the US and Canada are not mapped (UNVERIFIED per country)',
      source: `${SHIP} RequestedShipment_1.serviceType (l.1190, no enum); docs/carriers/unverified.md`,
    },
    {
      service: 'express',
      when: { crossBorder: false },
      refused:
        'FedEx domestic service codes outside the US and Canada are not mapped (UNVERIFIED per country)',
      source: `${SHIP} RequestedShipment_1.serviceType (l.1190, no enum); docs/carriers/unverified.md`,
    },
    {
      service: 'standard',
      when: { crossBorder: true },
      code: 'INTERNATIONAL_ECONOMY',
      source: `${SHIP} example SamplePayload-InternationalShipmentMPS`,
    },
    {
      service: 'express',
      when: { crossBorder: true },
      code: 'INTERNATIONAL_PRIORITY',
      source: `${SHIP} example International_Shipment`,
    },
  ],
  rules: [
    {
      field: 'shipper.phone',
      require: 'present',
      rule: 'FedEx requires a phone number for every party',
      source: `${SHIP} #/components/schemas/PartyContact/required phoneNumber (l.1510)`,
    },
    {
      field: 'recipient.phone',
      require: 'present',
      rule: 'FedEx requires a phone number for every party',
      source: `${SHIP} #/components/schemas/PartyContact/required phoneNumber (l.1510)`,
    },
    {
      field: 'shipper.company',
      require: { maxLength: 35 },
      rule: 'FedEx company names take at most 35 characters',
      source: `${SHIP} PartyContact.companyName "Max length is 35"`,
    },
    {
      field: 'recipient.company',
      require: { maxLength: 35 },
      rule: 'FedEx company names take at most 35 characters',
      source: `${SHIP} PartyContact.companyName "Max length is 35"`,
    },
    {
      field: 'customs',
      require: 'present',
      when: { crossBorder: true },
      rule: 'FedEx requires a customs declaration (customsClearanceDetail) for international shipments',
      source: `${SHIP} #/components/schemas/CustomsClearanceDetail/description "Required for International and intra-country Shipments" (l.3175)`,
    },
    {
      field: 'customs.invoiceNumber',
      require: { maxLength: 30 },
      rule: 'FedEx invoice numbers take at most 30 characters',
      source: `${SHIP} CustomerReference.customerReferenceType "INVOICE_NUMBER - 30" (l.3377)`,
    },
    {
      field: 'customs.items[].description',
      require: { maxLength: 450 },
      rule: 'FedEx commodity descriptions take at most 450 characters',
      source: `${SHIP} Commodity.description "Maximum allowed 450 characters"`,
    },
  ],
});
