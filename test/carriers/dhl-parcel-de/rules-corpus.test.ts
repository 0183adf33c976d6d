/**
 * @module test/carriers/dhl-parcel-de/rules-corpus.test
 * DHL Parcel DE's rule-breaking shipments (carriers/dhl-parcel-de/rules.ts): each is refused by the
 * gateway's pre-check and, sent anyway, by the Parcel DE simulator (test/carriers/rule-corpus.ts).
 * Parcel DE's refusals carry no code of their own: the RequestStatus status is the code.
 */
import { BERLIN_KREUZBERG, BONN, NEW_YORK, shipmentWith, ZURICH } from '../../support/addresses.js';
import { CUSTOMS_EUR } from '../customs-fixtures.js';
import { dhlParcelDeHarness } from '../harnesses.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const shipment = shipmentWith({
  shipper: BONN,
  recipient: ZURICH,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_EUR,
});

describeRuleCorpus({
  ...dhlParcelDeHarness,
  cases: [
    {
      what: 'DE to CH without customs details',
      shipment: shipment({ customs: undefined }),
      field: 'customs',
      status: 400,
      code: '400',
    },
    {
      what: 'DE to US without customs details',
      shipment: shipment({ recipient: NEW_YORK, customs: undefined }),
      field: 'customs',
      status: 400,
      code: '400',
    },
    {
      what: 'domestic express, which Parcel DE does not have',
      shipment: shipment({ recipient: BERLIN_KREUZBERG, service: 'express', customs: undefined }),
      field: 'not_supported',
      status: 400,
    },
  ],
});
