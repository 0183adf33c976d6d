/**
 * @module test/health/probes-fleet.test
 * Three gateway instances (each its own Redis connections, token engine, breaker and prober) on
 * one real redis-server: each account is probed once per interval across the fleet, not once per
 * instance (counted at the simulators' probe endpoints), the shared token is obtained once, and
 * every instance's `last()` shows the result whichever instance probed.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startOAuth2Simulator, type OAuth2SimulatorHandle } from '../../carriers/oauth2/simulator.js';
import { type ConfiguredAccount } from '../../src/core/account.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { configuredAccounts } from '../support/engine.js';
import { eventually } from '../support/eventually.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { proberStack, soonSuffix, stackConnection, type ProberStack } from '../support/prober-stack.js';
import { TestRedis } from '../support/redis-server.js';

const OAUTH2_SECRET = `probe-fleet-oauth2-${randomUUID()}`;
const UPS_SECRET = `probe-fleet-ups-${randomUUID()}`;
registerSecrets(OAUTH2_SECRET, UPS_SECRET);

let redis: TestRedis;
let oauth2: OAuth2SimulatorHandle;
let ups: UpsSimulatorHandle;
let prefixCounter = 0;

const running: ProberStack[] = [];

function accountsOf(suffix: string): ConfiguredAccount[] {
  const list = [
    {
      id: `oauth2-${suffix}`,
      carrier: 'oauth2',
      urls: { token: `${oauth2.url}/oauth/token`, api: oauth2.url },
      credentials: { clientId: 'probe-fleet', clientSecret: OAUTH2_SECRET },
      oauth2: { clientAuthentication: 'client_secret_basic' },
    },
    {
      id: `ups-${suffix}`,
      carrier: 'ups',
      urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
      credentials: { clientId: 'probe-fleet', clientSecret: UPS_SECRET },
    },
  ];
  return configuredAccounts(list);
}

/** `size` instances sharing one key prefix, as a fleet behind one Redis does. */
async function fleet(size: number, accounts: ConfiguredAccount[], intervalMs: number, jitterMs: number) {
  prefixCounter += 1;
  const keyPrefix = `probes-fleet${prefixCounter}:`;
  const made: ProberStack[] = [];
  for (let i = 0; i < size; i += 1) {
    const name = `probes-fleet-${i}`;
    const instance = proberStack({
      name,
      accounts,
      connection: await stackConnection(redis.url, keyPrefix, name),
      prober: { intervalMs, jitterMs, refreshMs: 200 },
    });
    made.push(instance);
    running.push(instance);
  }
  return made;
}

beforeAll(async () => {
  redis = await TestRedis.start();
  oauth2 = await startOAuth2Simulator({
    clients: [{ clientId: 'probe-fleet', clientSecret: OAUTH2_SECRET }],
  });
  ups = await startUpsSimulator({ clients: [{ clientId: 'probe-fleet', clientSecret: UPS_SECRET }] });
});

afterEach(async () => {
  for (const instance of running.splice(0)) await instance.close();
});

afterAll(async () => {
  registerIssuedTokens(oauth2, ups);
  await oauth2?.close();
  await ups?.close();
  await redis?.kill();
});

describe('probes across a fleet', () => {
  it('with 3 instances on one Redis, each account is probed once per interval', async () => {
    const intervalMs = 400;
    const jitterMs = 100;
    const accounts = accountsOf(randomUUID().slice(0, 8));
    const instances = await fleet(3, accounts, intervalMs, jitterMs);
    // Each probe call takes a while, so overlapping probes would show if the lease let them.
    await oauth2.setFaults({ apiLatencyMs: 50 });
    await ups.setFaults({ apiLatencyMs: 50 });
    const before = { oauth2: oauth2.stats(), ups: ups.stats() };
    const started = Date.now();
    for (const instance of instances) instance.prober.start();
    await sleep(4_000);
    await Promise.all(instances.map((instance) => instance.prober.stop()));
    const elapsedMs = Date.now() - started;
    await oauth2.resetFaults();
    await ups.resetFaults();

    const probed = {
      oauth2: oauth2.stats().apiRequests - before.oauth2.apiRequests,
      ups: ups.stats().apiRequests - before.ups.apiRequests,
    };
    // At most one per interval (the lease), at least one per interval plus jitter and the
    // probe's own time (whoever's timer fires first after the lease ends). Without the lease,
    // three instances would make about three times as many.
    const most = Math.ceil(elapsedMs / intervalMs) + 1;
    const least = Math.floor(elapsedMs / (intervalMs + jitterMs + 150)) - 1;
    for (const count of Object.values(probed)) {
      expect(count).toBeLessThanOrEqual(most);
      expect(count).toBeGreaterThanOrEqual(least);
    }
    // Fresh issuance: once per token lifetime (the first probe); later probes use the shared
    // token, obtained once for the fleet, like UPS's.
    expect(probed.oauth2).toBeGreaterThan(2);
    expect(oauth2.stats().tokensIssued - before.oauth2.tokensIssued).toBe(2);
    expect(ups.stats().tokenRequests - before.ups.tokenRequests).toBe(1);
  });

  it('last() on every instance shows the result, whichever instance probed', async () => {
    // An account whose slot in the 60 s interval comes within a second.
    const accounts = accountsOf(soonSuffix('oauth2-', 60_000, 1_000));
    const [a, b, c] = await fleet(3, accounts, 60_000, 0);
    const id = accounts[0]!.id;
    for (const instance of [a!, b!, c!]) instance.prober.start();
    // The three timers fire at once: one instance wins the lease, the others read its result.
    await eventually(() => [a!, b!, c!].every((instance) => instance.prober.last(id) !== null), {
      timeoutMs: 3_000,
      what: 'every instance has a result',
    });
    const first = a!.prober.last(id)!;
    expect(b!.prober.last(id)).toEqual(first);
    expect(c!.prober.last(id)).toEqual(first);
    expect(oauth2.stats().tokensIssued).toBeGreaterThan(0);

    // An explicit probe on one instance: the others show it within the pub/sub round trip.
    await sleep(5);
    const fresh = await c!.prober.runOnce(id);
    expect(fresh.at).not.toBe(first.at);
    await eventually(() => a!.prober.last(id)?.at === fresh.at, {
      timeoutMs: 1_000,
      what: 'instance a sees the new result',
    });
    await eventually(() => b!.prober.last(id)?.at === fresh.at, {
      timeoutMs: 1_000,
      what: 'instance b sees the new result',
    });
    expect(a!.prober.last(id)).toEqual(fresh);

    // Stored for a few intervals, as JSON without any token in it.
    const key = `${a!.connection!.keyPrefix}probe:${id}`;
    const stored = await a!.connection!.client.get(key);
    expect(JSON.parse(stored!)).toEqual(fresh);
    expect(await a!.connection!.client.pttl(key)).toBeGreaterThan(60_000);
    for (const token of oauth2.issuedTokens()) expect(stored).not.toContain(token);
  });
});
