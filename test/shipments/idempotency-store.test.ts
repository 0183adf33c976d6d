/**
 * @module test/shipments/idempotency-store.test
 * The idempotency record's life in both stores (memory, and a real redis-server and Redis
 * Cluster): claim,
 * concurrent duplicate, completion and replay, a different body, an unknown outcome pinned to its
 * account, a lease that ran out, release; and, on Redis, many connections racing for one key.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisConnection } from '../../src/platform/redis.js';
import {
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from '../../src/shipments/idempotency-store.js';
import { testLogger } from '../support/log-capture.js';
import { startTopology, type TestTopology } from '../support/redis-topology.js';

let redis: TestTopology;
let cluster: TestTopology;
const connections: RedisConnection[] = [];

async function connect(on: TestTopology = redis): Promise<RedisConnection> {
  const connection = new RedisConnection(on.connection('idem-test:'), testLogger('idem'));
  await connection.connect();
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startTopology('single'), startTopology('cluster')]);
}, 60_000);

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

let counter = 0;
function record(fingerprint = 'f1'): IdempotencyRecord {
  counter += 1;
  return { fingerprint, shipmentId: `shp_${counter}`, carrierKey: `ck-${counter}`, state: 'in_progress' };
}

const stores: [string, () => Promise<IdempotencyStore>][] = [
  ['memory', async () => new MemoryIdempotencyStore()],
  ['redis', async () => new RedisIdempotencyStore(await connect())],
  ['redis cluster', async () => new RedisIdempotencyStore(await connect(cluster))],
];

describe.each(stores)('%s idempotency store', (_name, make) => {
  it('claims a new key once; a duplicate while it runs is in use', async () => {
    const store = await make();
    const fresh = record();
    expect(await store.begin('k-a', 'owner-1', fresh, 10_000)).toEqual({ kind: 'new', record: fresh });
    expect(await store.begin('k-a', 'owner-2', record(), 10_000)).toEqual({ kind: 'in_use' });
  });

  it('replays the completed response and keeps its shipment id', async () => {
    const store = await make();
    const fresh = record();
    await store.begin('k-b', 'owner-1', fresh, 10_000);
    expect(await store.pin('k-b', 'owner-1', 'ups-main', 10_000)).toBe(true);
    const response = { status: 201, headers: { 'x-carrier-account': 'ups-main' }, body: '{"id":"x"}' };
    expect(await store.complete('k-b', 'owner-1', response)).toBe(true);
    const again = await store.begin('k-b', 'owner-2', record(), 10_000);
    expect(again.kind).toBe('completed');
    if (again.kind !== 'completed') return;
    expect(again.record.response).toEqual(response);
    expect(again.record.shipmentId).toBe(fresh.shipmentId);
  });

  it('refuses the same key with a different body, whatever its state', async () => {
    const store = await make();
    await store.begin('k-c', 'owner-1', record('body-1'), 10_000);
    expect(await store.begin('k-c', 'owner-2', record('body-2'), 10_000)).toEqual({ kind: 'mismatch' });
  });

  it('an unknown outcome is resumed by the next try, pinned to its account, with the same carrier key', async () => {
    const store = await make();
    const fresh = record();
    await store.begin('k-d', 'owner-1', fresh, 10_000);
    await store.pin('k-d', 'owner-1', 'fedex-main', 10_000);
    expect(await store.markUnknown('k-d', 'owner-1', 'fedex-main')).toBe(true);
    const resumed = await store.begin('k-d', 'owner-2', record(), 10_000);
    expect(resumed.kind).toBe('resumed');
    if (resumed.kind !== 'resumed') return;
    expect(resumed.record.account).toBe('fedex-main');
    expect(resumed.record.carrierKey).toBe(fresh.carrierKey);
    // The old owner has lost the key.
    expect(await store.complete('k-d', 'owner-1', { status: 201, headers: {}, body: '' })).toBe(false);
  });

  it('a claim whose lease ran out (its instance died) is taken over, pinned where it was sending', async () => {
    const store = await make();
    await store.begin('k-e', 'owner-1', record(), 10_000);
    await store.pin('k-e', 'owner-1', 'dhl-main', 60);
    await sleep(120);
    const taken = await store.begin('k-e', 'owner-2', record(), 10_000);
    expect(taken.kind).toBe('resumed');
    if (taken.kind === 'resumed') expect(taken.record.account).toBe('dhl-main');
    expect(await store.pin('k-e', 'owner-1', 'dhl-main', 10_000)).toBe(false);
  });

  it('a release frees the key for a fresh start; only the owner may release', async () => {
    const store = await make();
    await store.begin('k-f', 'owner-1', record(), 10_000);
    expect(await store.release('k-f', 'someone-else')).toBe(false);
    expect(await store.release('k-f', 'owner-1')).toBe(true);
    expect((await store.begin('k-f', 'owner-2', record(), 10_000)).kind).toBe('new');
  });
});

describe('redis idempotency store under concurrency', () => {
  it('exactly one of many connections racing for one key claims it', async () => {
    const stores = await Promise.all(
      Array.from({ length: 6 }, async () => new RedisIdempotencyStore(await connect())),
    );
    for (let round = 0; round < 20; round += 1) {
      const key = `race-${round}`;
      const results = await Promise.all(
        stores.flatMap((store, index) =>
          Array.from({ length: 5 }, (_, n) => store.begin(key, `owner-${index}-${n}`, record(), 10_000)),
        ),
      );
      expect(results.filter((result) => result.kind === 'new')).toHaveLength(1);
      expect(results.filter((result) => result.kind === 'in_use')).toHaveLength(29);
    }
  });
});

describe('memory idempotency store bounds', () => {
  it('keeps at most maxEntries, dropping the oldest settled records and never one in progress', async () => {
    const store = new MemoryIdempotencyStore(60_000, Date.now, 3);
    await store.begin('held', 'owner', record(), 60_000);
    for (const key of ['a', 'b']) {
      await store.begin(key, 'owner', record(), 60_000);
      await store.complete(key, 'owner', { status: 201, headers: {}, body: key });
    }
    await store.begin('c', 'owner', record(), 60_000);
    expect(store.evicted).toBe(1);
    expect((await store.begin('held', 'other', record(), 60_000)).kind).toBe('in_use');
    // 'a' was the oldest settled record: it is gone, 'b' is still replayed.
    expect((await store.begin('b', 'other', record('f1'), 60_000)).kind).toBe('completed');
  });
});
