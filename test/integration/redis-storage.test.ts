/**
 * @module test/integration/redis-storage
 * What the token engine leaves in Redis: tokens only sealed (no access or refresh token, no
 * secret in any key or value), and a refresh lock whose release checks ownership, so a holder
 * whose lock expired cannot free the lock another instance now holds. The shared state, the
 * token-request counters and the health history are written by Lua scripts (not ioredis
 * pipelines, see UPDATE_STATE in src/auth/redis-token-store.ts): what they leave is checked here
 * field by field, expiry included.
 */
import { describe, expect, it } from 'vitest';

import { RedisTokenStore } from '../../src/auth/redis-token-store.js';
import { RedisRefreshLock } from '../../src/auth/refresh-lock.js';
import { HOUR_MS } from '../../src/auth/token-store.js';
import { RedisHistoryStore } from '../../src/health/history.js';
import { TEST_SEALER } from '../support/engine.js';
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

  it('writes an account’s shared state in one step: fields set and deleted together, others kept', async () => {
    const connection = await fixture.connection('statetest:');
    const store = new RedisTokenStore(connection, TEST_SEALER);
    const unknown = { since: 1_700_000_000_000 };
    await store.updateState('acct', { refreshOutcomeUnknown: unknown, reauthorizationRequired: null });
    expect(await store.readState('acct')).toEqual({ refreshOutcomeUnknown: unknown });
    const hold = { since: 1_700_000_100_000, reason: 'invalid_grant' };
    await store.updateState('acct', { refreshOutcomeUnknown: null, reauthorizationRequired: hold });
    expect(await store.readState('acct')).toEqual({ reauthorizationRequired: hold });
    // Nothing to change changes nothing, and a field left undefined is not written.
    await store.updateState('acct', {});
    await store.updateState('acct', { refreshOutcomeUnknown: undefined });
    expect(await store.readState('acct')).toEqual({ reauthorizationRequired: hold });
    // Many at once (one script): the same states, an account without one included.
    expect(await store.readStates(['acct', 'nobody'])).toEqual(
      new Map([
        ['acct', { reauthorizationRequired: hold }],
        ['nobody', {}],
      ]),
    );
  });

  it('counts token requests per hour, each hour’s counter expiring after three hours', async () => {
    const connection = await fixture.connection('counttest:');
    const store = new RedisTokenStore(connection, TEST_SEALER);
    const now = Date.UTC(2026, 11, 7, 10, 30);
    await store.countTokenRequest('acct', now);
    await store.countTokenRequest('acct', now);
    await store.countTokenRequest('acct', now - HOUR_MS);
    expect(await store.tokenRequestCounts('acct', now)).toEqual({ thisHour: 2, lastHour: 1 });
    const client = fixture.redis.client();
    const keys = await client.keys('counttest:token-requests:*');
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(3 * HOUR_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(3 * HOUR_MS);
    }
    client.disconnect();
  });

  it('adds health history into the hour’s hash, with its score, expiring after 25 hours', async () => {
    const connection = await fixture.connection('historytest:');
    const history = new RedisHistoryStore(connection);
    const minute = 29_000_000;
    await history.add('acct', minute, { ok: { api: 2 }, failed: { token: 1 } });
    await history.add('acct', minute, { ok: { api: 3 } });
    await history.setScore('acct', minute, 87);
    const [bucket] = await history.read('acct', minute, minute);
    expect(bucket?.ok.api).toBe(5);
    expect(bucket?.failed.token).toBe(1);
    expect(bucket?.score).toBe(87);
    expect([...(await history.activeSince(minute))]).toEqual(['acct']);
    // Many at once (one script), over two hours: the same buckets as one read each.
    await history.add('other', minute + 60, { failed: { api: 1 } });
    const many = await history.readMany(['acct', 'other', 'nobody'], minute, minute + 60);
    expect(many).toEqual(
      new Map([
        ['acct', await history.read('acct', minute, minute + 60)],
        ['other', await history.read('other', minute, minute + 60)],
        ['nobody', []],
      ]),
    );
    expect(many.get('other')?.[0]?.failed.api).toBe(1);
    const client = fixture.redis.client();
    const ttl = await client.ttl(`historytest:health:acct:${Math.floor(minute / 60)}`);
    client.disconnect();
    expect(ttl).toBeGreaterThan(25 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(25 * 3600);
  });
});
