/**
 * @module test/platform/write-coalescing
 * A Redis connection sends the commands of one event-loop turn in one socket write, in order,
 * and a command sent in a later turn still goes out in that turn: measured on the socket of a
 * real connection to a real redis-server.
 */
import type { Socket } from 'node:net';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RedisConnection } from '../../src/platform/redis.js';
import { testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

/** Counts the writes the socket hands to the operating system (`_write` or `_writev` calls). */
function countWrites(socket: Socket): { count: number } {
  const seen = { count: 0 };
  const internals = socket as unknown as {
    _write: (...args: unknown[]) => unknown;
    _writev: (...args: unknown[]) => unknown;
  };
  for (const name of ['_write', '_writev'] as const) {
    const original = internals[name];
    internals[name] = function (this: unknown, ...args: unknown[]) {
      seen.count += 1;
      return original.apply(this, args);
    };
  }
  return seen;
}

describe('redis write coalescing', () => {
  const redis = TestRedis.forSuite();
  let connection: RedisConnection;

  beforeAll(async () => {
    connection = new RedisConnection({ url: redis.url, keyPrefix: 'coalesce:' }, testLogger('coalesce'));
    await connection.connect();
  });

  afterAll(async () => {
    await connection?.close();
  });

  it('sends a turn’s 500 commands in one write, answered in order', async () => {
    const client = connection.client as Redis;
    const writes = countWrites(client.stream as Socket);
    const sets = Array.from({ length: 250 }, (_, index) =>
      client.set(`coalesce:key:${index}`, String(index)),
    );
    const gets = Array.from({ length: 250 }, (_, index) => client.get(`coalesce:key:${index}`));
    await Promise.all(sets);
    expect(await Promise.all(gets)).toEqual(Array.from({ length: 250 }, (_, index) => String(index)));
    expect(writes.count).toBe(1);
  });

  it('a command sent in a later turn goes out in that turn, without waiting for another', async () => {
    const client = connection.client as Redis;
    for (let round = 0; round < 20; round += 1) {
      await client.incr('coalesce:rounds');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await client.get('coalesce:rounds')).toBe('20');
  });
});
