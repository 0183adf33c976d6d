/**
 * @module test/carriers/dhl-express/rules-corpus.test
 * MyDHL's rule-breaking shipments (carriers/dhl-express/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the MyDHL simulator (test/carriers/rule-corpus.ts). A dutiable
 * shipment without a customs block is not here: the adapter then declares it non-dutiable
 * (isCustomsDeclarable false), which no request field lets the simulator contradict.
 */
import { PRAGUE, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR, without } from '../customs-fixtures.js';
import { mydhlHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

describeRuleCorpus({
  ...mydhlHarness,
  rows: [
    ['CZ to CH without the shipper phone', { shipper: without(PRAGUE, 'phone') }, 'shipper.phone'],
    ['CZ to CH without the receiver phone', { recipient: without(ZURICH, 'phone') }, 'recipient.phone'],
    [
      'CZ to CH express, where no time-definite dutiable product is mapped',
      { service: 'express' },
      'not_supported',
    ],
  ],
  lane: { shipper: PRAGUE, recipient: ZURICH, customs: CUSTOMS_EUR },
  refusal: { status: 422 },
});
