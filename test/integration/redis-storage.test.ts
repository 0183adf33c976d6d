/**
 * @module test/integration/redis-storage
 * What the token engine leaves in Redis: tokens only sealed (no access or refresh token, no
 * secret in any key or value), and a refresh lock whose release checks ownership, so a holder
 * whose lock expired cannot free the lock another instance now holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { RedisRefreshLock } from '../../src/auth/refresh-lock.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { accountsFrom, startInstance } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const SECRET = 'storage-ups-secret-0123456789';

describe('what Redis holds', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;

  beforeAll(async () => {
    registerSecrets(SECRET);
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [{ clientId: 'storage-client', clientSecret: SECRET }] });
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await sim?.close();
    await redis?.kill();
  });

  it('stores tokens sealed: no token, refresh token or secret appears in any key or value', async () => {
    const seed = sim.issueRefreshToken('storage-client');
    registerSecrets(seed);
    const urls = `{ token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }`;
    const accounts = accountsFrom(`
  - id: ups-cc
    carrier: ups
    urls: ${urls}
    credentials: { clientId: storage-client, clientSecret: "${SECRET}" }
  - id: ups-ac
    carrier: ups
    grant: authorization_code
    urls: ${urls}
    credentials: { clientId: storage-client, clientSecret: "${SECRET}", refreshToken: "${seed}" }
`);
    const instance = await startInstance(redis.url, accounts);
    try {
      const cc = await instance.engine.manager('ups-cc').getToken();
      const ac = await instance.engine.manager('ups-ac').getToken();
      expect(ac.refreshToken).toBeDefined();
      const plaintexts = [cc.accessToken, ac.accessToken, ac.refreshToken!, seed, SECRET];

      const client = redis.client();
      const keys = await client.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      let dump = keys.join('\n');
      for (const key of keys) {
        const type = await client.type(key);
        if (type === 'hash') dump += JSON.stringify(await client.hgetall(key));
        else if (type === 'string') dump += (await client.get(key)) ?? '';
      }
      client.disconnect();
      for (const plaintext of plaintexts) expect(dump.includes(plaintext)).toBe(false);
      // And the sealed record opens back to the same token.
      expect((await instance.engine.store.read('ups-cc'))?.accessToken).toBe(cc.accessToken);
    } finally {
      await instance.close();
    }
  });

  it('a lock that expired cannot be released by its old holder', async () => {
    const connection = new RedisConnection({ url: redis.url, keyPrefix: 'locktest:' }, testLogger());
    await connection.connect();
    const lock = new RedisRefreshLock(connection, { ttlMs: 200, autoExtend: false });
    try {
      const first = await lock.tryAcquire('acct');
      expect(first).not.toBeNull();
      expect(await lock.tryAcquire('acct')).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await lock.tryAcquire('acct');
      expect(second).not.toBeNull();
      await first!.release();
      // Still held by the second holder.
      expect(await lock.tryAcquire('acct')).toBeNull();
      await second!.release();
      expect(await lock.tryAcquire('acct')).not.toBeNull();
    } finally {
      await connection.close();
    }
  });

  it('an extended lock outlives its first TTL while the refresh runs', async () => {
    const connection = new RedisConnection({ url: redis.url, keyPrefix: 'locktest2:' }, testLogger());
    await connection.connect();
    const lock = new RedisRefreshLock(connection, { ttlMs: 200, autoExtend: true });
    try {
      const held = await lock.tryAcquire('acct');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await lock.tryAcquire('acct')).toBeNull();
      await held!.release();
      expect(await lock.tryAcquire('acct')).not.toBeNull();
    } finally {
      await connection.close();
    }
  });
});
