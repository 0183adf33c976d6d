/**
 * @module test/integration/redis-storage
 * What the token engine leaves in Redis: tokens only sealed (no access or refresh token, no
 * secret in any key or value), and a refresh lock whose release checks ownership, so a holder
 * whose lock expired cannot free the lock another instance now holds.
 */
import { describe, expect, it } from 'vitest';

import { RedisRefreshLock } from '../../src/auth/refresh-lock.js';
import { registerSecrets } from '../support/log-capture.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

describe('what Redis holds', () => {
  const fixture = useUpsTokenFixture('storage');

  it('stores tokens sealed: no token, refresh token or secret appears in any key or value', async () => {
    const seed = fixture.sim.issueRefreshToken(fixture.clientId);
    registerSecrets(seed);
    const instance = await fixture.instance(
      fixture.accounts(
        fixture.account('ups-cc'),
        fixture.account('ups-ac', { refreshToken: seed, lines: ['grant: authorization_code'] }),
      ),
    );
    const cc = await instance.engine.manager('ups-cc').getToken();
    const ac = await instance.engine.manager('ups-ac').getToken();
    expect(ac.refreshToken).toBeDefined();
    const plaintexts = [cc.accessToken, ac.accessToken, ac.refreshToken!, seed, fixture.secret];

    const client = fixture.redis.client();
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
  });

  it('a lock that expired cannot be released by its old holder', async () => {
    const connection = await fixture.connection('locktest:');
    const lock = new RedisRefreshLock(connection, { ttlMs: 200, autoExtend: false });
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
  });

  it('an extended lock outlives its first TTL while the refresh runs', async () => {
    const connection = await fixture.connection('locktest2:');
    // Extended every half TTL: a TTL of 1 s leaves room for a loaded machine's late timers.
    const lock = new RedisRefreshLock(connection, { ttlMs: 1_000, autoExtend: true });
    const held = await lock.tryAcquire('acct');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await lock.tryAcquire('acct')).toBeNull();
    await held!.release();
    expect(await lock.tryAcquire('acct')).not.toBeNull();
  });
});
