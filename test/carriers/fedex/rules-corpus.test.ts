/**
 * @module test/carriers/fedex/rules-corpus.test
 * FedEx's rule-breaking shipments (carriers/fedex/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the FedEx simulator (test/carriers/rule-corpus.ts).
 */
import { MEMPHIS, PITTSBURGH, RICHMOND_BC } from '../../support/addresses.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { fedexHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const GERMANY = { ...RICHMOND_BC, countryCode: 'DE', stateCode: undefined };

describeRuleCorpus({
  ...fedexHarness,
  rows: [
    ['US to CA without customs (no customsClearanceDetail)', { customs: undefined }, 'customs'],
    ['a recipient without a phone', { recipient: without(RICHMOND_BC, 'phone') }, 'recipient.phone'],
    [
      'a domestic shipper without a phone',
      { shipper: without(MEMPHIS, 'phone'), recipient: PITTSBURGH, customs: undefined },
      'shipper.phone',
    ],
    [
      'Germany to Germany, where FEDEX_GROUND is no product',
      { shipper: GERMANY, recipient: GERMANY, customs: undefined },
      'not_supported',
    ],
  ],
  lane: { shipper: MEMPHIS, recipient: RICHMOND_BC, customs: CUSTOMS_USD },
  refusal: { status: 400, code: 'SHIPMENT.VALIDATION.ERROR' },
});
