/**
 * @module test/lifecycle/readiness.test
 * `/readyz` per capability, on two real gateway processes sharing a real Redis that the test
 * kills and restarts. A Redis blip must not take the fleet out of rotation while it can serve
 * from memory:
 * - instance A (a client-credentials account with shipping, an authorization-code account to
 *   onboard) stays ready, degraded: pass-through serves from memory, shipments and onboarding say
 *   they are unavailable, and a shipment is refused as documented (503 ERR_REDIS_UNAVAILABLE);
 * - instance B (only an authorization-code account awaiting consent) can serve nothing without
 *   Redis: 503 not_ready;
 * - both are ready again once Redis is back, without a restart.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { Readiness } from '../../src/lifecycle/readiness.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { upsMainAccount } from '../support/shipping-accounts.js';
import { eventually } from '../support/eventually.js';

const CLIENT_KEY = `ready-client-${randomUUID()}`;
const ADMIN_KEY = `ready-admin-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'ready-ups', clientSecret: `ready-ups-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, ADMIN_KEY, UPS_CLIENT.clientSecret);

let redis: TestRedis;
let ups: UpsSimulatorHandle;
let a: GatewayProcess;
let b: GatewayProcess;

function gatewayConfig(accounts: Record<string, unknown>[]): string {
  return writeConfig(
    JSON.stringify({
      listen: { port: 0, host: '127.0.0.1' },
      redis: { url: redis.url },
      publicUrl: 'http://127.0.0.1:8080',
      admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
      clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: accounts.map((account) => account.id) }],
      accounts,
    }),
  );
}

/** Awaits consent: no refresh token in the configuration, onboarding through the gateway. */
const awaitingConsent = () => ({
  id: 'ups-consent',
  carrier: 'ups',
  grant: 'authorization_code',
  urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
  credentials: UPS_CLIENT,
});

async function readyz(gateway: GatewayProcess): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${gateway.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

const ship = (gateway: GatewayProcess) =>
  fetch(`${gateway.url}/v1/shipments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${CLIENT_KEY}`,
      'idempotency-key': randomUUID(),
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...SHIPMENT, accounts: ['ups-main'] }),
  });

const track = (gateway: GatewayProcess) =>
  fetch(`${gateway.url}/v1/carriers/ups-main/api/track/v1/details/1Z12345E0205271688`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });

/** `/readyz` of the instance once it reports Redis down. */
async function readyzOnceRedisDown(instance: GatewayProcess, name: string) {
  await eventually(async () => (await readyz(instance)).body.redis === 'down', {
    what: `${name} to see Redis down`,
    timeoutMs: 15_000,
  });
  return readyz(instance);
}

beforeAll(async () => {
  redis = await TestRedis.start();
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  [a, b] = await Promise.all([
    startGatewayProcess(gatewayConfig([upsMainAccount(ups, UPS_CLIENT), awaitingConsent()])),
    startGatewayProcess(gatewayConfig([awaitingConsent()])),
  ]);
});

afterAll(async () => {
  registerIssuedTokens(ups);
  await Promise.all([a?.stop(), b?.stop()]);
  await ups?.close();
  await redis?.kill();
});

describe('/readyz per capability', () => {
  it('a Redis loss leaves the instance that can serve from memory ready, and only the other one out', async () => {
    expect(await readyz(a)).toEqual({
      status: 200,
      body: {
        status: 'ready',
        mode: 'shared',
        redis: 'up',
        capabilities: {
          passThrough: { state: 'ready' },
          shipments: { state: 'ready' },
          onboarding: { state: 'ready' },
        },
      },
    });
    expect((await readyz(b)).body).toMatchObject({
      status: 'ready',
      capabilities: { shipments: { state: 'not_configured' }, onboarding: { state: 'ready' } },
    });
    expect((await track(a)).status).toBe(200); // ups-main's token is now in A's memory
    expect((await ship(a)).status).toBe(201);

    await redis.kill();
    const degraded = await readyzOnceRedisDown(a, 'A');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({
      status: 'degraded',
      capabilities: {
        passThrough: { state: 'degraded', detail: expect.stringContaining('1 of 2 accounts') },
        shipments: { state: 'unavailable', detail: expect.stringContaining('idempotency record') },
        onboarding: { state: 'unavailable' },
      },
    });
    // What it says it does, it does.
    expect((await track(a)).status).toBe(200);
    const refused = await ship(a);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('ERR_REDIS_UNAVAILABLE');

    const nothing = await readyzOnceRedisDown(b, 'B');
    expect(nothing.status).toBe(503);
    expect(nothing.body).toMatchObject({
      status: 'not_ready',
      capabilities: {
        passThrough: { state: 'unavailable' },
        shipments: { state: 'not_configured' },
        onboarding: { state: 'unavailable' },
      },
    });

    await redis.restart();
    await eventually(
      async () => {
        const [first, second] = await Promise.all([readyz(a), readyz(b)]);
        return first.body.status === 'ready' && second.body.status === 'ready';
      },
      { what: 'both ready again', timeoutMs: 15_000 },
    );
    expect((await ship(a)).status).toBe(201);
  }, 60_000);
});
