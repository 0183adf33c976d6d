/**
 * @module test/integration/fencing
 * A refresh that outlives its lock (slow carrier, paused process) can never overwrite a newer
 * token or bring back an expired one: the fenced write refuses it, and the late instance adopts
 * the newer token instead.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { RedisTokenStore } from '../../src/auth/redis-token-store.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { accountsFrom, startInstance, TEST_SEALER } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const SECRET = 'fencing-ups-secret-0123456789';

describe('fenced token writes', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;

  beforeAll(async () => {
    registerSecrets(SECRET);
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [{ clientId: 'fencing-client', clientSecret: SECRET }] });
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await sim?.close();
    await redis?.kill();
  });

  it('a refresh whose lock expired mid-flight does not overwrite the newer token', async () => {
    const accounts = accountsFrom(`
  - id: ups-fence
    carrier: ups
    urls: { token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }
    credentials: { clientId: fencing-client, clientSecret: "${SECRET}" }
`);
    // A 300 ms lock that is never extended stands in for a process paused past its lock.
    const slow = await startInstance(redis.url, accounts, { lockTtlMs: 300, lockAutoExtend: false });
    const fast = await startInstance(redis.url, accounts, { lockTtlMs: 300, lockAutoExtend: false });
    try {
      await sim.setFaults({ tokenLatencyMs: 1_500 });
      const slowRefresh = slow.engine.manager('ups-fence').getToken();
      while (sim.stats().tokenRequests < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await sim.setFaults({ tokenLatencyMs: 0 });
      await new Promise((resolve) => setTimeout(resolve, 400));

      const newer = await fast.engine.manager('ups-fence').getToken();
      const late = await slowRefresh;
      registerSecrets(newer.accessToken, late.accessToken);

      expect(sim.stats().tokenRequests).toBe(2);
      const stored = await fast.engine.store.read('ups-fence');
      expect(stored?.generation).toBe(newer.generation);
      expect(stored?.accessToken).toBe(newer.accessToken);
      // The late instance adopted the newer token rather than keeping its own.
      expect(late.accessToken).toBe(newer.accessToken);
      expect(newer.generation).toBeGreaterThan(1);
    } finally {
      await sim.resetFaults();
      await slow.close();
      await fast.close();
    }
  });

  it('never brings back a token that is already dead', async () => {
    const log = testLogger();
    const connection = new RedisConnection({ url: redis.url, keyPrefix: 'dead:' }, log);
    await connection.connect();
    const store = new RedisTokenStore(connection, TEST_SEALER);
    const now = Date.now();
    const result = await store.write('acct', {
      accessToken: 'dead-token-value-0123456789',
      tokenType: 'Bearer',
      generation: 1,
      obtainedAt: now - 10_000,
      expiresAt: now - 1,
    });
    expect(result).toBe('expired');
    expect(await store.read('acct')).toBeNull();
    await connection.close();
  });

  it('property: under any interleaving of concurrent writes the newest generation wins and never goes back', async () => {
    const log = testLogger();
    const connection = new RedisConnection({ url: redis.url, keyPrefix: 'prop:' }, log);
    await connection.connect();
    const store = new RedisTokenStore(connection, TEST_SEALER);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (batches) => {
          const account = `acct-${(run += 1)}`;
          let highest = 0;
          for (const batch of batches) {
            // Each batch races in parallel, like instances finishing refreshes at the same moment.
            await Promise.all(
              batch.map((generation) =>
                store.write(account, {
                  accessToken: `token-${generation}`,
                  tokenType: 'Bearer',
                  generation,
                  obtainedAt: Date.now(),
                  expiresAt: Date.now() + 60_000,
                }),
              ),
            );
            highest = Math.max(highest, ...batch);
            const stored = await store.read(account);
            expect(stored?.generation).toBe(highest);
            expect(stored?.accessToken).toBe(`token-${highest}`);
          }
        },
      ),
      { numRuns: 60 },
    );
    await connection.close();
  });
});
