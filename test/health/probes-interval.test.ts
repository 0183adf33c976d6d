/**
 * @module test/health/probes-interval.test
 * A carrier's quota outranks the configured probe interval: USPS (60 Addresses calls an hour,
 * `minIntervalSeconds` 300 in carriers/usps/api.ts) is probed once while an OAuth 2.0 account on
 * the same 200 ms interval is probed again and again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startOAuth2Simulator } from '../../carriers/oauth2/simulator.js';
import { resolveAccount } from '../../src/accounts/resolve.js';
import { startUspsSimulator, USPS_PATHS } from '../../carriers/usps/simulator.js';
import { parseConfig } from '../../config/load.js';
import { TokenEngine } from '../../src/auth/token-engine.js';
import { AuthBreakers, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { MemoryTrialLease } from '../../src/breaker/trial-lease.js';
import { MemoryHistoryStore } from '../../src/health/history.js';
import { Prober } from '../../src/probes/prober.js';
import { HealthRecorder } from '../../src/health/recorder.js';
import { AccountOverrides } from '../../src/overrides/overrides.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';

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
    const list = [
      {
        id: 'usps-q',
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
    const config = parseConfig(
      stringify({
        clients: [{ id: 'shop', apiKey: `k-${randomUUID()}`, accounts: ['usps-q', 'oauth2-q'] }],
        accounts: list,
      }),
      'test',
    );
    const accounts = config.accounts.map((account, index) => resolveAccount(account, index));
    const log = testLogger('probes-interval');
    const ids = accounts.map((account) => account.id);
    const engine = new TokenEngine({ accounts, log });
    const overrides = new AccountOverrides({ log, accounts: ids });
    const breakers = new AuthBreakers({
      accounts: ids,
      state: new VersionedState<BreakerState>({ namespace: 'breaker', log }),
      trials: new MemoryTrialLease(),
      overrides,
      log,
    });
    const recorder = new HealthRecorder({ history: new MemoryHistoryStore(), log });
    const prober = new Prober({ accounts, engine, breakers, recorder, log, intervalMs: 200, jitterMs: 0 });
    prober.start();
    try {
      await sleep(1_500);
    } finally {
      await prober.stop();
      engine.stop();
      breakers.stop();
      await recorder.stop();
    }
    expect(usps.stats().apiRequests).toBe(1);
    expect(prober.last('usps-q')?.ok).toBe(true);
    expect(oauth2.stats().apiRequests).toBeGreaterThanOrEqual(4);
  });
});
