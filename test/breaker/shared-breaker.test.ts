/**
 * @module test/breaker/shared-breaker.test
 * The breaker record shared through a real redis-server by three "instances" (each its own
 * Redis connections, breaker and cache): an opening seen everywhere within a second, one trial
 * for the whole fleet, recovery everywhere, a decision on an old generation losing its race,
 * a lost pub/sub message made up by the poll, and Redis restarting empty.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AuthBreakers, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { RedisTrialLease } from '../../src/breaker/trial-lease.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { AccountOverrides } from '../../src/overrides/overrides.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import { eventually } from '../support/eventually.js';
import { testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const ACCOUNT = 'ups-main';
const POLICY = {
  volumeThreshold: 3,
  errorThresholdPercentage: 50,
  rollingCountTimeoutMs: 60_000,
  resetTimeoutMs: 400,
  trialLeaseMs: 5_000,
};

let redis: TestRedis;
let prefixCounter = 0;

interface Instance {
  connection: RedisConnection;
  breakers: AuthBreakers;
  state: VersionedState<BreakerState>;
  overrides: AccountOverrides;
}
const running: Instance[] = [];

async function fleet(size: number, pollMs = 300): Promise<Instance[]> {
  prefixCounter += 1;
  const keyPrefix = `fleet${prefixCounter}:`;
  const instances: Instance[] = [];
  for (let i = 0; i < size; i += 1) {
    const log = testLogger(`breaker-${i}`);
    const connection = new RedisConnection({ url: redis.url, keyPrefix }, log);
    await connection.connect();
    const state = new VersionedState<BreakerState>({ namespace: 'breaker', log, redis: connection, pollMs });
    const overrides = new AccountOverrides({ log, redis: connection, accounts: [ACCOUNT], pollMs });
    const breakers = new AuthBreakers({
      accounts: [ACCOUNT],
      state,
      trials: new RedisTrialLease(connection),
      overrides,
      log,
      policy: POLICY,
    });
    breakers.start();
    overrides.start();
    instances.push({ connection, breakers, state, overrides });
  }
  running.push(...instances);
  // Let the subscriptions land.
  await sleep(100);
  return instances;
}

async function openOn(instance: Instance): Promise<void> {
  for (let i = 0; i < POLICY.volumeThreshold; i += 1) {
    const permit = await instance.breakers.permit(ACCOUNT);
    await instance.breakers.report(ACCOUNT, permit, 'auth_failure', 'ERR_TOKEN_ENDPOINT_UNREACHABLE');
  }
  await eventually(() => instance.breakers.state(ACCOUNT).state === 'open', { timeoutMs: 1_000 });
}

/** How long until `check` passes (at most `withinMs`). */
async function msUntil(check: () => boolean, withinMs: number): Promise<number> {
  const started = Date.now();
  await eventually(check, { timeoutMs: withinMs });
  return Date.now() - started;
}

beforeAll(async () => {
  redis = await TestRedis.start();
});

afterEach(async () => {
  for (const instance of running.splice(0)) {
    instance.breakers.stop();
    instance.overrides.stop();
    await instance.connection.close();
  }
});

afterAll(async () => {
  await redis.kill();
});

describe('auth breaker shared by the fleet', () => {
  it('opens on one instance and every other instance treats it as open within a second', async () => {
    const [a, b, c] = await fleet(3);
    await openOn(a!);
    const elapsed = await Promise.all(
      [b!, c!].map((instance) => msUntil(() => instance.breakers.state(ACCOUNT).state === 'open', 1_000)),
    );
    expect(Math.max(...elapsed)).toBeLessThan(1_000);
    for (const instance of [b!, c!]) {
      const permit = await instance.breakers.permit(ACCOUNT);
      expect(permit).toMatchObject({ kind: 'open', cause: 'ERR_TOKEN_ENDPOINT_UNREACHABLE' });
    }
  });

  it('lets exactly one trial through across the fleet, and its success closes the breaker everywhere', async () => {
    const instances = await fleet(3);
    await openOn(instances[0]!);
    await Promise.all(
      instances.map((instance) =>
        eventually(() => instance.breakers.state(ACCOUNT).state === 'open', { timeoutMs: 1_000 }),
      ),
    );
    await sleep(POLICY.resetTimeoutMs + 50);

    const permits = await Promise.all(
      instances.flatMap((instance) =>
        Array.from({ length: 4 }, async () => ({
          instance,
          permit: await instance.breakers.permit(ACCOUNT),
        })),
      ),
    );
    const trials = permits.filter(({ permit }) => permit.kind === 'trial');
    expect(trials).toHaveLength(1);
    expect(permits.filter(({ permit }) => permit.kind === 'open')).toHaveLength(11);

    const [{ instance, permit }] = trials as [(typeof trials)[number]];
    await instance.breakers.report(ACCOUNT, permit, 'success');
    await Promise.all(
      instances.map((each) =>
        eventually(() => each.breakers.state(ACCOUNT).state === 'closed', { timeoutMs: 1_000 }),
      ),
    );
    for (const each of instances) expect((await each.breakers.permit(ACCOUNT)).kind).toBe('pass');
  });

  it('a failed trial opens it again for another reset period everywhere', async () => {
    const instances = await fleet(2);
    await openOn(instances[0]!);
    await eventually(() => instances[1]!.breakers.state(ACCOUNT).state === 'open', { timeoutMs: 1_000 });
    await sleep(POLICY.resetTimeoutMs + 50);
    const permit = await instances[1]!.breakers.permit(ACCOUNT);
    expect(permit.kind).toBe('trial');
    await instances[1]!.breakers.report(ACCOUNT, permit, 'auth_failure', 'fresh_token_rejected');
    await eventually(() => instances[0]!.breakers.state(ACCOUNT).cause === 'fresh_token_rejected', {
      timeoutMs: 1_000,
    });
    expect(instances[0]!.breakers.state(ACCOUNT).state).toBe('open');
    expect((await instances[0]!.breakers.permit(ACCOUNT)).kind).toBe('open');
  });

  it('a write decided on an older generation loses, and the newer state stays', async () => {
    const [a, b] = await fleet(2);
    const first = await a!.state.compareAndSet(ACCOUNT, 0, {
      state: 'open',
      since: 1,
      cause: 'first',
      openUntil: 10,
    });
    expect(first?.generation).toBe(1);
    const newer = await a!.state.compareAndSet(ACCOUNT, 1, { state: 'closed', since: 2, cause: 'newer' });
    expect(newer?.generation).toBe(2);
    // b decides on generation 1 (what it saw before), and must lose.
    const stale = await b!.state.compareAndSet(ACCOUNT, 1, { state: 'open', since: 3, cause: 'stale' });
    expect(stale).toBeNull();
    expect(b!.state.cached(ACCOUNT)).toMatchObject({ generation: 2, value: { cause: 'newer' } });
    await eventually(() => a!.state.cached(ACCOUNT)?.value.cause === 'newer', { timeoutMs: 500 });
  });

  it('races of many writers on one generation: exactly one wins each round and every cache converges', async () => {
    const instances = await fleet(3);
    for (let round = 0; round < 15; round += 1) {
      const expected = instances[0]!.state.cached(ACCOUNT)?.generation ?? 0;
      for (const instance of instances) await instance.state.refresh(ACCOUNT);
      const results = await Promise.all(
        instances.map((instance, index) =>
          instance.state.compareAndSet(ACCOUNT, expected, {
            state: 'closed',
            since: round,
            cause: `writer-${index}`,
          }),
        ),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      const winner = results.find((result) => result !== null)!;
      await Promise.all(
        instances.map((instance) =>
          eventually(() => instance.state.cached(ACCOUNT)?.generation === winner.generation, {
            timeoutMs: 1_000,
          }),
        ),
      );
    }
  });

  it('without the pub/sub message, the poll still brings the change within a second', async () => {
    const [a, b] = await fleet(2, 300);
    await b!.connection.subscriber.unsubscribe();
    await openOn(a!);
    const elapsed = await msUntil(() => b!.breakers.state(ACCOUNT).state === 'open', 1_000);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('after Redis restarts empty, instances drop the old state and take new decisions', async () => {
    const [a, b] = await fleet(2, 200);
    await openOn(a!);
    await eventually(() => b!.breakers.state(ACCOUNT).state === 'open', { timeoutMs: 1_000 });
    await redis.kill();
    await redis.restart();
    await Promise.all(
      [a!, b!].map((instance) => eventually(() => instance.connection.available, { timeoutMs: 5_000 })),
    );
    await Promise.all(
      [a!, b!].map((instance) =>
        eventually(() => instance.breakers.state(ACCOUNT).state === 'closed', { timeoutMs: 2_000 }),
      ),
    );
    await openOn(b!);
    await eventually(() => a!.breakers.state(ACCOUNT).state === 'open', { timeoutMs: 1_000 });
  });

  it('an operator forcing the breaker open on one instance is honoured by every instance', async () => {
    const [a, b, c] = await fleet(3);
    await a!.overrides.set(ACCOUNT, { drained: false, breaker: 'open', reason: 'carrier incident' });
    await Promise.all(
      [b!, c!].map((instance) =>
        eventually(() => instance.overrides.current(ACCOUNT).breaker === 'open', { timeoutMs: 1_000 }),
      ),
    );
    for (const instance of [a!, b!, c!]) {
      expect(await instance.breakers.permit(ACCOUNT)).toMatchObject({ kind: 'open', forced: true });
    }
  });
});
