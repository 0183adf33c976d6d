/**
 * @module test/proxy/token-churn
 * Issue 12, point 1: a request the carrier refuses whatever the token (a UPS path without
 * `/api/`: 401 250003, carriers/ups/simulator.ts) must not make the gateway ask the token endpoint
 * again and again. The UPS simulator counts every token request; the invariant is
 * token requests ≤ token lifetimes elapsed + the rejection budget, whatever clients send.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { TestRedis } from '../support/redis-server.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import {
  SHOP_KEY,
  UPS_CLIENT,
  bearer,
  call,
  closeObserved,
  upsAccount,
  type RunningGateway,
} from './helpers.js';

/** Refused whatever the token: UPS business APIs live under /api/ ([OPENILLUMI] 250003). */
const BAD = '/v1/carriers/ups-main/track/v1/details/1Z999AA10123456784';
const GOOD = '/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784';
const badPath = (n: number) => `/v1/carriers/ups-main/track/v1/details/1Z999AA1012345678${n}`;

const startChurnGateway = (sim: UpsSimulatorHandle, auth: Record<string, number>, redis?: TestRedis) =>
  startTestGateway({
    name: 'token-churn',
    clientKey: SHOP_KEY,
    accounts: [upsAccount('ups-main', sim, sim.url)],
    config: { auth },
    ...(redis ? { redis: { url: redis.url, keyPrefix: `churn-${Date.now()}:` } } : {}),
  });

const get = (gw: RunningGateway, path: string, init: RequestInit = {}) =>
  call(`${gw.url}${path}`, { ...init, headers: { ...bearer(SHOP_KEY), ...(init.headers ?? {}) } });

async function healthClasses(gw: RunningGateway): Promise<Record<string, number>> {
  await gw.gateway.recorder.flush();
  const report = await gw.gateway.health.report('ups-main');
  return report.failures['5m'] as Record<string, number>;
}

describe('token churn: refusals on a wrong path', () => {
  let sim: UpsSimulatorHandle;
  beforeAll(async () => {
    sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
  });
  afterAll(() => sim.close());
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await closeObserved(gw);
    gw = undefined;
  });

  it('20 calls to a path the carrier always refuses cost one token, with the defaults', async () => {
    gw = await startTestGateway({
      name: 'token-churn',
      clientKey: SHOP_KEY,
      accounts: [upsAccount('ups-main', sim, sim.url)],
      // The production defaults (the test gateway otherwise turns the young-token rule off).
      config: { auth: { youngTokenSeconds: 30, rejectionRefreshIntervalSeconds: 30 } },
    });
    const before = sim.stats().tokenRequests;
    for (let i = 0; i < 20; i += 1) expect((await get(gw, BAD)).status).toBe(401);
    expect((await get(gw, GOOD)).status).toBe(200);
    expect(sim.stats().tokenRequests - before).toBe(1);
  });

  it('a young token refused on one path is the request’s failure; on several distinct paths, the token’s', async () => {
    gw = await startChurnGateway(sim, { youngTokenSeconds: 30, rejectionRefreshIntervalSeconds: 30 });
    const before = sim.stats().tokenRequests;
    for (let i = 0; i < 5; i += 1) expect((await get(gw, BAD)).status).toBe(401);
    let classes = await healthClasses(gw);
    expect(Object.keys(classes).filter((name) => name.startsWith('authorization.'))).toEqual([]);
    // The request's own failure: not held against the account at all (issue 12.11).
    expect(classes).toEqual({});
    expect(sim.stats().tokenRequests - before).toBe(1);

    // Three distinct paths refused with the same young token: no wrong path explains that.
    for (let n = 1; n <= 3; n += 1) expect((await get(gw, badPath(n))).status).toBe(401);
    classes = await healthClasses(gw);
    expect(Object.keys(classes).some((name) => name.startsWith('authorization.'))).toBe(true);
    // ... and the one budgeted renewal was spent on it.
    expect(sim.stats().tokenRequests - before).toBe(2);
  });

  it('invariant: token requests ≤ lifetimes elapsed + rejection budget, whatever clients send', async () => {
    const intervalMs = 1000;
    // Every refusal judged stale (no young-token shelter): only the budget stands between the
    // clients and the token endpoint.
    gw = await startChurnGateway(sim, { youngTokenSeconds: 0, rejectionRefreshIntervalSeconds: 1 });
    const gateway = gw;
    const startedAt = Date.now();
    const before = sim.stats().tokenRequests;
    const request = fc.record({
      path: fc.constantFrom(BAD, GOOD, badPath(1), badPath(2)),
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      withBody: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(request, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        async (waves) => {
          for (const wave of waves) {
            const replies = await Promise.all(
              wave.map(({ path, method, withBody }) =>
                get(gateway, path, {
                  method,
                  ...(withBody && method !== 'GET'
                    ? { body: '{"x":1}', headers: { 'content-type': 'application/json' } }
                    : {}),
                }),
              ),
            );
            for (const reply of replies) expect(reply.status).toBeLessThan(500);
          }
          const elapsed = Date.now() - startedAt;
          // UPS tokens live 4 h (carriers/ups/simulator.ts): no lifetime elapses in this test.
          const budget = Math.floor(elapsed / intervalMs) + 1;
          expect(sim.stats().tokenRequests - before).toBeLessThanOrEqual(1 + budget);
        },
      ),
      { numRuns: 15, seed: 12 },
    );
    // The budget was used: refusals did renew, just not per call.
    expect(sim.stats().tokenRequests - before).toBeGreaterThan(1);
  });
});

describe('token churn across a fleet sharing Redis', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  const gateways: TestGateway[] = [];
  beforeAll(async () => {
    [redis, sim] = await Promise.all([TestRedis.start(), startUpsSimulator({ clients: [UPS_CLIENT] })]);
  });
  afterAll(async () => {
    for (const gw of gateways) await closeObserved(gw);
    await sim.close();
    await redis.kill();
  });

  it('one rejection-driven refresh per account per interval for the whole fleet', async () => {
    const auth = { youngTokenSeconds: 0, rejectionRefreshIntervalSeconds: 30 };
    const a = await startChurnGateway(sim, auth, redis);
    gateways.push(a);
    const b = await startTestGateway({
      name: 'token-churn',
      clientKey: SHOP_KEY,
      accounts: [upsAccount('ups-main', sim, sim.url)],
      config: { auth },
      redis: { url: redis.url, keyPrefix: a.config.redis!.keyPrefix },
    });
    gateways.push(b);
    expect((await get(a, GOOD)).status).toBe(200);
    expect((await get(b, GOOD)).status).toBe(200);
    const before = sim.stats().tokenRequests;
    for (let i = 0; i < 10; i += 1) {
      const replies = await Promise.all([get(a, BAD), get(b, BAD), get(a, badPath(i)), get(b, badPath(i))]);
      for (const reply of replies) expect(reply.status).toBe(401);
    }
    expect(sim.stats().tokenRequests - before).toBeLessThanOrEqual(1);
    expect((await get(a, GOOD)).status).toBe(200);
    expect((await get(b, GOOD)).status).toBe(200);
  });
});
