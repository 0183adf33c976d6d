/**
 * @module test/shipments/shipment-store.test
 * The shipment store's rules, the same in memory and on a real redis-server: a record outlives its
 * labels; a rewrite keeps when the shipment began; `update` is compare-and-set (two concurrent
 * changes both land, neither is lost); the in-doubt set follows the status; one lease holder at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisConnection } from '../../src/platform/redis.js';
import {
  MemoryShipmentStore,
  RedisShipmentStore,
  type ShipmentRecord,
  type ShipmentStore,
} from '../../src/shipments/shipment-store.js';
import { testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

let redis: TestRedis;
let connection: RedisConnection;

beforeAll(async () => {
  redis = await TestRedis.start();
  connection = new RedisConnection({ url: redis.url, keyPrefix: 'store-test:' }, testLogger('store'));
  await connection.connect();
});

afterAll(async () => {
  await connection.close();
  await redis.kill();
});

let counter = 0;
function record(change: Partial<ShipmentRecord> = {}): Omit<ShipmentRecord, 'version'> {
  counter += 1;
  const now = new Date();
  return {
    id: `shp_test${counter}_${now.getTime()}`,
    client: 'shop',
    idempotencyKey: 'k',
    carrierKey: 'c',
    status: 'created',
    account: 'ups-main',
    carrier: 'ups',
    reference: `ref-${counter}`,
    trackingNumbers: ['1Z'],
    attempts: [],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    labelsUntil: now.getTime() + 60_000,
    ...change,
  };
}

const label = { format: 'PDF', data: 'AAAA' };

describe.each([
  ['memory', () => new MemoryShipmentStore(3_600_000, 60_000) as ShipmentStore],
  ['redis', () => new RedisShipmentStore(connection, 3_600_000, 60_000) as ShipmentStore],
])('%s shipment store', (_name, make) => {
  it('stores a record with labels and finds it by reference for its client only', async () => {
    const store = make();
    const saved = await store.save(record(), [label]);
    expect((await store.get(saved.id))?.labels).toEqual([label]);
    expect((await store.findByReference('shop', saved.reference!)).map((s) => s.record.id)).toEqual([
      saved.id,
    ]);
    expect(await store.findByReference('other', saved.reference!)).toEqual([]);
  });

  it('drops labels whose retention has passed and keeps the record', async () => {
    const store = make();
    const saved = await store.save(record({ labelsUntil: Date.now() - 1 }), [label]);
    const got = await store.get(saved.id);
    expect(got?.record.status).toBe('created');
    expect(got?.labels).toBeUndefined();
  });

  it('keeps createdAt when a record is written again', async () => {
    const store = make();
    const first = await store.save(record({ status: 'unknown', createdAt: '2026-01-01T00:00:00.000Z' }));
    const again = await store.save({ ...first, status: 'created' });
    expect(again.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(again.version).toBe(first.version + 1);
  });

  it('applies concurrent updates one after the other', async () => {
    const store = make();
    const saved = await store.save(record({ trackingNumbers: [] }));
    await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        store.update(saved.id, (current) => ({
          record: { ...current, trackingNumbers: [...current.trackingNumbers, n] },
        })),
      ),
    );
    expect((await store.get(saved.id))?.record.trackingNumbers.sort()).toEqual(['a', 'b', 'c']);
  });

  it('lists unknown shipments as in doubt until settled or given up', async () => {
    const store = make();
    const saved = await store.save(record({ status: 'unknown' }));
    expect((await store.inDoubt(1000)).map((e) => e.id)).toContain(saved.id);
    await store.update(saved.id, (current) => ({
      record: {
        ...current,
        resolution: { outcome: 'unresolved', by: 'resolver', at: new Date().toISOString(), method: 'lookup' },
      },
    }));
    expect((await store.inDoubt(1000)).map((e) => e.id)).not.toContain(saved.id);
  });

  it('grants the resolution lease to one owner at a time', async () => {
    const store = make();
    expect(await store.lease('shp_lease', 'one', 10_000)).toBe(true);
    expect(await store.lease('shp_lease', 'two', 10_000)).toBe(false);
    await store.unlease('shp_lease', 'one');
    expect(await store.lease('shp_lease', 'two', 10_000)).toBe(true);
    await store.unlease('shp_lease', 'two');
  });
});
