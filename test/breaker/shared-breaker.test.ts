/**
 * @module test/breaker/shared-breaker.test
 * The breaker record shared through a real redis-server by three "instances" (each its own
 * Redis connections, breaker and cache): an opening seen everywhere within a second, one trial
 * for the whole fleet, recovery everywhere, a decision on an old generation losing its race,
 * a lost pub/sub message made up by the poll, and Redis restarting empty. Everything but the
 * restart runs on one redis-server and on a three-master Redis Cluster (where each instance's
 * subscriber may sit on another node than the one a change is published on).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AuthBreakers, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { RedisTrialLease } from '../../src/breaker/trial-lease.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { AccountOverrides } from '../../src/overrides/overrides.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import { testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';

const ACCOUNT = 'ups-main';
const POLICY = {
  volumeThreshold: 3,
  errorThresholdPercentage: 50,
  rollingCountTimeoutMs: 60_000,
  resetTimeoutMs: 400,
  trialLeaseMs: 5_000,
};

let prefixCounter = 0;

interface Instance {
  connection: RedisConnection;
  breakers: AuthBreakers;
  state: VersionedState<BreakerState>;
  overrides: AccountOverrides;
}
const running: Instance[] = [];

async function fleet(
  redis: Pick<TestTopology, 'connection'>,
  size: number,
  pollMs = 300,
): Promise<Instance[]> {
  prefixCounter += 1;
  const keyPrefix = `fleet${prefixCounter}:`;
  const instances: Instance[] = [];
  for (let i = 0; i < size; i += 1) {
    const log = testLogger(`breaker-${i}`);
    const connection = new RedisConnection(redis.connection(keyPrefix), log);
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
  await waitFor(() => instance.breakers.state(ACCOUNT).state === 'open', 1_000);
}

async function waitFor(predicate: () => boolean, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

afterEach(async () => {
  for (const instance of running.splice(0)) {
    instance.breakers.stop();
    instance.overrides.stop();
    await instance.connection.close();
  }
});

describe.each(TOPOLOGIES)('auth breaker shared by the fleet on %s Redis', (topology) => {
  let redis: TestTopology;

  beforeAll(async () => {
    redis = await startTopology(topology);
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it('opens on one instance and every other instance treats it as open within a second', async () => {
    const [a, b, c] = await fleet(redis, 3);
    await openOn(a!);
    const elapsed = await Promise.all(
      [b!, c!].map((instance) => waitFor(() => instance.breakers.state(ACCOUNT).state === 'open', 1_000)),
    );
    expect(Math.max(...elapsed)).toBeLessThan(1_000);
    for (const instance of [b!, c!]) {
      const permit = await instance.breakers.permit(ACCOUNT);
      expect(permit).toMatchObject({ kind: 'open', cause: 'ERR_TOKEN_ENDPOINT_UNREACHABLE' });
    }
  });

  it('lets exactly one trial through across the fleet, and its success closes the breaker everywhere', async () => {
    const instances = await fleet(redis, 3);
    await openOn(instances[0]!);
    await Promise.all(
      instances.map((instance) => waitFor(() => instance.breakers.state(ACCOUNT).state === 'open', 1_000)),
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
      instances.map((each) => waitFor(() => each.breakers.state(ACCOUNT).state === 'closed', 1_000)),
    );
    for (const each of instances) expect((await each.breakers.permit(ACCOUNT)).kind).toBe('pass');
  });

  it('a failed trial opens it again for another reset period everywhere', async () => {
    const instances = await fleet(redis, 2);
    await openOn(instances[0]!);
    await waitFor(() => instances[1]!.breakers.state(ACCOUNT).state === 'open', 1_000);
    await sleep(POLICY.resetTimeoutMs + 50);
    const permit = await instances[1]!.breakers.permit(ACCOUNT);
    expect(permit.kind).toBe('trial');
    await instances[1]!.breakers.report(ACCOUNT, permit, 'auth_failure', 'fresh_token_rejected');
    await waitFor(() => instances[0]!.breakers.state(ACCOUNT).cause === 'fresh_token_rejected', 1_000);
    expect(instances[0]!.breakers.state(ACCOUNT).state).toBe('open');
    expect((await instances[0]!.breakers.permit(ACCOUNT)).kind).toBe('open');
  });

  it('a write decided on an older generation loses, and the newer state stays', async () => {
    const [a, b] = await fleet(redis, 2);
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
    await waitFor(() => a!.state.cached(ACCOUNT)?.value.cause === 'newer', 500);
  });

  it('races of many writers on one generation: exactly one wins each round and every cache converges', async () => {
    const instances = await fleet(redis, 3);
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
          waitFor(() => instance.state.cached(ACCOUNT)?.generation === winner.generation, 1_000),
        ),
      );
    }
  });

  it('with the poll off, pub/sub alone brings an opening to every instance, on whichever node it listens', async () => {
    // Nine instances: on a Cluster each subscriber sits on a random node, so some listen on
    // another node than the one the change is published on (the node of the record's slot).
    const instances = await fleet(redis, 9, 600_000);
    const { keyPrefix } = instances[0]!.connection;
    if (topology === 'cluster') {
      const cluster = (await redis.client()) as Cluster;
      try {
        await cluster.ping();
        const slot = Number(await cluster.cluster('KEYSLOT', `${keyPrefix}{breaker}:records`));
        const publishingNode = cluster.slots[slot]![0];
        const listeners = await Promise.all(
          cluster.nodes('master').map(async (node) => {
            const [, count] = (await node.call('PUBSUB', 'NUMSUB', `${keyPrefix}breaker-events`)) as [
              string,
              number,
            ];
            return { node: `${node.options.host}:${node.options.port}`, count: Number(count) };
          }),
        );
        const elsewhere = listeners.filter(({ node, count }) => node !== publishingNode && count > 0);
        expect(elsewhere.length, JSON.stringify({ publishingNode, listeners })).toBeGreaterThan(0);
      } finally {
        cluster.disconnect();
      }
    }
    await openOn(instances[0]!);
    const elapsed = await Promise.all(
      instances.map((instance) => waitFor(() => instance.breakers.state(ACCOUNT).state === 'open', 1_000)),
    );
    expect(Math.max(...elapsed)).toBeLessThan(1_000);
  });

  it('without the pub/sub message, the poll still brings the change within a second', async () => {
    const [a, b] = await fleet(redis, 2, 300);
    await b!.connection.subscriber.unsubscribe();
    await openOn(a!);
    const elapsed = await waitFor(() => b!.breakers.state(ACCOUNT).state === 'open', 1_000);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('an operator forcing the breaker open on one instance is honoured by every instance', async () => {
    const [a, b, c] = await fleet(redis, 3);
    await a!.overrides.set(ACCOUNT, { drained: false, breaker: 'open', reason: 'carrier incident' });
    await Promise.all(
      [b!, c!].map((instance) =>
        waitFor(() => instance.overrides.current(ACCOUNT).breaker === 'open', 1_000),
      ),
    );
    for (const instance of [a!, b!, c!]) {
      expect(await instance.breakers.permit(ACCOUNT)).toMatchObject({ kind: 'open', forced: true });
    }
  });
});

describe('records of the layout before the change log', () => {
  const redis = TestRedis.forSuite();

  it('are moved once, generation kept, so an override survives the upgrade', async () => {
    const keyPrefix = 'legacy:';
    const direct = redis.client();
    const override = { drained: true, breaker: 'open', reason: 'INC-9' };
    await direct.hset(`${keyPrefix}override:${ACCOUNT}`, 'generation', 3, 'value', JSON.stringify(override));
    const log = testLogger('legacy');
    const connection = new RedisConnection({ url: redis.url, keyPrefix }, log);
    await connection.connect();
    try {
      const state = new VersionedState({ namespace: 'override', log, redis: connection });
      expect(await state.adoptLegacy([ACCOUNT, 'never-written'])).toBe(1);
      await state.load();
      expect(state.cached(ACCOUNT)).toEqual({ generation: 3, value: override });
      // A second boot finds the change counter and reads no old key.
      const again = new VersionedState({ namespace: 'override', log, redis: connection });
      expect(await again.adoptLegacy([ACCOUNT])).toBe(0);
      await again.load();
      expect(again.cached(ACCOUNT)?.generation).toBe(3);
      const next = await again.compareAndSet(ACCOUNT, 3, { ...override, drained: false });
      expect(next?.generation).toBe(4);
    } finally {
      direct.disconnect();
      await connection.close();
    }
  });
});

describe('auth breaker shared by the fleet when Redis restarts', () => {
  const redis = TestRedis.forSuite();

  it('after Redis restarts empty, instances drop the old state and take new decisions', async () => {
    const [a, b] = await fleet({ connection: (keyPrefix) => ({ url: redis.url, keyPrefix }) }, 2, 200);
    await openOn(a!);
    await waitFor(() => b!.breakers.state(ACCOUNT).state === 'open', 1_000);
    await redis.kill();
    await redis.restart();
    await Promise.all([a!, b!].map((instance) => waitFor(() => instance.connection.available, 5_000)));
    await Promise.all(
      [a!, b!].map((instance) => waitFor(() => instance.breakers.state(ACCOUNT).state === 'closed', 2_000)),
    );
    await openOn(b!);
    await waitFor(() => a!.breakers.state(ACCOUNT).state === 'open', 1_000);
  });
});
