/**
 * @module test/tracking/laposte.test
 * La Poste Suivi through `GET /v1/tracking` against the La Poste simulator (a static Okapi key):
 * the parcel's events newest first with La Poste's codes, its status, and 404 for a number the
 * carrier does not know yet (returnCode 104).
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLaposteSimulator, type LaposteSimulatorHandle } from '../../carriers/laposte/simulator.js';
import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `laposte-tracking-key-${randomUUID()}`;
const APP = { clientId: 'laposte-tracking-app', clientSecret: `okapi-key-${randomUUID()}` };
registerSecrets(CLIENT_KEY, APP.clientSecret);

let sim: LaposteSimulatorHandle;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startLaposteSimulator({ clients: [APP], unknownIdShips: ['6A99999999404'] });
  gw = await startTestGateway({
    name: 'laposte-tracking',
    clientKey: CLIENT_KEY,
    accounts: [{ id: 'laposte-main', carrier: 'laposte', urls: { api: sim.url }, credentials: { ...APP } }],
  });
});

afterAll(() => closeTestGatewaysAnd(sim));

describe('La Poste Suivi', () => {
  it('reads the events newest first, La Poste’s codes kept, the latest deciding the status', async () => {
    const answer = await callGateway<Record<string, unknown> & { events: Record<string, unknown>[] }>(
      gw,
      '/v1/tracking/6A12345678901',
      { key: CLIENT_KEY },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ account: 'laposte-main', carrier: 'laposte', status: 'in_transit' });
    expect(answer.body.events.map((event) => event['carrierCode'])).toEqual(['ET1', 'PC1']);
  });

  it('answers 404 with La Poste’s returnCode for a number it does not know yet', async () => {
    const answer = await callGateway(gw, '/v1/tracking/6A99999999404', { key: CLIENT_KEY });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'ERR_TRACKING_NOT_FOUND', carrierCode: '104' });
  });
});
