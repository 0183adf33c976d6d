/**
 * @module test/carriers/dhl-parcel-de/rules-corpus.test
 * DHL Parcel DE's rule-breaking shipments (carriers/dhl-parcel-de/rules.ts): each is refused by the
 * gateway's pre-check and, sent anyway, by the Parcel DE simulator (test/carriers/rule-corpus.ts).
 * Parcel DE's refusals carry no code of their own: the RequestStatus status is the code.
 */
import { BERLIN_KREUZBERG, BONN, NEW_YORK, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR } from '../customs-fixtures.js';
import { dhlParcelDeHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

describeRuleCorpus({
  ...dhlParcelDeHarness,
  rows: [
    ['DE to CH without customs details', { customs: undefined }, 'customs'],
    ['DE to US without customs details', { recipient: NEW_YORK, customs: undefined }, 'customs'],
    [
      'domestic express, which Parcel DE does not have',
      { recipient: BERLIN_KREUZBERG, service: 'express', customs: undefined },
      'not_supported',
    ],
  ],
  lane: { shipper: BONN, recipient: ZURICH, customs: CUSTOMS_EUR },
  refusal: { status: 400, code: '400' },
});
