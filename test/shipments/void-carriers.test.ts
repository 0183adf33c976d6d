/**
 * @module test/shipments/void-carriers.test
 * `POST /v1/shipments/{id}/void` at the carriers beyond UPS and FedEx, each through the gateway
 * against its simulator: DHL Parcel DE deletes the order (`DELETE /orders`), USPS cancels the label
 * (`DELETE /labels/v3/label/{n}`, with the payment authorization token); each refuses a manifested
 * shipment with its own reason. MyDHL and Colissimo offer no void: the answer is the documented
 * 422 ERR_VOID_NOT_OFFERED naming what the carrier does offer, and nothing is sent.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { startColissimoSimulator } from '../../carriers/colissimo/simulator.js';
import { startDhlExpressSimulator } from '../../carriers/dhl-express/simulator.js';
import { startDhlParcelDeSimulator } from '../../carriers/dhl-parcel-de/simulator.js';
import { startUspsSimulator } from '../../carriers/usps/simulator.js';
import { BERLIN_KREUZBERG, BONN, LYON, PARIS, shipmentWith } from '../support/addresses.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import {
  colissimoAccount,
  dhlParcelDeAccount,
  uspsAccount,
  useCarrierGateway,
} from '../support/shipping-accounts.js';
import { SHIPMENT } from '../support/shipments.js';

const SHOP_KEY = `void-carriers-${randomUUID()}`;
const DHL_CLIENT = { clientId: 'void-dhl-app', clientSecret: `dhl-secret-${randomUUID()}` };
const DHL_USER = { username: 'void-gkp-user', password: `gkp-pw-${randomUUID()}` };
const USPS_CLIENT = { clientId: 'void-usps', clientSecret: `usps-secret-${randomUUID()}` };
const MYDHL_CLIENT = { clientId: 'void-mydhl', clientSecret: `mydhl-secret-${randomUUID()}` };
const COLISSIMO = { clientId: '800123', clientSecret: `colissimo-key-${randomUUID()}` };
registerSecrets(
  SHOP_KEY,
  DHL_CLIENT.clientSecret,
  DHL_USER.password,
  USPS_CLIENT.clientSecret,
  MYDHL_CLIENT.clientSecret,
  COLISSIMO.clientSecret,
);

const rig = useCarrierGateway(
  'void-carriers',
  SHOP_KEY,
  async () => ({
    dhl: await startDhlParcelDeSimulator({ clients: [DHL_CLIENT], users: [DHL_USER] }),
    usps: await startUspsSimulator({ clients: [USPS_CLIENT] }),
    mydhl: await startDhlExpressSimulator({ clients: [MYDHL_CLIENT] }),
    colissimo: await startColissimoSimulator({ clients: [COLISSIMO] }),
  }),
  ({ dhl, usps, mydhl, colissimo }) => [
    dhlParcelDeAccount('dhl-de', dhl, { ...DHL_CLIENT, ...DHL_USER }),
    uspsAccount('usps-main', usps, USPS_CLIENT, { shipping: {} }),
    {
      id: 'mydhl',
      carrier: 'dhl-express',
      urls: { api: `${mydhl.url}/mydhlapi/test` },
      credentials: MYDHL_CLIENT,
      shipping: { shipperAccountNumber: '123456789' },
    },
    colissimoAccount('colissimo', colissimo, COLISSIMO),
  ],
);

const voidShipment = (id: string) =>
  callGateway(rig.gateway, `/v1/shipments/${id}/void`, { method: 'POST', key: SHOP_KEY });

const GERMAN = shipmentWith({
  shipper: { ...BONN, phone: '+49 123456789' },
  recipient: BERLIN_KREUZBERG,
  parcels: [{ weightKg: 1.2 }],
})();
const FRENCH = shipmentWith({ shipper: PARIS, recipient: LYON, parcels: [{ weightKg: 1.2 }] })();

describe.each([
  ['dhl-de', () => rig.sims.dhl, GERMAN, /manifested/],
  ['usps-main', () => rig.sims.usps, SHIPMENT, /refund request .* cannot be submitted/],
])('void at %s', (account, sim, shipment, tooLate) => {
  it('voids the shipment at the carrier, and refuses a manifested one with the carrier’s reason', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { shipment, accounts: [account] });
    expect(created.status, created.text).toBe(201);
    const numbers = created.body['trackingNumbers'] as string[];
    const voided = await voidShipment(created.body['id'] as string);
    expect(voided.status, voided.text).toBe(200);
    expect(voided.body['status']).toBe('voided');
    for (const number of numbers) expect(sim().ledger.find(number)?.state).toBe('voided');

    const late = await postShipment(rig.gateway, SHOP_KEY, { shipment, accounts: [account] });
    for (const number of late.body['trackingNumbers'] as string[]) sim().ledger.manifest(number);
    const refused = await voidShipment(late.body['id'] as string);
    expect(refused.status).toBe(409);
    expect(refused.body['code']).toBe('ERR_VOID_REFUSED');
    expect(refused.body['reason']).toBe('too_late');
    expect(String(refused.body['detail'])).toMatch(tooLate);
  });
});

describe.each([
  ['mydhl', () => rig.sims.mydhl, SHIPMENT, /MyDHL API .* pickup/],
  ['colissimo', () => rig.sims.colissimo, FRENCH, /Colissimo .* no operation to cancel/],
])('void at %s', (account, sim, shipment, offered) => {
  it('answers 422 ERR_VOID_NOT_OFFERED saying what the carrier offers, and sends nothing', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { shipment, accounts: [account] });
    expect(created.status, created.text).toBe(201);
    const calls = sim().stats().apiRequests;
    const refused = await voidShipment(created.body['id'] as string);
    expect(refused.status).toBe(422);
    expect(refused.body['code']).toBe('ERR_VOID_NOT_OFFERED');
    expect(String(refused.body['detail'])).toMatch(offered);
    expect(sim().stats().apiRequests).toBe(calls);
    const record = await callGateway(rig.gateway, `/v1/shipments/${created.body['id'] as string}`, {
      key: SHOP_KEY,
    });
    expect(record.body['status']).toBe('created');
  });
});
