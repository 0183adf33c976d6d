/**
 * @module test/carriers/fedex/rules-corpus.test
 * FedEx's rule-breaking shipments (carriers/fedex/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the FedEx simulator (test/carriers/rule-corpus.ts).
 */
import { MEMPHIS, PITTSBURGH, RICHMOND_BC, shipmentWith } from '../../support/addresses.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { fedexHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const shipment = shipmentWith({
  shipper: MEMPHIS,
  recipient: RICHMOND_BC,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_USD,
});

describeRuleCorpus({
  ...fedexHarness,
  cases: [
    {
      what: 'US to CA without customs (no customsClearanceDetail)',
      shipment: shipment({ customs: undefined }),
      field: 'customs',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'a recipient without a phone',
      shipment: shipment({ recipient: without(RICHMOND_BC, 'phone') }),
      field: 'recipient.phone',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'a domestic shipper without a phone',
      shipment: shipment({ shipper: without(MEMPHIS, 'phone'), recipient: PITTSBURGH, customs: undefined }),
      field: 'shipper.phone',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'Germany to Germany, where FEDEX_GROUND is no product',
      shipment: shipment({
        shipper: { ...RICHMOND_BC, countryCode: 'DE', stateCode: undefined },
        recipient: { ...RICHMOND_BC, countryCode: 'DE', stateCode: undefined },
        customs: undefined,
      }),
      field: 'not_supported',
      status: 400,
    },
  ],
});
