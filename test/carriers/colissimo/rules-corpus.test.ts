/**
 * @module test/carriers/colissimo/rules-corpus.test
 * Colissimo's rule-breaking shipments (carriers/colissimo/rules.ts): each is refused by the
 * gateway's pre-check and, sent anyway, by the Colissimo simulator (test/carriers/rule-corpus.ts),
 * whose functional 400 id is its own (SIM400, docs/carriers/unverified.md).
 */
import { PARIS, shipmentWith, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR, CUSTOMS_USD } from '../customs-fixtures.js';
import { colissimoHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const shipment = shipmentWith({
  shipper: PARIS,
  recipient: ZURICH,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_EUR,
});

describeRuleCorpus({
  ...colissimoHarness,
  cases: [
    {
      what: 'FR to CH without a CN23',
      shipment: shipment({ customs: undefined }),
      field: 'customs',
      status: 400,
      code: 'SIM400',
    },
    {
      what: 'an article description of 65 characters',
      shipment: shipment({
        customs: { ...CUSTOMS_EUR, items: [{ ...CUSTOMS_EUR.items[0]!, description: 'x'.repeat(65) }] },
      }),
      field: 'customs.items.0.description',
      status: 400,
      code: 'SIM400',
    },
    {
      what: 'article values in US dollars',
      shipment: shipment({ customs: CUSTOMS_USD }),
      field: 'customs.items.0.currency',
      status: 400,
      code: 'SIM400',
    },
    {
      what: 'express, which this API does not offer',
      shipment: shipment({ service: 'express' }),
      field: 'not_supported',
      status: 400,
    },
  ],
});
