/**
 * @module test/health/health-endpoints.test
 * `GET /v1/health/carriers(/{id})` on two gateway instances sharing a real redis-server, with the
 * UPS and FedEx simulators: traffic on one instance is counted in the history the other reads;
 * an auth outage shows as failures by class, a lower score with its inputs, `down` once the
 * breaker opens, and the runbook for the class; the history survives an instance restart; an
 * admin key sees every account, a client key only its own.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AccountHealth } from '../../src/health/health-service.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `health-shop-key-${randomUUID()}`;
const OTHER_KEY = `health-other-key-${randomUUID()}`;
const ADMIN_KEY = `health-admin-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY, OTHER_KEY, ADMIN_KEY);

let redis: TestRedis;
let sims: ShippingSimulators;
let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let accounts: Record<string, unknown>[] = [];
const instances: TestGateway[] = [];

async function start(): Promise<TestGateway> {
  const instance = await startTestGateway({
    name: 'health',
    redis,
    admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
    clients: [
      { apiKey: CLIENT_KEY, accounts: ['ups-main', 'fedex-main'] },
      { id: 'other', apiKey: OTHER_KEY, accounts: ['fedex-main'] },
    ],
    accounts,
    breaker: { volumeThreshold: 3, consecutiveFailures: 3 },
  });
  instances.push(instance);
  return instance;
}

const health = async (url: string, key: string, id?: string) =>
  callGateway<unknown>(url, `/v1/health/carriers${id ? `/${id}` : ''}`, { key });

const ship = async (url: string) => (await postShipment(url, CLIENT_KEY)).account;

beforeAll(async () => {
  redis = await TestRedis.start();
  sims = await startShippingSimulators('health');
  ({ ups, fedex } = sims);
  accounts = [
    sims.upsMain({
      secretExpiresAt: new Date(Date.now() + 5 * 24 * 3600 * 1000).toISOString(),
    }),
    sims.fedexMain(),
  ];
  await start();
  await start();
});

afterAll(() => closeTestGatewaysAnd(sims, redis));

describe('carrier health endpoints', () => {
  it('counts traffic from one instance in what another reports; an outage lowers the score and names its runbook', async () => {
    const [a, b] = instances as [TestGateway, TestGateway];
    for (let i = 0; i < 3; i += 1) expect(await ship(a.url)).toBe('ups-main');
    await a.gateway.recorder.flush();
    const healthy = (await health(b.url, ADMIN_KEY, 'ups-main')).body as AccountHealth;
    expect(healthy).toMatchObject({ account: 'ups-main', carrier: 'ups', breaker: { state: 'closed' } });
    expect(healthy.token.refreshesLastHour).toBeGreaterThanOrEqual(1);
    expect(healthy.token.refreshLatencyMs.p50).not.toBeNull();
    expect(healthy.secret?.daysLeft).toBe(4);
    expect(healthy.inputs.find((row) => row.name === 'secretExpiresInDays')).toMatchObject({ penalty: 11 });
    expect(healthy.trend).toHaveLength(96);
    expect(healthy.trend.at(-1)!.successRate).toBe(1);

    await ups.setFaults({ prematureExpirySeconds: 0, errorInSuccessBody: true });
    for (let i = 0; i < 4; i += 1) expect(await ship(a.url)).toBe('fedex-main');
    await a.gateway.recorder.flush();
    const down = (await health(b.url, ADMIN_KEY, 'ups-main')).body as AccountHealth;
    expect(down.status).toBe('down');
    expect(down.breaker.state).toBe('open');
    expect(down.failures['5m']['token_endpoint.error_in_success_body']).toBeGreaterThanOrEqual(1);
    expect(down.currentFailureClass).not.toBeNull();
    expect(down.runbook).toMatch(/^docs\/runbooks\/[a-z-]+\.md$/);
    expect(down.score).toBeLessThan(healthy.score);
    const breakerInput = down.inputs.find((row) => row.name === 'breaker');
    expect(breakerInput).toMatchObject({ value: 'open', penalty: 40 });
    await ups.resetFaults();
  });

  it('keeps the history across an instance restart (Redis mode)', async () => {
    const first = instances.shift()!;
    const before = (await health(first.url, ADMIN_KEY, 'ups-main')).body as AccountHealth;
    await first.close();
    const fresh = await start();
    const after = (await health(fresh.url, ADMIN_KEY, 'ups-main')).body as AccountHealth;
    expect(after.failures['24h']).toEqual(before.failures['24h']);
    expect(after.token.refreshesLastHour).toBe(before.token.refreshesLastHour);
  });

  it('shows every account to an admin and only its own to a client', async () => {
    const url = instances[0]!.url;
    const all = (await health(url, ADMIN_KEY)).body as { carriers: AccountHealth[] };
    expect(all.carriers.map((carrier) => carrier.account).sort()).toEqual(['fedex-main', 'ups-main']);
    const own = (await health(url, OTHER_KEY)).body as { carriers: AccountHealth[] };
    expect(own.carriers.map((carrier) => carrier.account)).toEqual(['fedex-main']);
    // Another client's account answers as an unknown one (issue 12.8).
    expect((await health(url, OTHER_KEY, 'ups-main')).status).toBe(404);
    expect((await health(url, ADMIN_KEY, 'nope')).status).toBe(404);
    expect((await health(url, 'wrong-key-0123456789')).status).toBe(401);
  });

  it('exports the health score, token requests by outcome, their latency, and proxied requests', async () => {
    // An embedded gateway of its own: its first call must fetch a token (nothing shared to adopt).
    const gw = await startTestGateway({
      clientKey: CLIENT_KEY,
      accounts: [
        {
          id: 'fedex-solo',
          carrier: 'fedex',
          urls: { token: `${fedex.url}/oauth/token`, api: fedex.url },
          credentials: sims.fedexClient,
        },
      ],
    });
    try {
      const answer = await fetch(`${gw.url}/v1/carriers/fedex-solo/address/v1/addresses/resolve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          addressesToValidate: [
            { address: { streetLines: ['1 Main St'], city: 'Memphis', countryCode: 'US' } },
          ],
        }),
      });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
      await gw.gateway.health.reports();
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      expect(text).toMatch(/carrier_gateway_health_score\{account="fedex-solo"\} \d+/);
      expect(text).toContain(
        'carrier_gateway_token_requests_total{account="fedex-solo",outcome="ok",class=""} 1',
      );
      expect(text).toContain('carrier_gateway_token_request_duration_seconds_count{account="fedex-solo"} 1');
      expect(text).toContain(
        'carrier_gateway_proxied_requests_total{account="fedex-solo",outcome="ok",class=""} 1',
      );
      expect(text).toContain(
        'carrier_gateway_proxied_request_duration_seconds_count{account="fedex-solo",status="200"} 1',
      );
    } finally {
      await gw.close();
    }
  });
});
