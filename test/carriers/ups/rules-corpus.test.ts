/**
 * @module test/carriers/ups/rules-corpus.test
 * UPS's rule-breaking shipments (carriers/ups/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the UPS simulator (test/carriers/rule-corpus.ts).
 */
import { GOETTINGEN, LOS_ANGELES, NEW_YORK, PARIS, TORONTO } from '../../support/addresses.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { upsHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const DE = { ...GOETTINGEN, phone: '+49 551 397766' };
const CA = { ...TORONTO, phone: '416-555-0100' };
const LA = { ...LOS_ANGELES, phone: '310-646-5252' };

describeRuleCorpus({
  ...upsHarness,
  rows: [
    ['US to DE without a customs declaration (no Description)', { customs: undefined }, 'customs'],
    ['US to DE without the shipper phone', { shipper: without(NEW_YORK, 'phone') }, 'shipper.phone'],
    ['US to DE without the recipient phone', { recipient: GOETTINGEN }, 'recipient.phone'],
    ['US to CA without a state', { recipient: without(CA, 'stateCode') }, 'recipient.stateCode'],
    [
      'US domestic without a state',
      { recipient: without(LA, 'stateCode'), customs: undefined },
      'recipient.stateCode',
    ],
    [
      'US to CA without customs (no Description, no InvoiceLineTotal)',
      { recipient: CA, customs: undefined },
      'customs',
    ],
    [
      'DE to FR express without a description',
      { shipper: DE, recipient: PARIS, service: 'express', customs: undefined },
      'customs',
    ],
  ],
  lane: { shipper: NEW_YORK, recipient: DE, customs: CUSTOMS_USD },
  refusal: { status: 400, code: '20007' },
});
