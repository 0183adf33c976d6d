/**
 * @module test/integration/store-restore.test
 * Redis coming back without the last writes (a failover to a replica that missed them, a restart
 * from an older snapshot): an instance holding a newer token than the store writes it back when
 * it reconnects, and one holding a dead token whose refresh token is newer than the store's
 * refreshes from it, so no instance ever presents a refresh token the carrier already rotated.
 * What Redis loses is simulated by deleting or replacing the account's keys on a real
 * redis-server; test/fleet/sentinel-failover.test.ts shows the same after a real failover.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { registerSecrets } from '../support/log-capture.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

describe('writing back what Redis lost', () => {
  const fixture = useUpsTokenFixture('restore');
  // No proactive refresh: the token is let die.
  const instance = (seed: string) =>
    fixture.instance(
      fixture.accounts(
        fixture.account('ups-cc'),
        fixture.account('ups-ac', {
          refreshToken: seed,
          lines: ['grant: authorization_code', 'refresh: { marginSeconds: 0, windowSeconds: 0 }'],
        }),
      ),
    );
  const sim = () => fixture.sim;
  const redis = () => fixture.redis;

  it('a live token the store lost is written back with its generation, and others adopt it', async () => {
    const seed = sim().issueRefreshToken(fixture.clientId);
    registerSecrets(seed);
    const a = await instance(seed);
    const first = await a.engine.manager('ups-cc').getToken();
    // Redis forgets the token (and its generation counter); A still holds it.
    const raw = redis().client();
    await raw.del('cg:token:{ups-cc}', 'cg:generation:{ups-cc}');
    await a.engine.restoreShared();
    expect((await a.engine.store.read('ups-cc'))?.accessToken).toBe(first.accessToken);
    expect((await a.engine.store.read('ups-cc'))?.generation).toBe(first.generation);
    // An instance started now takes it from the store: no token request.
    const requests = sim().stats().tokenRequests;
    const b = await instance(seed);
    expect((await b.engine.manager('ups-cc').getToken()).accessToken).toBe(first.accessToken);
    expect(sim().stats().tokenRequests).toBe(requests);
    // And the next generation is above the one written back, though the counter was lost.
    expect(await a.engine.store.nextGeneration('ups-cc', 0)).toBe(first.generation + 1);
    raw.disconnect();
  });

  it('never writes back over a newer generation', async () => {
    const seed = sim().issueRefreshToken(fixture.clientId);
    registerSecrets(seed);
    const a = await instance(seed);
    const held = await a.engine.manager('ups-cc').getToken();
    // Another instance has since stored a newer generation.
    await a.engine.store.write('ups-cc', {
      ...held,
      accessToken: 'newer-token-from-elsewhere-0123',
      generation: held.generation + 5,
    });
    await a.engine.restoreShared();
    expect((await a.engine.store.read('ups-cc'))?.accessToken).toBe('newer-token-from-elsewhere-0123');
  });

  it('a dead token whose refresh token is newer than the store’s is refreshed from that refresh token', async () => {
    await sim().setFaults({ tokenLifetimeSeconds: 2 });
    const seed = sim().issueRefreshToken(fixture.clientId);
    registerSecrets(seed);
    const a = await instance(seed);
    const manager = a.engine.tokenManager('ups-ac')!;
    // Generation 1 from the seed; Redis's state at that moment is what it will come back with.
    const first = await manager.getToken();
    const raw = redis().client();
    const snapshot = await raw.hgetall('cg:token:{ups-ac}');
    // A rotates again: generation 2 holds the only live refresh token.
    const second = await manager.refreshNow();
    expect(second.generation).toBeGreaterThan(first.generation);
    await sleep(2_100);
    // Redis comes back from the earlier snapshot: generation 1 (its refresh token spent), no claims.
    await raw.del(...(await raw.keys('cg:*{ups-ac}*')));
    await raw.hset('cg:token:{ups-ac}', snapshot);
    raw.disconnect();
    const before = sim().stats();
    await a.engine.restoreShared();
    // A refreshed from generation 2's refresh token (not generation 1's) and stored the result.
    const after = sim().stats();
    expect(after.tokenRequests).toBe(before.tokenRequests + 1);
    expect(after.refreshTokenReuses).toBe(0);
    expect(after.familiesRevoked).toBe(0);
    const stored = await a.engine.store.read('ups-ac');
    expect(stored?.generation).toBeGreaterThan(second.generation);
    // A new instance adopts it rather than presenting a spent refresh token.
    const b = await instance(seed);
    expect((await b.engine.manager('ups-ac').getToken()).accessToken).toBe(stored?.accessToken);
    expect(sim().stats().familiesRevoked).toBe(0);
    await sim().resetFaults();
  });
});
