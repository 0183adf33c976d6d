/**
 * @module test/fleet/rotation
 * An authorization-code account with single-use, rotating refresh tokens (UPS, [UPS-I90]),
 * three gateway processes under concurrent load across 20 refresh cycles: no refresh token is
 * ever presented twice, so the carrier never revokes the token family.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const API_KEY = 'rotation-shop-key-0123456789';
const CLIENT_SECRET = 'rotation-ups-secret-0123456789';
const LIFETIME_SECONDS = 3;
const REFRESH_CYCLES = 20;
const LOOPS_PER_INSTANCE = 8;

describe('rotating refresh tokens across a fleet', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  let fleet: GatewayProcess[] = [];
  const agent = new Agent({ connections: LOOPS_PER_INSTANCE });

  beforeAll(async () => {
    redis = await TestRedis.start();
    sim = await startUpsSimulator({
      clients: [{ clientId: 'rotation-client', clientSecret: CLIENT_SECRET }],
      faults: { tokenLifetimeSeconds: LIFETIME_SECONDS },
    });
    const seed = sim.issueRefreshToken('rotation-client');
    registerSecrets(API_KEY, CLIENT_SECRET, seed);
    const config = writeConfig(`
redis: { url: "${redis.url}" }
clients: [{ id: shop, apiKey: "${API_KEY}", accounts: [ups-oauth] }]
accounts:
  - id: ups-oauth
    carrier: ups
    grant: authorization_code
    urls: { token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }
    credentials: { clientId: rotation-client, clientSecret: "${CLIENT_SECRET}", refreshToken: "${seed}" }
`);
    fleet = await Promise.all([0, 1, 2].map(() => startGatewayProcess(config)));
  }, 60_000);

  afterAll(async () => {
    registerIssuedTokens(sim);
    await Promise.all(fleet.map((instance) => instance.stop()));
    await agent.close();
    await sim?.close();
    await redis?.kill();
  });

  it(`never burns the token family over ${REFRESH_CYCLES} refresh cycles`, async () => {
    const statuses = new Map<number, number>();
    let stop = false;
    const loops = fleet.flatMap((instance) =>
      Array.from({ length: LOOPS_PER_INSTANCE }, async () => {
        while (!stop) {
          // Idempotent reads: a token the carrier rejects under load is replaced and the read retried.
          const response = await request(
            `${instance.url}/v1/carriers/ups-oauth/api/track/v1/details/1Z12345E0205271688`,
            {
              headers: { authorization: `Bearer ${API_KEY}` },
              dispatcher: agent,
            },
          );
          await response.body.dump();
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        }
      }),
    );
    const deadline = Date.now() + 60_000;
    // The seed refresh is the first token request; each rotation after it is one more.
    while (sim.stats().tokenRequests < REFRESH_CYCLES + 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    stop = true;
    await Promise.all(loops);

    const stats = sim.stats();
    expect(stats.tokenRequests).toBeGreaterThanOrEqual(REFRESH_CYCLES + 1);
    expect(stats.refreshTokenReuses).toBe(0);
    expect(stats.familiesRevoked).toBe(0);
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(REFRESH_CYCLES * 10);
  }, 90_000);
});
