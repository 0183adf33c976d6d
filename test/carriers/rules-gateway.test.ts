/**
 * @module test/carriers/rules-gateway
 * The carriers' lane and party rules (carriers/<carrier>/rules.ts) through `POST /v1/shipments`,
 * against the UPS and FedEx simulators: a shipment that breaks them is a 422 naming each
 * account's field, rule and source with no carrier call (no token, no label) and its
 * Idempotency-Key free again; a lane a carrier has no service for skips that account with the
 * reason, and failover carries on.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway } from '../support/test-gateway.js';
import { CUSTOMS_USD, without } from './customs-fixtures.js';

const CLIENT_KEY = `rules-shop-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

const NEW_YORK = {
  name: 'Ada Lovelace',
  company: 'Analytical Engines Inc',
  street: ['350 5th Ave'],
  city: 'New York',
  postalCode: '10118',
  countryCode: 'US',
  stateCode: 'NY',
  phone: '2127363100',
};
const BERLIN = {
  name: 'Lise Meitner',
  street: ['Thielallee 63'],
  city: 'Berlin',
  postalCode: '14195',
  countryCode: 'DE',
  phone: '+4930838100',
};
const MUNICH = {
  ...BERLIN,
  name: 'Emmy Noether',
  city: 'Muenchen',
  postalCode: '80331',
  street: ['Marienplatz 1'],
};

const US_TO_DE = { service: 'standard', shipper: NEW_YORK, recipient: BERLIN, parcels: [{ weightKg: 1.2 }] };

let sims: ShippingSimulators;
let base = '';

beforeAll(async () => {
  sims = await startShippingSimulators('rules');
  const gateway = await startTestGateway({
    accounts: [sims.fedexMain(), sims.upsMain()],
    clientKey: CLIENT_KEY,
  });
  base = gateway.url;
});
afterAll(() => closeTestGatewaysAnd(sims));
beforeEach(() => sims.reset());

const nothingSent = () => {
  for (const sim of [sims.ups, sims.fedex]) {
    expect(sim.stats()).toMatchObject({ tokenRequests: 0, apiRequests: 0, labelsCreated: 0 });
  }
};

describe('carrier rules before any carrier call', () => {
  it('US to DE without customs or a recipient phone: 422 naming each account, field, rule and source; nothing sent', async () => {
    const key = randomUUID();
    const shipment = { ...US_TO_DE, recipient: without(BERLIN, 'phone') };
    const answer = await postShipment(base, CLIENT_KEY, {
      shipment,
      accounts: ['fedex-main', 'ups-main'],
      idempotencyKey: key,
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'ERR_SHIPMENT_RULES_UNMET', status: 422 });
    expect(answer.body['violations']).toEqual([
      {
        account: 'fedex-main',
        field: 'recipient.phone',
        rule: 'FedEx requires a phone number for every party',
        source: expect.stringContaining(
          'fedex/Shipment-Resource.json #/components/schemas/PartyContact/required',
        ),
      },
      {
        account: 'fedex-main',
        field: 'customs',
        rule: expect.stringContaining('customs declaration'),
        source: expect.stringContaining('CustomsClearanceDetail'),
      },
      {
        account: 'ups-main',
        field: 'recipient.phone',
        rule: expect.stringContaining('consignee phone'),
        source: expect.stringContaining('ups/Shipping.yaml #/components/schemas/ShipTo_Phone'),
      },
      {
        account: 'ups-main',
        field: 'customs',
        rule: expect.stringContaining('description of goods'),
        source: expect.stringContaining('ShipmentRequest_Shipment/properties/Description'),
      },
    ]);
    expect(answer.body['detail']).toContain('fedex-main: customs:');
    expect(answer.body['attempts']).toEqual([
      {
        account: 'fedex-main',
        outcome: 'not_supported',
        failure: expect.objectContaining({ code: 'carrier_rules_unmet' }),
      },
      {
        account: 'ups-main',
        outcome: 'not_supported',
        failure: expect.objectContaining({ code: 'carrier_rules_unmet' }),
      },
    ]);
    nothingSent();

    // The key is free again: the same key with the fields added makes the label (FedEx first).
    const fixed = await postShipment(base, CLIENT_KEY, {
      shipment: { ...US_TO_DE, customs: CUSTOMS_USD },
      accounts: ['fedex-main', 'ups-main'],
      idempotencyKey: key,
    });
    expect(fixed.status).toBe(201);
    expect(fixed.account).toBe('fedex-main');
    expect(sims.fedex.stats().labelsCreated).toBe(1);
  });

  for (const { test, shipment, failure } of [
    {
      // UPS needs no phones on a domestic US shipment; FedEx needs one for every party.
      test: 'an account whose rules are unmet is skipped when another one can carry the shipment',
      shipment: {
        service: 'standard',
        shipper: without(NEW_YORK, 'phone'),
        recipient: { ...NEW_YORK, name: 'Grace Hopper', phone: undefined, street: ['1 Main St'] },
        parcels: [{ weightKg: 1 }],
      },
      failure: {
        code: 'carrier_rules_unmet',
        reason: 'the carrier requires shipper.phone, recipient.phone here',
        violations: ['shipper.phone', 'recipient.phone'].map((field) => expect.objectContaining({ field })),
      },
    },
    {
      test: 'a lane without a service (FedEx inside Germany) is not_supported with the reason, and failover skips it',
      shipment: { service: 'standard', shipper: BERLIN, recipient: MUNICH, parcels: [{ weightKg: 1 }] },
      failure: {
        code: 'shipment_not_supported',
        reason: expect.stringContaining('FedEx domestic service codes outside the US and Canada'),
      },
    },
  ])
    it(test, async () => {
      const answer = await postShipment(base, CLIENT_KEY, { shipment, accounts: ['fedex-main', 'ups-main'] });
      expect(answer.status).toBe(201);
      expect(answer.account).toBe('ups-main');
      expect(answer.body['attempts']).toEqual([
        { account: 'fedex-main', outcome: 'not_supported', failure },
        { account: 'ups-main', outcome: 'created' },
      ]);
      expect(sims.fedex.stats()).toMatchObject({ apiRequests: 0, labelsCreated: 0 });
    });
});
