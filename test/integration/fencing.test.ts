/**
 * @module test/integration/fencing
 * A refresh that outlives its lock (slow carrier, paused process) can never overwrite a newer
 * token or bring back an expired one: the fenced write refuses it, and the late instance adopts
 * the newer token instead.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RedisTokenStore } from '../../src/auth/redis-token-store.js';
import { TEST_SEALER } from '../support/engine.js';
import { registerSecrets } from '../support/log-capture.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

describe('fenced token writes', () => {
  const fixture = useUpsTokenFixture('fencing');

  it('a refresh whose lock expired mid-flight does not overwrite the newer token', async () => {
    const { sim } = fixture;
    const accounts = fixture.accounts(fixture.account('ups-fence'));
    // A 300 ms lock that is never extended stands in for a process paused past its lock.
    const slow = await fixture.instance(accounts, { lockTtlMs: 300, lockAutoExtend: false });
    const fast = await fixture.instance(accounts, { lockTtlMs: 300, lockAutoExtend: false });
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
    }
  });

  it('never brings back a token that is already dead', async () => {
    const store = new RedisTokenStore(await fixture.connection('dead:'), TEST_SEALER);
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
  });

  it('property: under any interleaving of concurrent writes the newest generation wins and never goes back', async () => {
    const store = new RedisTokenStore(await fixture.connection('prop:'), TEST_SEALER);
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
  });
});
