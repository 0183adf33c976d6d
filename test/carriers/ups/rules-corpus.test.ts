/**
 * @module test/carriers/ups/rules-corpus.test
 * UPS's rule-breaking shipments (carriers/ups/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the UPS simulator (test/carriers/rule-corpus.ts).
 */
import { GOETTINGEN, LOS_ANGELES, NEW_YORK, PARIS, shipmentWith, TORONTO } from '../../support/addresses.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { upsHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const DE = { ...GOETTINGEN, phone: '+49 551 397766' };
const CA = { ...TORONTO, phone: '416-555-0100' };
const LA = { ...LOS_ANGELES, phone: '310-646-5252' };
const shipment = shipmentWith({
  shipper: NEW_YORK,
  recipient: DE,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_USD,
});

describeRuleCorpus({
  ...upsHarness,
  cases: [
    {
      what: 'US to DE without a customs declaration (no Description)',
      shipment: shipment({ customs: undefined }),
      field: 'customs',
      status: 400,
      code: '20007',
    },
    {
      what: 'US to DE without the shipper phone',
      shipment: shipment({ shipper: without(NEW_YORK, 'phone') }),
      field: 'shipper.phone',
      status: 400,
      code: '20007',
    },
    {
      what: 'US to DE without the recipient phone',
      shipment: shipment({ recipient: GOETTINGEN }),
      field: 'recipient.phone',
      status: 400,
      code: '20007',
    },
    {
      what: 'US to CA without a state',
      shipment: shipment({ recipient: without(CA, 'stateCode') }),
      field: 'recipient.stateCode',
      status: 400,
      code: '20007',
    },
    {
      what: 'US domestic without a state',
      shipment: shipment({ recipient: without(LA, 'stateCode'), customs: undefined }),
      field: 'recipient.stateCode',
      status: 400,
      code: '20007',
    },
    {
      what: 'US to CA without customs (no Description, no InvoiceLineTotal)',
      shipment: shipment({ recipient: CA, customs: undefined }),
      field: 'customs',
      status: 400,
      code: '20007',
    },
    {
      what: 'DE to FR express without a description',
      shipment: shipment({ shipper: DE, recipient: PARIS, service: 'express', customs: undefined }),
      field: 'customs',
      status: 400,
      code: '20007',
    },
  ],
});
