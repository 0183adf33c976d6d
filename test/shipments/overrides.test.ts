/**
 * @module test/shipments/overrides.test
 * Operator overrides honoured by `POST /v1/shipments` (embedded mode): a drained account gets no
 * new shipment, a breaker forced open sends them on, a breaker forced closed lets them through
 * although the automatic state is open, and a lapsed override counts as none.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { SimulatorHandle } from '../../src/sim/index.js';
import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `overrides-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

let sims: ShippingSimulators;
let ups: SimulatorHandle;
let gw: TestGateway;

const ship = () => postShipment(gw, CLIENT_KEY);

beforeAll(async () => {
  sims = await startShippingSimulators('ovr');
  ({ ups } = sims);
  gw = await startTestGateway({
    clientKey: CLIENT_KEY,
    accounts: [sims.upsMain(), sims.fedexMain()],
  });
});

beforeEach(async () => {
  await gw.gateway.overrides.set('ups-main', { drained: false, breaker: 'auto' });
  ups.resetStats();
});

afterAll(() => closeTestGatewaysAnd(sims));

describe('operator overrides on shipments', () => {
  it('a drained account gets no new shipment and is not called at all', async () => {
    await gw.gateway.overrides.set('ups-main', {
      drained: true,
      breaker: 'auto',
      reason: 'carrier maintenance',
    });
    const answer = await ship();
    expect(answer.account).toBe('fedex-main');
    expect(answer.body['attempts']).toMatchObject([
      { account: 'ups-main', outcome: 'drained' },
      { outcome: 'created' },
    ]);
    expect(ups.stats().apiRequests + ups.stats().tokenRequests).toBe(0);
  });

  it('a breaker forced open sends shipments on, naming the override as the cause', async () => {
    await gw.gateway.overrides.set('ups-main', { drained: false, breaker: 'open' });
    const answer = await ship();
    expect(answer.account).toBe('fedex-main');
    expect(answer.body['attempts']).toMatchObject([
      { account: 'ups-main', outcome: 'breaker_open', failure: { code: 'forced_open' } },
      { outcome: 'created' },
    ]);
    expect(ups.stats().apiRequests).toBe(0);
  });

  it('an override past its end counts as none', async () => {
    await gw.gateway.overrides.set('ups-main', { drained: true, breaker: 'open', until: Date.now() - 1 });
    expect((await ship()).account).toBe('ups-main');
  });

  it('a breaker forced closed lets shipments through while the automatic state is open', async () => {
    // An auth outage at UPS opens the automatic breaker (5 failures in the window by default).
    await ups.setFaults({ errorInSuccessBody: true, prematureExpirySeconds: 0 });
    for (let i = 0; i < 6; i += 1) expect((await ship()).account).toBe('fedex-main');
    expect(gw.gateway.breakers.state('ups-main').state).toBe('open');
    await ups.resetFaults();
    // The token engine's fleet-wide cooldown after the failed token request (2 s) must pass too.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect((await ship()).body['attempts']).toMatchObject([
      { account: 'ups-main', outcome: 'breaker_open' },
      {},
    ]);
    await gw.gateway.overrides.set('ups-main', {
      drained: false,
      breaker: 'closed',
      reason: 'verified by hand',
    });
    expect((await ship()).account).toBe('ups-main');
    // The automatic state is untouched underneath; lifting the override brings it back.
    await gw.gateway.overrides.set('ups-main', { drained: false, breaker: 'auto' });
    expect((await ship()).account).toBe('fedex-main');
  });
});
