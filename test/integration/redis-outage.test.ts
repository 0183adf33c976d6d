/**
 * @module test/integration/redis-outage
 * Redis is killed (SIGKILL) while a token refresh is in flight and restarted later on the same
 * port, empty. The gateway does not crash, keeps serving valid tokens, refreshes client-credentials
 * accounts on its own meanwhile, refuses to refresh rotating refresh tokens without the shared
 * lock (and says why), and goes back to the shared store by itself, with no restart and without
 * burning the refresh-token family.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { TEST_SEALER } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { eventually } from '../support/eventually.js';

const API_KEY = 'outage-shop-key-0123456789';
const SECRET = 'outage-ups-secret-0123456789';
const LIFETIME_SECONDS = 2;

describe('redis lost during a refresh', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  let gateway: Gateway;
  let base = '';

  const call = async (account: string) => {
    const response = await fetch(`${base}/v1/carriers/${account}/api/track/v1/details/1Z12345E0205271688`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const body = await response.text();
    return { status: response.status, body };
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
    sim = await startUpsSimulator({
      clients: [{ clientId: 'outage-client', clientSecret: SECRET }],
      faults: { tokenLifetimeSeconds: LIFETIME_SECONDS },
    });
    const seed = sim.issueRefreshToken('outage-client');
    registerSecrets(API_KEY, SECRET, seed);
    const urls = `{ token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }`;
    const config = parseConfig(
      `
redis: { url: "${redis.url}" }
clients: [{ id: shop, apiKey: "${API_KEY}", accounts: [ups-cc, ups-ac] }]
accounts:
  - id: ups-cc
    carrier: ups
    urls: ${urls}
    credentials: { clientId: outage-client, clientSecret: "${SECRET}" }
  - id: ups-ac
    carrier: ups
    grant: authorization_code
    urls: ${urls}
    credentials: { clientId: outage-client, clientSecret: "${SECRET}", refreshToken: "${seed}" }
`,
      'test',
    );
    gateway = await createGateway(config, { log: testLogger('outage'), sealer: TEST_SEALER });
    base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await gateway?.close();
    await sim?.close();
    await redis?.kill();
  });

  it('keeps serving, then recovers by itself', async () => {
    expect((await call('ups-cc')).status).toBe(200);
    expect((await call('ups-ac')).status).toBe(200);

    // Kill Redis while the next (proactive) refresh is waiting on the carrier.
    await sim.setFaults({ tokenLatencyMs: 500 });
    const before = sim.stats().tokenRequests;
    await eventually(() => sim.stats().tokenRequests > before, { timeoutMs: 5_000 });
    await redis.kill();
    await sim.setFaults({ tokenLatencyMs: 0 });

    // Over more than two token lifetimes without Redis: the client-credentials account is served throughout.
    const outageEnds = Date.now() + LIFETIME_SECONDS * 2_000 + 500;
    const statuses: number[] = [];
    while (Date.now() < outageEnds) {
      statuses.push((await call('ups-cc')).status);
      await sleep(100);
    }
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(gateway.redis?.available).toBe(false);

    // The rotating account's access token has expired by now and is not refreshed without the lock.
    const rotating = await call('ups-ac');
    expect(rotating.status).toBe(503);
    expect(JSON.parse(rotating.body)).toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE', account: 'ups-ac' });

    // Still worth sending traffic to (ups-cc is served from memory): ready, degraded, not 503.
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'degraded',
      redis: 'down',
      capabilities: {
        passThrough: { state: 'degraded', detail: expect.stringContaining('1 of 2 accounts') },
      },
    });
    const accounts = (await (
      await fetch(`${base}/v1/accounts`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as {
      accounts: { account: string; state: string }[];
    };
    expect(accounts.accounts.find((account) => account.account === 'ups-ac')?.state).toBe(
      'redis_unavailable',
    );
    // The health reports read their history from Redis: the list and a single report say so
    // with the catalogue's code, not as an internal error.
    for (const path of ['/v1/health/carriers', '/v1/health/carriers/ups-cc']) {
      const health = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
    }

    // Redis comes back empty on the same port; the gateway reconnects without a restart.
    await redis.restart();
    await eventually(() => gateway.redis?.available === true, { timeoutMs: 10_000 });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const rotatingAgain = await call('ups-ac');
    expect(rotatingAgain.status).toBe(200);
    // After the next expiry the client-credentials token is shared through Redis again.
    await sleep(LIFETIME_SECONDS * 1_000);
    expect((await call('ups-cc')).status).toBe(200);
    const client = redis.client();
    await eventually(async () => (await client.hget('cg:token:{ups-cc}', 'gen')) !== null, {
      timeoutMs: 5_000,
    });
    expect(await client.hget('cg:token:{ups-ac}', 'gen')).not.toBeNull();
    client.disconnect();

    const stats = sim.stats();
    expect(stats.refreshTokenReuses).toBe(0);
    expect(stats.familiesRevoked).toBe(0);
  }, 60_000);
});
