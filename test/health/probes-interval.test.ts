/**
 * @module test/health/probes-interval.test
 * A carrier's quota outranks the configured probe interval: USPS (60 Addresses calls an hour,
 * `minIntervalSeconds` 300 in carriers/usps/api.ts) is probed once while an OAuth 2.0 account on
 * the same 200 ms interval is probed again and again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, describe, expect, it } from 'vitest';

import { startOAuth2Simulator } from '../../carriers/oauth2/simulator.js';
import { startUspsSimulator, USPS_PATHS } from '../../carriers/usps/simulator.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { configuredAccounts } from '../support/engine.js';
import { proberStack, soonSuffix } from '../support/prober-stack.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';

const USPS_CLIENT = { clientId: 'interval-usps', clientSecret: `usps-${randomUUID()}` };
const OAUTH2_CLIENT = { clientId: 'interval-oauth2', clientSecret: `oauth2-${randomUUID()}` };
registerSecrets(USPS_CLIENT.clientSecret, OAUTH2_CLIENT.clientSecret);

const simulators: SimulatorHandle[] = [];
afterAll(async () => {
  registerIssuedTokens(...simulators);
  await Promise.all(simulators.map((sim) => sim.close()));
});

describe('probe interval', () => {
  it('never probes more often than the carrier allows', async () => {
    const usps = await startUspsSimulator({ clients: [USPS_CLIENT] });
    const oauth2 = await startOAuth2Simulator({ clients: [OAUTH2_CLIENT] });
    simulators.push(usps, oauth2);
    // Its slot in USPS's 300 s interval comes within half a second.
    const uspsId = `usps-q${soonSuffix('usps-q', 300_000, 500)}`;
    const list = [
      {
        id: uspsId,
        carrier: 'usps',
        urls: { token: `${usps.url}${USPS_PATHS.token}`, api: usps.url },
        credentials: USPS_CLIENT,
      },
      {
        id: 'oauth2-q',
        carrier: 'oauth2',
        urls: { token: `${oauth2.url}/oauth/token`, api: oauth2.url },
        credentials: OAUTH2_CLIENT,
        oauth2: { clientAuthentication: 'client_secret_basic' },
      },
    ];
    const { prober, close } = proberStack({
      name: 'probes-interval',
      accounts: configuredAccounts(list),
      prober: { intervalMs: 200, jitterMs: 0 },
    });
    prober.start();
    try {
      await sleep(1_500);
    } finally {
      await close();
    }
    expect(usps.stats().apiRequests).toBe(1);
    expect(prober.last(uspsId)?.ok).toBe(true);
    expect(oauth2.stats().apiRequests).toBeGreaterThanOrEqual(4);
  });
});
