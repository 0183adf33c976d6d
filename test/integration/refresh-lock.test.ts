/**
 * @module test/integration/refresh-lock.test
 * The project's own refresh lock (SET NX PX with a random owner value; release and extension by
 * compare-and-delete and compare-and-pexpire) on a real redis-server and on a real three-master
 * Cluster: ownership on release, extension while held and never of someone else's lock, expiry
 * of a lock nobody extends, and a model-based property over acquire/release sequences.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisRefreshLock, type LockHandle } from '../../src/auth/refresh-lock.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { testLogger } from '../support/log-capture.js';
import { freePort } from '../support/redis-server.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';

describe.each(TOPOLOGIES)('refresh lock on %s Redis', (name) => {
  let topology: TestTopology;
  let connection: RedisConnection;
  let raw: Redis | Cluster;
  const lock = (ttlMs: number, autoExtend: boolean) =>
    new RedisRefreshLock(connection, { ttlMs, autoExtend });

  beforeAll(async () => {
    topology = await startTopology(name);
    connection = new RedisConnection(topology.connection('lock-test:'), testLogger('lock'));
    await connection.connect();
    raw = await topology.client();
  }, 60_000);

  afterAll(async () => {
    raw?.disconnect();
    await connection?.close();
    await topology?.stop();
  });

  it('takes the lock with a random owner value and the TTL; while it is held nobody else gets it', async () => {
    const account = randomUUID();
    const locks = lock(5_000, false);
    const held = await locks.tryAcquire(account);
    expect(held).not.toBeNull();
    const key = locks.key(account);
    expect(key).toBe(`lock-test:lock:token:{${account}}`);
    const owner = await raw.get(key);
    expect(owner).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await locks.tryAcquire(account)).toBeNull();
    expect(await lock(5_000, false).tryAcquire(account)).toBeNull();
    // Another account's lock is another key.
    const other = await locks.tryAcquire(randomUUID());
    expect(other).not.toBeNull();
    await held!.release();
    await other!.release();
    expect(await raw.exists(key)).toBe(0);
  });

  it('a holder whose lock expired and was taken cannot release the new holder’s lock', async () => {
    const account = randomUUID();
    const locks = lock(200, false);
    const first = await locks.tryAcquire(account);
    expect(first).not.toBeNull();
    await sleep(300);
    const second = await locks.tryAcquire(account);
    expect(second).not.toBeNull();
    const secondOwner = await raw.get(locks.key(account));
    await first!.release();
    expect(await raw.get(locks.key(account))).toBe(secondOwner);
    expect(await locks.tryAcquire(account)).toBeNull();
    await second!.release();
    expect(await raw.exists(locks.key(account))).toBe(0);
    expect(await locks.tryAcquire(account)).not.toBeNull();
  });

  it('a lock nobody extends expires by itself (its holder died), and can be taken again', async () => {
    const account = randomUUID();
    const locks = lock(200, false);
    expect(await locks.tryAcquire(account)).not.toBeNull();
    await sleep(350);
    expect(await raw.exists(locks.key(account))).toBe(0);
    expect(await locks.tryAcquire(account)).not.toBeNull();
  });

  it('is extended while held, past several TTLs, and the extension stops at release', async () => {
    const account = randomUUID();
    // A TTL long enough that a busy event loop still extends in time (every 500 ms).
    const locks = lock(1_000, true);
    const held = await locks.tryAcquire(account);
    const owner = await raw.get(locks.key(account));
    await sleep(2_500);
    expect(await raw.get(locks.key(account))).toBe(owner);
    expect(await raw.pttl(locks.key(account))).toBeGreaterThan(0);
    expect(await locks.tryAcquire(account)).toBeNull();
    await held!.release();
    expect(await raw.exists(locks.key(account))).toBe(0);
    // No extension brings it back after the release.
    await sleep(700);
    expect(await raw.exists(locks.key(account))).toBe(0);
  });

  it('never extends a lock that is no longer its own', async () => {
    const account = randomUUID();
    const locks = lock(300, true);
    const held = await locks.tryAcquire(account);
    expect(held).not.toBeNull();
    // Lost (say, to a failover) and taken by another instance with a long lease.
    await raw.set(locks.key(account), 'someone-else', 'PX', 10_000);
    await sleep(600);
    expect(await raw.get(locks.key(account))).toBe('someone-else');
    // Still counting down from 10 s: an extension to 300 ms would have shortened it.
    expect(await raw.pttl(locks.key(account))).toBeGreaterThan(9_000);
    await held!.release();
    expect(await raw.get(locks.key(account))).toBe('someone-else');
  });

  it('property: over any sequence of acquires and releases by three holders, at most one holds it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ holder: fc.integer({ min: 0, max: 2 }), acquire: fc.boolean() }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (steps) => {
          const account = randomUUID();
          // Each holder is its own lock object, as each instance has its own.
          const holders = [0, 1, 2].map(() => lock(30_000, false));
          const handles: (LockHandle | null)[] = [null, null, null];
          let modelHolder: number | null = null;
          for (const { holder, acquire } of steps) {
            if (acquire) {
              if (handles[holder] !== null) continue;
              const handle = await holders[holder]!.tryAcquire(account);
              expect(handle !== null).toBe(modelHolder === null);
              if (handle !== null) modelHolder = holder;
              handles[holder] = handle;
            } else {
              await handles[holder]?.release();
              handles[holder] = null;
              if (modelHolder === holder) modelHolder = null;
            }
            expect(await raw.exists(holders[0]!.key(account))).toBe(modelHolder === null ? 0 : 1);
          }
          await Promise.all(handles.map((handle) => handle?.release()));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('refresh lock without Redis', () => {
  it('a Redis error is "not acquired", never a throw', async () => {
    const connection = new RedisConnection(
      { url: `redis://127.0.0.1:${await freePort()}`, keyPrefix: 'lock-test:' },
      testLogger('lock'),
    );
    await connection.connect();
    try {
      expect(connection.available).toBe(false);
      expect(
        await new RedisRefreshLock(connection, { ttlMs: 1_000, autoExtend: true }).tryAcquire('a'),
      ).toBeNull();
    } finally {
      await connection.close();
    }
  });
});
