/**
 * @module test/rates/usps.test
 * USPS through `POST /v1/rates` and `GET /v1/tracking` against the USPS simulator: one domestic
 * parcel with dimensions priced per mail class, what USPS cannot price answered `not_supported`
 * without a call, and a delivered parcel tracked with its signer.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUspsSimulator, USPS_PATHS, type UspsSimulatorHandle } from '../../carriers/usps/simulator.js';
import { callGateway } from '../support/gateway-client.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `usps-rates-key-${randomUUID()}`;
const CLIENT = { clientId: 'usps-rates-client', clientSecret: `usps-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, CLIENT.clientSecret);

let sim: UspsSimulatorHandle;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startUspsSimulator({ clients: [CLIENT] });
  gw = await startTestGateway({
    name: 'usps-rates',
    clientKey: CLIENT_KEY,
    accounts: [
      {
        id: 'usps-main',
        carrier: 'usps',
        urls: { token: `${sim.url}${USPS_PATHS.token}`, api: sim.url },
        credentials: { ...CLIENT },
      },
    ],
  });
});

afterAll(() =>
  closeTestGatewaysAnd({
    close: async () => {
      registerIssuedTokens(sim);
      await sim.close();
    },
  }),
);

const rates = (body: object) =>
  callGateway<{ rates: Record<string, unknown>[]; errors: Record<string, unknown>[] }>(gw, '/v1/rates', {
    method: 'POST',
    key: CLIENT_KEY,
    body,
  });

describe('USPS prices and tracking', () => {
  it('prices one domestic parcel: the lowest price per mail class, in dollars', async () => {
    const answer = await rates(SHIPMENT);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([]);
    expect(answer.body.rates.map((rate) => rate['serviceCode'])).toEqual([
      'USPS_GROUND_ADVANTAGE',
      'PRIORITY_MAIL',
      'PRIORITY_MAIL_EXPRESS',
    ]);
    expect(answer.body.rates[0]).toMatchObject({
      account: 'usps-main',
      carrier: 'usps',
      service: 'USPS Ground Advantage',
      currency: 'USD',
    });
  });

  it('answers not_supported, without a call, for what one price query cannot express', async () => {
    const before = sim.stats().apiRequests;
    for (const body of [
      { ...SHIPMENT, parcels: [{ weightKg: 1 }] },
      { ...SHIPMENT, parcels: [...SHIPMENT.parcels, ...SHIPMENT.parcels] },
      { ...SHIPMENT, recipient: { ...SHIPMENT.recipient, countryCode: 'DE', postalCode: '10115' } },
    ]) {
      const answer = await rates(body);
      expect(answer.body).toEqual({
        rates: [],
        errors: [
          { account: 'usps-main', code: 'not_supported', detail: 'USPS does not price this shipment' },
        ],
      });
    }
    expect(sim.stats().apiRequests).toBe(before);
  });

  it('tracks a delivered parcel, newest event first, with who signed', async () => {
    const answer = await callGateway<Record<string, unknown> & { events: Record<string, unknown>[] }>(
      gw,
      '/v1/tracking/9400100000000000000005',
      { key: CLIENT_KEY },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ carrier: 'usps', status: 'delivered', signedBy: 'A BUYER' });
    expect(answer.body.events[0]).toMatchObject({ carrierCode: '01', status: 'delivered' });
    expect(answer.body.events.at(-1)).toMatchObject({ carrierCode: 'MA', status: 'pre_transit' });
  });
});
