/**
 * @module test/carriers/usps/rules-corpus.test
 * USPS's rule-breaking shipments: USPS has no rules table, its pre-check is `supports`
 * (`uspsUnsupportedReason`, carriers/usps/shipping.ts: domestic only, one parcel, dimensions,
 * 70 lb, a US state and ZIP Code). Each case is refused there and, sent anyway (the call
 * `uspsLabelCall` builds without the check), by the USPS simulator's LabelRequest checks
 * ([USPS-LABELS] ../shared/carrier-specs/usps/domestic-labels.yaml) (test/carriers/rule-corpus.ts).
 * Two parcels are not here: the request has one packageDescription, so the second parcel is
 * never sent and only the pre-check can refuse it (docs/carriers/usps.md).
 */
import { uspsLabelCall, uspsUnsupportedReason } from '../../../carriers/usps/shipping.js';
import { shipmentWith, ST_LOUIS, TORONTO, WASHINGTON } from '../../support/addresses.js';
import { without } from '../customs-fixtures.js';
import { uspsHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const parcel = { weightKg: 0.8, lengthCm: 23, widthCm: 15, heightCm: 1 };
const shipment = shipmentWith({ shipper: WASHINGTON, recipient: ST_LOUIS, parcels: [parcel] });
// The simulator's 400 code is its own (UNVERIFIED, carriers/usps/simulator.ts badRequest).
const refused = { field: 'not_supported', status: 400, code: 'invalid_request' };

describeRuleCorpus({
  ...uspsHarness,
  unchecked: uspsLabelCall,
  unsupportedReason: uspsUnsupportedReason,
  cases: [
    {
      // BaseDomesticPackageDescription.weight: "Items must weigh 70 pounds (1120 ounces) or less".
      what: 'a parcel of 32 kg (70.5 lb)',
      shipment: shipment({ parcels: [{ ...parcel, weightKg: 32 }] }),
      reason: '70 lb',
      ...refused,
    },
    {
      // BaseDomesticPackageDescription.required: length, height, width.
      what: 'a parcel without its dimensions',
      shipment: shipment({ parcels: [{ weightKg: 0.8 }] }),
      reason: 'length, width and height',
      ...refused,
    },
    {
      // DomesticLabelAddress.required: state.
      what: 'a recipient without a state',
      shipment: shipment({ recipient: without(ST_LOUIS, 'stateCode') }),
      reason: 'state code',
      ...refused,
    },
    {
      // #/components/schemas/State pattern (states, DC, territories, military codes).
      what: 'a recipient state code that is no US state',
      shipment: shipment({ recipient: { ...ST_LOUIS, stateCode: 'XX' } }),
      reason: 'state code',
      ...refused,
    },
    {
      // ZIPCode pattern ^\d{5}$.
      what: 'a shipper ZIP Code of four digits',
      shipment: shipment({ shipper: { ...WASHINGTON, postalCode: '2002' } }),
      reason: 'ZIP Code',
      ...refused,
    },
    {
      // Domestic Labels: DomesticAddress "Address fields for US locations"; mailClass has no international class.
      what: 'US to CA',
      shipment: shipment({ recipient: TORONTO }),
      reason: 'within the United States',
      ...refused,
    },
  ],
});
