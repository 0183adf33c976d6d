/**
 * @module test/health/probes-gateway.test
 * Probes as the gateway runs them (`probes:` in the configuration): with no shipment or proxy
 * traffic at all, an auth outage at UPS is found by the probe, which opens the account's breaker
 * and shows in the health report step by step; FedEx, healthy, stays closed.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AccountHealth } from '../../src/health/health-service.js';
import { eventually } from '../support/eventually.js';
import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const ADMIN_KEY = `probe-admin-key-${randomUUID()}`;
const CLIENT_KEY = `probe-client-key-${randomUUID()}`;
registerSecrets(ADMIN_KEY, CLIENT_KEY);

let sims: ShippingSimulators;
let gw: TestGateway;

const report = async (id: string) =>
  (await callGateway<AccountHealth>(gw, `/v1/health/carriers/${id}`, { key: ADMIN_KEY })).body;

beforeAll(async () => {
  sims = await startShippingSimulators('probe', {
    upsFaults: { prematureExpirySeconds: 0, errorInSuccessBody: true },
  });
  gw = await startTestGateway({
    name: 'probes-gateway',
    config: {
      probes: { intervalSeconds: 5, jitterSeconds: 0 },
      breaker: { consecutiveFailures: 1, volumeThreshold: 1 },
    },
    admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
    clientKey: CLIENT_KEY,
    accounts: [sims.upsMain({ shipping: undefined }), sims.fedexMain({ shipping: undefined })],
  });
});

afterAll(() => closeTestGatewaysAnd(sims));

describe('probes in the gateway', () => {
  it('open the breaker on an auth outage with no traffic, and report each step', async () => {
    const ups = await eventually(
      async () => {
        const health = await report('ups-main');
        expect(health.breaker.state).toBe('open');
        return health;
      },
      { timeoutMs: 12_000, intervalMs: 100, what: 'the probe opens the UPS breaker' },
    );
    expect(ups.status).toBe('down');
    expect(ups.lastProbe?.ok).toBe(false);
    expect(ups.lastProbe?.failureClass).toBe('token_endpoint.error_in_success_body');
    expect(ups.lastProbe?.steps[0]).toMatchObject({ name: 'token', ok: false });
    expect(ups.inputs.find((row) => row.name === 'lastProbe')).toMatchObject({ value: false, penalty: 25 });

    const fedexHealth = await report('fedex-main');
    expect(fedexHealth.breaker.state).toBe('closed');
    expect(fedexHealth.lastProbe?.ok).toBe(true);
    expect(fedexHealth.lastProbe?.steps.map((step) => step.name)).toContain('call');
  }, 20_000);
});
