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
import { ST_LOUIS, TORONTO, WASHINGTON } from '../../support/addresses.js';
import { without } from '../customs-fixtures.js';
import { uspsHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const parcel = { weightKg: 0.8, lengthCm: 23, widthCm: 15, heightCm: 1 };

describeRuleCorpus({
  ...uspsHarness,
  unchecked: uspsLabelCall,
  unsupportedReason: uspsUnsupportedReason,
  lane: { shipper: WASHINGTON, recipient: ST_LOUIS, parcels: [parcel] },
  // The simulator's 400 code is its own (UNVERIFIED, carriers/usps/simulator.ts badRequest).
  refusal: { status: 400, code: 'invalid_request' },
  rows: [
    // BaseDomesticPackageDescription.weight: "Items must weigh 70 pounds (1120 ounces) or less".
    ['a parcel of 32 kg (70.5 lb)', { parcels: [{ ...parcel, weightKg: 32 }] }, 'not_supported', '70 lb'],
    // BaseDomesticPackageDescription.required: length, height, width.
    [
      'a parcel without its dimensions',
      { parcels: [{ weightKg: 0.8 }] },
      'not_supported',
      'length, width and height',
    ],
    // DomesticLabelAddress.required: state.
    [
      'a recipient without a state',
      { recipient: without(ST_LOUIS, 'stateCode') },
      'not_supported',
      'state code',
    ],
    // #/components/schemas/State pattern (states, DC, territories, military codes).
    [
      'a recipient state code that is no US state',
      { recipient: { ...ST_LOUIS, stateCode: 'XX' } },
      'not_supported',
      'state code',
    ],
    // ZIPCode pattern ^\d{5}$.
    [
      'a shipper ZIP Code of four digits',
      { shipper: { ...WASHINGTON, postalCode: '2002' } },
      'not_supported',
      'ZIP Code',
    ],
    // Domestic Labels: DomesticAddress "Address fields for US locations"; mailClass has no international class.
    ['US to CA', { recipient: TORONTO }, 'not_supported', 'within the United States'],
  ],
});
