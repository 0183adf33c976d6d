/**
 * @module test/health/probes-gateway.test
 * Probes as the gateway runs them (`probes:` in the configuration): with no shipment or proxy
 * traffic at all, an auth outage at UPS is found by the probe, which opens the account's breaker
 * and shows in the health report step by step; FedEx, healthy, stays closed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { AccountHealth } from '../../src/health/health-service.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';

const ADMIN_KEY = `probe-admin-key-${randomUUID()}`;
const CLIENT_KEY = `probe-client-key-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'probe-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'probe-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(ADMIN_KEY, CLIENT_KEY, UPS_CLIENT.clientSecret, FEDEX_CLIENT.clientSecret);

let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let gateway: Gateway;
let base = '';

async function report(id: string): Promise<AccountHealth> {
  const response = await fetch(`${base}/v1/health/carriers/${id}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return (await response.json()) as AccountHealth;
}

beforeAll(async () => {
  ups = await startUpsSimulator({
    clients: [UPS_CLIENT],
    faults: { prematureExpirySeconds: 0, errorInSuccessBody: true },
  });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  const config = parseConfig(
    stringify({
      listen: { port: 0, host: '127.0.0.1' },
      admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
      probes: { intervalSeconds: 5, jitterSeconds: 0 },
      breaker: { consecutiveFailures: 1, volumeThreshold: 1 },
      clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['ups-main', 'fedex-main'] }],
      accounts: [
        {
          id: 'ups-main',
          carrier: 'ups',
          urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
          credentials: UPS_CLIENT,
        },
        {
          id: 'fedex-main',
          carrier: 'fedex',
          urls: { token: `${fedex.url}/oauth/token`, api: fedex.url },
          credentials: FEDEX_CLIENT,
        },
      ],
    }),
    'probes',
  );
  gateway = await createGateway(config, { log: testLogger('probes-gateway') });
  base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
});

afterAll(async () => {
  registerIssuedTokens(ups, fedex);
  await gateway?.close();
  await ups?.close();
  await fedex?.close();
});

describe('probes in the gateway', () => {
  it('open the breaker on an auth outage with no traffic, and report each step', async () => {
    const deadline = Date.now() + 12_000;
    let ups: AccountHealth;
    for (;;) {
      ups = await report('ups-main');
      if (ups.breaker.state === 'open' || Date.now() > deadline) break;
      await sleep(100);
    }
    expect(ups.breaker.state).toBe('open');
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
