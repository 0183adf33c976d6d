/**
 * @module test/health/probes-breaker.test
 * Probes and the account's auth breaker, on a real redis-server with the fleet-shared breaker
 * record: probes alone (no shipment, no proxied request) open the breaker on an auth outage; a
 * passing probe is the half-open trial and closes it; a breaker open and not yet due still gets
 * its probe run and recorded, but hears nothing from it; a carrier API outage is not an auth one.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startOAuth2Simulator, type OAuth2SimulatorHandle } from '../../carriers/oauth2/simulator.js';
import { type ConfiguredAccount } from '../../src/core/account.js';
import { type BreakerPolicy } from '../../src/breaker/auth-breaker.js';
import { configuredAccounts } from '../support/engine.js';
import { eventually } from '../support/eventually.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { proberStack, stackConnection, type ProberStack } from '../support/prober-stack.js';
import { freePort, TestRedis } from '../support/redis-server.js';

const SECRET = `probe-breaker-oauth2-${randomUUID()}`;
registerSecrets(SECRET);

/** Small thresholds: two auth failures in a row open it; a trial may follow 600 ms later. */
const POLICY: Partial<BreakerPolicy> = {
  volumeThreshold: 2,
  errorThresholdPercentage: 50,
  consecutiveFailures: 2,
  rollingCountTimeoutMs: 60_000,
  resetTimeoutMs: 600,
  trialLeaseMs: 5_000,
};

let redis: TestRedis;
let sim: OAuth2SimulatorHandle;
let closedPort = 0;
let prefixCounter = 0;

const running: ProberStack[] = [];

function accountOf(id: string, api = sim.url): ConfiguredAccount {
  return configuredAccounts([
    {
      id,
      carrier: 'oauth2',
      urls: { token: `${sim.url}/oauth/token`, api },
      credentials: { clientId: 'probe-breaker', clientSecret: SECRET },
      oauth2: { clientAuthentication: 'client_secret_basic' },
    },
  ])[0]!;
}

async function instance(
  account: ConfiguredAccount,
  options: { policy?: Partial<BreakerPolicy>; intervalMs?: number } = {},
): Promise<ProberStack> {
  prefixCounter += 1;
  const made = proberStack({
    name: 'probes-breaker',
    accounts: [account],
    connection: await stackConnection(redis.url, `probes-breaker${prefixCounter}:`, 'probes-breaker'),
    breakerPolicy: options.policy ?? POLICY,
    pollMs: 200,
    followFleet: true,
    prober: { intervalMs: options.intervalMs ?? 150, jitterMs: 30 },
  });
  running.push(made);
  await sleep(50); // let the subscriptions land
  return made;
}

beforeAll(async () => {
  redis = await TestRedis.start();
  closedPort = await freePort();
  sim = await startOAuth2Simulator({ clients: [{ clientId: 'probe-breaker', clientSecret: SECRET }] });
});

afterEach(async () => {
  for (const made of running.splice(0)) await made.close();
  await sim.resetFaults();
});

afterAll(async () => {
  if (sim) registerIssuedTokens(sim);
  await sim?.close();
  await redis?.kill();
});

describe('probes and the auth breaker', () => {
  it('probes open the breaker on an auth outage with no shipment traffic, and a passing probe is the half-open trial that closes it', async () => {
    const id = `oauth2-outage-${randomUUID().slice(0, 8)}`;
    const { prober, breakers } = await instance(accountOf(id));
    const transitions: string[] = [];
    breakers.on('transition', (t) => transitions.push(`${t.from}->${t.to}:${t.cause}`));
    await sim.setFaults({ errorInSuccessBody: true });
    const apiBefore = sim.stats().apiRequests;
    prober.start();

    await eventually(() => breakers.state(id).state === 'open', { timeoutMs: 5_000, what: 'breaker open' });
    expect(breakers.state(id).cause).toBe('probe: token_endpoint.error_in_success_body');
    // Nothing but the probes' token requests reached the carrier: no call, no shipment.
    expect(sim.stats().apiRequests).toBe(apiBefore);
    expect(prober.last(id)).toMatchObject({
      ok: false,
      failureClass: 'token_endpoint.error_in_success_body',
    });

    // The outage ends; the next probe after the reset time is the trial, and it passes.
    await sim.resetFaults();
    // The breaker closes while the trial reports to it, a moment before the probe's result is kept.
    // Probes of one account can overlap on a loaded machine (one that saw the breaker open may end
    // after the trial), so every result seen is kept and the trial is looked for among them.
    const seen = new Set<ReturnType<typeof prober.last>>();
    const isTrial = (result: ReturnType<typeof prober.last>) =>
      result?.steps.at(-1)?.detail === 'half-open trial: success';
    await eventually(
      () => {
        seen.add(prober.last(id));
        return breakers.state(id).state === 'closed' && [...seen].some(isTrial);
      },
      { timeoutMs: 5_000, intervalMs: 2, what: 'breaker closed again by the trial' },
    );
    const trial = [...seen].find(isTrial)!;
    expect(breakers.state(id).cause).toBe('trial_succeeded');
    expect(transitions).toEqual([
      'closed->open:probe: token_endpoint.error_in_success_body',
      'open->half_open:trial_started',
      'half_open->closed:trial_succeeded',
    ]);
    expect(trial.ok).toBe(true);
    expect(trial.steps.at(-1)).toMatchObject({ name: 'classify', ok: true });
  });

  it('while open and not yet due, the probe still runs and is recorded, but tells the breaker nothing', async () => {
    const id = `oauth2-open-${randomUUID().slice(0, 8)}`;
    const { prober, breakers, events } = await instance(accountOf(id), {
      policy: { ...POLICY, resetTimeoutMs: 60_000 },
    });
    await sim.setFaults({ errorInSuccessBody: true });
    await prober.runOnce(id);
    await prober.runOnce(id);
    await eventually(() => breakers.state(id).state === 'open', { timeoutMs: 2_000, what: 'breaker open' });
    const generation = breakers.generation(id);

    // Still failing: the probe runs its steps, but the breaker's state is untouched.
    const failing = await prober.runOnce(id);
    expect(failing.steps.map((step) => step.name)).toEqual(['token', 'validation', 'classify']);
    expect(failing.steps.at(-1)!.detail).toBe(
      'breaker open (probe: token_endpoint.error_in_success_body): not reported',
    );
    // The carrier is back: the probe says so, the breaker waits for its reset time and its trial.
    await sim.resetFaults();
    const passing = await prober.runOnce(id);
    expect(passing.ok).toBe(true);
    expect(passing.steps.at(-1)!.detail).toMatch(/^breaker open .*: not reported$/);
    expect(breakers.state(id).state).toBe('open');
    expect(breakers.generation(id)).toBe(generation);
    expect(events.map((event) => event.ok)).toEqual([false, false, false, true]);
  });

  it('a carrier API outage is not an auth failure: the breaker stays closed', async () => {
    const id = `oauth2-api-down-${randomUUID().slice(0, 8)}`;
    const { prober, breakers } = await instance(accountOf(id, `http://127.0.0.1:${closedPort}`));
    for (let i = 0; i < 4; i += 1) {
      const result = await prober.runOnce(id);
      expect(result).toMatchObject({ ok: false, failureClass: 'transport.connect' });
      expect(result.steps.at(-1)!.detail).toBe('breaker: neutral');
    }
    await sleep(100);
    expect(breakers.state(id).state).toBe('closed');
  });
});
