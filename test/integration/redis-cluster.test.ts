/**
 * @module test/integration/redis-cluster.test
 * Every Redis store of the gateway on a real three-master Redis Cluster: each operation runs
 * (no CROSSSLOT, no "keys in the pipeline should belong to the same slot"), the keys one script
 * or MULTI touches together share a slot (read back from the nodes themselves, not assumed),
 * accounts spread over the masters, `keyPrefix` stays in front of every key, and a publish is
 * counted (and heard) on every node.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisAuditLog } from '../../src/admin/audit-log.js';
import { RedisRefreshLock } from '../../src/auth/refresh-lock.js';
import { RedisTokenStore } from '../../src/auth/redis-token-store.js';
import { RedisTrialLease } from '../../src/breaker/trial-lease.js';
import { RedisIncidentStore } from '../../src/alerts/dedup.js';
import { RedisHistoryStore } from '../../src/health/history.js';
import { RedisProbeStore } from '../../src/probes/store.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { TEST_SEALER } from '../support/engine.js';
import { testLogger } from '../support/log-capture.js';
import { startTopology, type TestTopology } from '../support/redis-topology.js';

const PREFIX = 'cl-test:';

let cluster: TestTopology;
let connection: RedisConnection;
let raw: Cluster;
const opened: RedisConnection[] = [];

async function connect(): Promise<RedisConnection> {
  const made = new RedisConnection(cluster.connection(PREFIX), testLogger('cluster'));
  await made.connect();
  opened.push(made);
  return made;
}

/** Every key under the prefix, from every master, with its slot as the node computes it. */
async function keysBySlot(): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const node of raw.nodes('master')) {
    for (const key of await node.keys(`${PREFIX}*`))
      found.set(key, Number(await node.cluster('KEYSLOT', key)));
  }
  return found;
}

/** The text of a key's hash tag (`{...}`), as Redis Cluster reads it. */
const tagOf = (key: string) => /\{([^}]+)\}/.exec(key)?.[1];

beforeAll(async () => {
  cluster = await startTopology('cluster');
  connection = await connect();
  raw = (await cluster.client()) as Cluster;
}, 60_000);

afterAll(async () => {
  raw?.disconnect();
  await Promise.all(opened.map((made) => made.close()));
  await cluster?.stop();
});

describe('the gateway’s Redis stores on a three-master Cluster', () => {
  it('the token store: every operation runs, and one account’s keys share one slot', async () => {
    expect(connection.topology).toBe('cluster');
    expect(connection.available).toBe(true);
    const store = new RedisTokenStore(connection, TEST_SEALER);
    const lock = new RedisRefreshLock(connection, { ttlMs: 10_000, autoExtend: false });
    const accounts = Array.from({ length: 12 }, (_, i) => `acct-${i}`);
    for (const account of accounts) {
      const held = await lock.tryAcquire(account);
      expect(held).not.toBeNull();
      const generation = await store.nextGeneration(account, 0);
      expect(generation).toBe(1);
      const token = {
        accessToken: `access-${randomUUID()}`,
        refreshToken: `refresh-${randomUUID()}`,
        tokenType: 'Bearer' as const,
        generation,
        obtainedAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      };
      expect(await store.write(account, token)).toBe('written');
      expect(await store.write(account, { ...token, accessToken: 'stale' })).toBe('stale');
      expect((await store.read(account))?.accessToken).toBe(token.accessToken);
      // The counter lost, the stored token kept: the next generation still rises above it.
      await raw.del(`${PREFIX}generation:{${account}}`);
      expect(await store.nextGeneration(account, 0)).toBe(2);
      expect(await store.claimRefreshToken(account, token.refreshToken, 'refresh')).toBe(true);
      expect(await store.claimRefreshToken(account, token.refreshToken, 'refresh')).toBe(false);
      await store.updateState(account, {
        cooldown: { until: 1, code: 'ERR_TOKEN_ENDPOINT_TIMEOUT', failures: 1 },
      });
      expect((await store.readState(account)).cooldown?.failures).toBe(1);
      // Accounts in different slots: one read each, not one script over all of them.
      expect((await store.readStates([account, 'nobody'])).get(account)?.cooldown?.failures).toBe(1);
      await store.countTokenRequest(account, Date.now());
      await store.countTokenRequest(account, Date.now() - 3_600_000);
      expect(await store.tokenRequestCounts(account, Date.now())).toEqual({ thisHour: 1, lastHour: 1 });
      await store.announce(account, generation);
      await held!.release();
    }
    await store.saveAuthorization(
      'state-1',
      {
        account: 'acct-0',
        redirectUri: 'https://gw/cb',
        startedBy: 'ops',
        createdAt: 0,
        expiresAt: Date.now() + 60_000,
      },
      60_000,
    );
    expect((await store.takeAuthorization('state-1'))?.account).toBe('acct-0');

    const slots = await keysBySlot();
    const byAccount = new Map<string, Set<number>>();
    for (const [key, slot] of slots) {
      expect(key.startsWith(PREFIX)).toBe(true);
      const tag = tagOf(key);
      if (tag === undefined) continue;
      byAccount.set(tag, (byAccount.get(tag) ?? new Set()).add(slot));
    }
    for (const account of accounts) {
      // token, generation, state, claim and the hourly counters (the lock was released).
      expect(
        [...slots.keys()].filter((key) => tagOf(key) === account).length,
        `keys of ${account}`,
      ).toBeGreaterThanOrEqual(5);
      expect(byAccount.get(account)?.size, `slots of ${account}'s keys`).toBe(1);
    }
    // And the accounts are spread over the masters, not piled on one.
    const nodesUsed = new Set(accounts.map((account) => raw.slots[[...byAccount.get(account)!][0]!]![0]));
    expect(nodesUsed.size).toBeGreaterThan(1);

    await store.purge('acct-0');
    expect(await store.read('acct-0')).toBeNull();
    expect(await store.readState('acct-0')).toEqual({});
  });

  it('alert incidents: an incident and its cooldown share a slot; open, suppress, announce late, close', async () => {
    const incidents = new RedisIncidentStore(connection);
    const key = `breaker_open:ups-${randomUUID()}`;
    expect(await incidents.open(key, 'i-1', 400)).toEqual({ kind: 'send', id: 'i-1' });
    expect(await incidents.open(key, 'i-2', 400)).toEqual({ kind: 'open', id: 'i-1' });
    expect(await incidents.close(key)).toEqual({ id: 'i-1', announced: true });
    // Flapping: re-opened within the cooldown, quietly; announced once the cooldown has passed.
    expect(await incidents.open(key, 'i-3', 400)).toEqual({ kind: 'suppressed', id: 'i-3' });
    const slots = [...(await keysBySlot())].filter(([name]) => name.includes(key));
    expect(slots.map(([name]) => name).sort()).toEqual([
      `${PREFIX}alerts:cooldown:{${key}}`,
      `${PREFIX}alerts:incident:{${key}}`,
    ]);
    expect(new Set(slots.map(([, slot]) => slot)).size).toBe(1);
    await sleep(450);
    expect(await incidents.open(key, 'i-4', 400)).toEqual({ kind: 'send', id: 'i-3' });
    expect(await incidents.close(key)).toEqual({ id: 'i-3', announced: true });
    expect(await incidents.rememberNetwork('shop', '192.0.2.0/24')).toBe('first');
    expect(await incidents.rememberNetwork('shop', '198.51.100.0/24')).toBe('new');
  });

  it('health history reads an account’s hours across slots; probes load every account at once', async () => {
    const history = new RedisHistoryStore(connection);
    const now = Math.floor(Date.now() / 60_000);
    const minutes = [now - 130, now - 70, now - 1, now];
    for (const minute of minutes)
      await history.add('ups-main', minute, { ok: { api: 2 }, failed: { token: 1 } });
    await history.setScore('ups-main', now, 87);
    const buckets = await history.read('ups-main', now - 180, now);
    expect(buckets.map((bucket) => bucket.minute)).toEqual(minutes);
    expect(buckets.at(-1)).toMatchObject({ ok: { api: 2 }, failed: { token: 1 }, score: 87 });
    expect(await history.readMany(['ups-main', 'nobody'], now - 180, now)).toEqual(
      new Map([
        ['ups-main', buckets],
        ['nobody', []],
      ]),
    );
    // The hour keys are spread: a pipeline over them would be refused.
    const hours = [...(await keysBySlot())].filter(([name]) => name.startsWith(`${PREFIX}health:ups-main:`));
    expect(new Set(hours.map(([, slot]) => slot)).size).toBeGreaterThan(1);

    const probes = new RedisProbeStore(connection);
    const accounts = Array.from({ length: 10 }, (_, i) => `probe-${i}`);
    for (const account of accounts) {
      const lease = await probes.acquire(account, 5_000);
      expect(lease).not.toBeNull();
      expect(await probes.acquire(account, 5_000)).toBeNull();
      await probes.save(account, { at: new Date().toISOString(), ok: true, steps: [] }, 60_000);
      await probes.settle(account, lease!, 1_000);
    }
    expect([...(await probes.load(accounts)).keys()].sort()).toEqual([...accounts].sort());
  });

  it('the audit stream and the breaker trial lease', async () => {
    const audit = new RedisAuditLog(connection);
    for (let i = 0; i < 3; i += 1) {
      await audit.append({
        at: new Date().toISOString(),
        admin: 'ops',
        action: 'drain',
        account: 'ups-main',
        reason: `r${i}`,
        params: {},
        result: { ok: true },
      });
    }
    expect((await audit.list({ limit: 10 })).map((entry) => entry.reason)).toEqual(['r2', 'r1', 'r0']);
    const trials = new RedisTrialLease(connection);
    const lease = await trials.acquire('ups-main', 5_000);
    expect(lease).not.toBeNull();
    expect(await trials.acquire('ups-main', 5_000)).toBeNull();
    await trials.release('ups-main', lease!);
    expect(await trials.acquire('ups-main', 5_000)).not.toBeNull();
  });

  it('a publish is heard and counted on every node, wherever each subscriber listens', async () => {
    const channel = `${PREFIX}config-reload`;
    const listeners = await Promise.all(Array.from({ length: 9 }, () => connect()));
    const heard: string[][] = listeners.map(() => []);
    await Promise.all(
      listeners.map(async (listener, index) => {
        listener.subscriber.on('message', (received: string, message: string) => {
          if (received === channel) heard[index]!.push(message);
        });
        await listener.subscriber.subscribe(channel);
      }),
    );
    const perNode = await Promise.all(
      raw
        .nodes('master')
        .map(async (node) => Number(((await node.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1])),
    );
    // Nine subscribers on three masters picked at random: they do not all sit on one.
    expect(perNode.filter((count) => count > 0).length).toBeGreaterThan(1);
    expect(await connection.publish(channel, 'hello')).toBe(9);
    await sleep(200);
    expect(heard.map((messages) => messages.length)).toEqual(listeners.map(() => 1));
  });
});
