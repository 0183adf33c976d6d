/**
 * @module test/carriers/dhl-express/rules-corpus.test
 * MyDHL's rule-breaking shipments (carriers/dhl-express/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the MyDHL simulator (test/carriers/rule-corpus.ts). A dutiable
 * shipment without a customs block is not here: the adapter then declares it non-dutiable
 * (isCustomsDeclarable false), which no request field lets the simulator contradict.
 */
import { PRAGUE, shipmentWith, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR, without } from '../customs-fixtures.js';
import { mydhlHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const shipment = shipmentWith({
  shipper: PRAGUE,
  recipient: ZURICH,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_EUR,
});

describeRuleCorpus({
  ...mydhlHarness,
  cases: [
    {
      what: 'CZ to CH without the shipper phone',
      shipment: shipment({ shipper: without(PRAGUE, 'phone') }),
      field: 'shipper.phone',
      status: 422,
    },
    {
      what: 'CZ to CH without the receiver phone',
      shipment: shipment({ recipient: without(ZURICH, 'phone') }),
      field: 'recipient.phone',
      status: 422,
    },
    {
      what: 'CZ to CH express, where no time-definite dutiable product is mapped',
      shipment: shipment({ service: 'express' }),
      field: 'not_supported',
      status: 422,
    },
  ],
});
