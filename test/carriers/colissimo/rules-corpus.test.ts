/**
 * @module test/carriers/colissimo/rules-corpus.test
 * Colissimo's rule-breaking shipments (carriers/colissimo/rules.ts): each is refused by the
 * gateway's pre-check and, sent anyway, by the Colissimo simulator (test/carriers/rule-corpus.ts),
 * whose functional 400 id is its own (SIM400, docs/carriers/unverified.md).
 */
import { PARIS, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR, CUSTOMS_USD } from '../customs-fixtures.js';
import { colissimoHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

describeRuleCorpus({
  ...colissimoHarness,
  rows: [
    ['FR to CH without a CN23', { customs: undefined }, 'customs'],
    [
      'an article description of 65 characters',
      { customs: { ...CUSTOMS_EUR, items: [{ ...CUSTOMS_EUR.items[0]!, description: 'x'.repeat(65) }] } },
      'customs.items.0.description',
    ],
    ['article values in US dollars', { customs: CUSTOMS_USD }, 'customs.items.0.currency'],
    ['express, which this API does not offer', { service: 'express' }, 'not_supported'],
  ],
  lane: { shipper: PARIS, recipient: ZURICH, customs: CUSTOMS_EUR },
  refusal: { status: 400, code: 'SIM400' },
});
