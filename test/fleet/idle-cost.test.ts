/**
 * @module test/fleet/idle-cost
 * What a fleet costs when nothing happens must not grow with its accounts (issue 11): three
 * gateways on a redis-server of the test's own, with 100 and then 2,000 UPS accounts and no
 * traffic, send the same number of Redis commands per second (`INFO stats`
 * total_commands_processed over a few seconds), and that number is small. And the cost of keeping
 * idle cheap is not paid in latency: a breaker forced open by an operator, and a breaker that
 * opens on auth failures, reach the two other instances within 100 ms (pub/sub carries the record).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TestRedis } from '../support/redis-server.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const INSTANCES = 3;
const MEASURE_MS = 4_000;
/** Per instance: the bound, whatever the number of accounts. */
const IDLE_COMMANDS_PER_SECOND = 20;
const PROPAGATION_MS = 100;

let redis: TestRedis;
let admin: Redis;

beforeAll(async () => {
  redis = await TestRedis.start();
  admin = redis.client();
});

afterAll(async () => {
  admin?.disconnect();
  await closeTestGatewaysAnd(redis);
});

/** JSON is YAML too; the ids are `ups-0`, `ups-1`, ... */
function fleetYaml(accounts: number, keyPrefix: string): string {
  const ids = Array.from({ length: accounts }, (_, index) => `ups-${index}`);
  return JSON.stringify({
    listen: { port: 0, host: '127.0.0.1' },
    redis: { url: redis.url, keyPrefix },
    admins: [{ id: 'oncall', apiKey: 'idle-cost-admin-key-0123456789' }],
    clients: [{ id: 'shop', apiKey: 'idle-cost-shop-key-0123456789', accounts: ids }],
    accounts: ids.map((id) => ({
      id,
      carrier: 'ups',
      // Never called: the test sends no traffic to any account.
      urls: { token: 'http://127.0.0.1:9/security/v1/oauth/token', api: 'http://127.0.0.1:9' },
      credentials: { clientId: 'idle-client', clientSecret: 'idle-cost-secret-0123456789' },
    })),
  });
}

async function startFleet(accounts: number): Promise<TestGateway[]> {
  const yaml = fleetYaml(accounts, `idle-${accounts}:`);
  return Promise.all(
    Array.from({ length: INSTANCES }, (_, index) =>
      startTestGateway({ yaml, name: `idle-${accounts}-${index}`, listen: false }),
    ),
  );
}

async function commandsProcessed(): Promise<number> {
  const info = await admin.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

/** Redis commands per second per instance while the fleet does nothing. */
async function idleRate(): Promise<number> {
  const before = await commandsProcessed();
  const started = performance.now();
  await sleep(MEASURE_MS);
  const after = await commandsProcessed();
  const seconds = (performance.now() - started) / 1000;
  // The second INFO is counted by the time it answers.
  return (after - before - 1) / seconds / INSTANCES;
}

/** ms until `seen` holds on every instance, checked every millisecond. */
async function reachAll(fleet: TestGateway[], seen: (gateway: TestGateway) => boolean): Promise<number> {
  const started = performance.now();
  while (!fleet.every(seen)) {
    if (performance.now() - started > 2_000) throw new Error('not on every instance within 2 s');
    await sleep(1);
  }
  return performance.now() - started;
}

describe('idle cost of a fleet of three, by number of accounts', () => {
  const rates = new Map<number, number>();
  let large: TestGateway[] = [];

  beforeAll(async () => {
    for (const accounts of [100, 2_000]) {
      const fleet = await startFleet(accounts);
      // Boot reads are over once every instance listens; one catch-up interval to settle.
      await sleep(600);
      rates.set(accounts, await idleRate());
      if (accounts === 2_000) large = fleet;
      else await Promise.all(fleet.map((gateway) => gateway.close()));
    }
  }, 120_000);

  it('sends as many Redis commands per second at 2,000 accounts as at 100, and few', () => {
    const small = rates.get(100)!;
    const big = rates.get(2_000)!;
    console.info(
      `idle Redis commands/s per instance: 100 accounts ${small.toFixed(1)}, 2,000 ${big.toFixed(1)}`,
    );
    expect(big).toBeLessThanOrEqual(IDLE_COMMANDS_PER_SECOND);
    expect(small).toBeLessThanOrEqual(IDLE_COMMANDS_PER_SECOND);
    // Equal within noise: a timer tick more or less in the window.
    expect(Math.abs(big - small)).toBeLessThanOrEqual(Math.max(1.5, small * 0.25));
  });

  it('an operator forcing a breaker open on one instance reaches all three within 100 ms', async () => {
    const [a] = large as [TestGateway, ...TestGateway[]];
    const account = 'ups-1999';
    const written = a.gateway.overrides.set(account, { drained: false, breaker: 'open', reason: 'incident' });
    const elapsed = await reachAll(
      large,
      (each) => each.gateway.overrides.current(account).breaker === 'open',
    );
    await written;
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_MS);
    for (const each of large)
      expect(await each.gateway.breakers.permit(account)).toMatchObject({ kind: 'open', forced: true });
  });

  it('a breaker opened by auth failures on one instance is open on all three within 100 ms', async () => {
    const [a] = large as [TestGateway, ...TestGateway[]];
    const account = 'ups-1500';
    const { breakers } = a.gateway;
    for (let i = 1; i < breakers.policy.consecutiveFailures; i += 1)
      await breakers.report(
        account,
        await breakers.permit(account),
        'auth_failure',
        'ERR_TOKEN_INVALID_CLIENT',
      );
    expect(breakers.state(account).state).toBe('closed');
    const last = breakers.report(
      account,
      await breakers.permit(account),
      'auth_failure',
      'ERR_TOKEN_INVALID_CLIENT',
    );
    const elapsed = await reachAll(large, (each) => each.gateway.breakers.state(account).state === 'open');
    await last;
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_MS);
    for (const each of large)
      expect(each.gateway.breakers.state(account)).toMatchObject({ cause: 'ERR_TOKEN_INVALID_CLIENT' });
  });
});
