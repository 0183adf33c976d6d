/**
 * @module test/tracking/dhl-express.test
 * MyDHL tracking through `GET /v1/tracking` against the DHL Express simulator (HTTP Basic): a
 * delivered test waybill read newest first with MyDHL's typeCodes and each event's GMT offset,
 * a parcel moved along by the simulator's `trackingStage`, 404 "No data found" as not found, the
 * simulator's tracking fault as a carrier error; and DHL Parcel DE refused with the reason (its
 * saved specs have no tracking operation) without any call.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  DHL_EXPRESS_TEST_WAYBILLS,
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../carriers/dhl-express/simulator.js';
import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `dhlx-tracking-key-${randomUUID()}`;
const DHL = { clientId: 'dhlx-tracking-user', clientSecret: `dhlx-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, DHL.clientSecret);

let sim: DhlExpressSimulatorHandle;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startDhlExpressSimulator({ clients: [DHL] });
  gw = await startTestGateway({
    name: 'dhlx-tracking',
    clientKey: CLIENT_KEY,
    accounts: [
      { id: 'dhlx', carrier: 'dhl-express', urls: { api: `${sim.url}/mydhlapi` }, credentials: { ...DHL } },
      {
        id: 'parcel-de',
        carrier: 'dhl-parcel-de',
        urls: { token: `${sim.url}/unused/token`, api: `${sim.url}/unused` },
        credentials: {
          clientId: 'unused',
          clientSecret: `unused-${randomUUID()}`,
          username: 'u',
          password: 'p',
        },
      },
    ],
  });
});

beforeEach(() => sim.setFaults({ trackingStage: null, trackingFault: { kind: 'none', count: 0 } }));

afterAll(() => closeTestGatewaysAnd(sim));

type Body = Record<string, unknown> & { events: Record<string, unknown>[] };
const track = (number: string, account = 'dhlx') =>
  callGateway<Body>(gw, `/v1/tracking/${number}?account=${account}`, { key: CLIENT_KEY });

describe('MyDHL tracking', () => {
  it('reads a delivered waybill newest first, MyDHL’s typeCodes kept, times with their offset', async () => {
    const waybill = DHL_EXPRESS_TEST_WAYBILLS[0]!;
    sim.clearRequests();
    const answer = await track(waybill);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      trackingNumber: waybill,
      account: 'dhlx',
      carrier: 'dhl-express',
      status: 'delivered',
    });
    expect(answer.body.events.map((event) => event['carrierCode'])).toEqual(['OK', 'DF', 'PU']);
    expect(answer.body.events[0]).toMatchObject({ status: 'delivered', location: 'AUCKLAND-NZ' });
    expect(answer.body.events[0]!['at']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
    expect(sim.requests().at(-1)).toMatchObject({
      method: 'GET',
      resource: `/shipments/${waybill}/tracking`,
      query: 'trackingView=all-checkpoints&levelOfDetail=shipment&requestGMTOffsetPerEvent=true',
      authenticated: true,
      xVersion: '3.1.0',
    });
  });

  it('follows the parcel: out with the courier, then waiting for collection, signed when delivered', async () => {
    const waybill = DHL_EXPRESS_TEST_WAYBILLS[1]!;
    await sim.setFaults({ trackingStage: 'out_for_delivery' });
    const out = await track(waybill);
    expect(out.body).toMatchObject({ status: 'out_for_delivery' });
    expect(out.body.events.map((event) => event['carrierCode'])).toEqual(['WC', 'AF', 'PU', 'DUMMY_PU']);
    await sim.setFaults({ trackingStage: 'delivered' });
    const delivered = await track(waybill);
    expect(delivered.body).toMatchObject({ status: 'delivered', signedBy: 'A.BUYER' });
  });

  it('answers 404 with MyDHL’s status for a waybill it has no data for', async () => {
    const answer = await track('1234567890');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'ERR_TRACKING_NOT_FOUND', carrierCode: '404' });
  });

  it('a MyDHL 500 on tracking is a carrier error, not a 404', async () => {
    await sim.setFaults({ trackingFault: { kind: 'server_error', count: 1 } });
    const answer = await track(DHL_EXPRESS_TEST_WAYBILLS[2]!);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'ERR_TRACKING_UNAVAILABLE', upstreamStatus: 500 });
  });
});

describe('DHL Parcel DE tracking', () => {
  it('is not supported, saying the saved specs have no tracking operation, and calls nothing', async () => {
    const before = sim.stats().apiRequests;
    const answer = await track('00340434161094042557', 'parcel-de');
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'ERR_TRACKING_NOT_SUPPORTED' });
    expect(answer.body['detail']).toContain('have no tracking operation');
    expect(sim.stats().apiRequests).toBe(before);
  });
});
