/**
 * @module test/tracking/status-store.test
 * The rule that a number's status never goes backwards, as a state machine checked with
 * fast-check over random sequences of carrier answers: the status reported never loses
 * progress, an answer as far along or further is taken as it is, `unknown` never replaces a
 * known status, and the Redis store (one Lua script, a real redis-server) answers exactly as the
 * memory store does for the same sequence.
 */
import { randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STATUS_PROGRESS, TRACKING_STATUSES, type TrackingStatus } from '../../src/core/tracking-adapter.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { MemoryStatusStore, RedisStatusStore, replaces } from '../../src/tracking/status-store.js';
import { testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

let redis: TestRedis;
let connection: RedisConnection;

beforeAll(async () => {
  redis = await TestRedis.start();
  connection = new RedisConnection(
    { url: redis.url, keyPrefix: `ss-${randomUUID()}:` },
    testLogger('status-store'),
  );
  await connection.connect();
});

afterAll(async () => {
  await connection.close();
  await redis.kill();
});

const statuses = fc.array(fc.constantFrom(...TRACKING_STATUSES), { minLength: 1, maxLength: 12 });

describe('a tracking status never goes backwards', () => {
  it('memory store: progress never drops; equal or further is taken; unknown never replaces a known status', async () => {
    await fc.assert(
      fc.asyncProperty(statuses, async (sequence) => {
        const store = new MemoryStatusStore();
        let reported: TrackingStatus | undefined;
        for (const offered of sequence) {
          const answer = await store.offer('acct', 'n1', offered);
          if (reported !== undefined)
            expect(STATUS_PROGRESS[answer.status]).toBeGreaterThanOrEqual(STATUS_PROGRESS[reported]);
          const takes = replaces(reported, offered);
          expect(answer.kept).toBe(!takes);
          expect(answer.status).toBe(takes ? offered : reported);
          if (offered === 'unknown' && reported !== undefined && reported !== 'unknown')
            expect(answer.kept).toBe(true);
          reported = answer.status;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the Redis store answers as the memory store does, number by number', async () => {
    const store = new RedisStatusStore(connection);
    await fc.assert(
      fc.asyncProperty(statuses, async (sequence) => {
        const memory = new MemoryStatusStore();
        const number = randomUUID();
        for (const offered of sequence) {
          const [fromRedis, fromMemory] = await Promise.all([
            store.offer('acct', number, offered),
            memory.offer('acct', number, offered),
          ]);
          expect({ status: fromRedis.status, kept: fromRedis.kept }).toEqual({
            status: fromMemory.status,
            kept: fromMemory.kept,
          });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps one key per number, hash-tagged so it stays in one slot on a Cluster', async () => {
    const store = new RedisStatusStore(connection);
    await store.offer('ups-main', '1Z999', 'in_transit');
    const keys = await connection.client.keys(`${connection.keyPrefix}tracking:*`);
    expect(keys).toContain(`${connection.keyPrefix}tracking:{ups-main:1Z999}`);
  });
});
