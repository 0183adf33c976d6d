/**
 * @module test/rates/dhl-express.test
 * MyDHL rates through `POST /v1/rates` against the DHL Express simulator: one dimensioned piece
 * priced per product (billing currency, transit days), several pieces `not_supported` without a
 * call, and the account asked beside others.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../carriers/dhl-express/simulator.js';
import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `dhlx-rates-key-${randomUUID()}`;
const DHL = { clientId: 'dhlx-rates-user', clientSecret: `dhlx-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, DHL.clientSecret);

let sim: DhlExpressSimulatorHandle;
let gw: TestGateway;

const GERMANY = {
  name: 'Lager',
  street: ['Sträßchensweg 10'],
  city: 'Bonn',
  postalCode: '53113',
  countryCode: 'DE',
};
const SHIPMENT = {
  service: 'express',
  shipper: GERMANY,
  recipient: { ...GERMANY, name: 'Jean', city: 'Paris', postalCode: '75002', countryCode: 'FR' },
  parcels: [{ weightKg: 2, lengthCm: 30, widthCm: 20, heightCm: 10 }],
};

beforeAll(async () => {
  sim = await startDhlExpressSimulator({ clients: [DHL] });
  gw = await startTestGateway({
    name: 'dhlx-rates',
    clientKey: CLIENT_KEY,
    accounts: [
      {
        id: 'dhlx',
        carrier: 'dhl-express',
        urls: { api: `${sim.url}/mydhlapi` },
        credentials: { ...DHL },
        shipping: { shipperAccountNumber: '123456789' },
      },
    ],
  });
});

afterAll(() => closeTestGatewaysAnd(sim));

const rates = (body: object) =>
  callGateway<{ rates: Record<string, unknown>[]; errors: Record<string, unknown>[] }>(gw, '/v1/rates', {
    method: 'POST',
    key: CLIENT_KEY,
    body,
  });

describe('MyDHL rates', () => {
  it('prices one dimensioned piece per product, in the billing currency, with transit days', async () => {
    const answer = await rates(SHIPMENT);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([]);
    expect(answer.body.rates.map((rate) => rate['serviceCode'])).toEqual(['P', 'U']);
    expect(answer.body.rates[0]).toMatchObject({
      account: 'dhlx',
      carrier: 'dhl-express',
      service: 'EXPRESS WORLDWIDE',
      currency: 'EUR',
      estimatedDays: 2,
    });
  });

  it('answers not_supported for two pieces, without a call', async () => {
    const before = sim.stats().apiRequests;
    const answer = await rates({ ...SHIPMENT, parcels: [...SHIPMENT.parcels, ...SHIPMENT.parcels] });
    expect(answer.body.errors).toEqual([
      { account: 'dhlx', code: 'not_supported', detail: 'DHL Express does not price this shipment' },
    ]);
    expect(sim.stats().apiRequests).toBe(before);
  });
});
