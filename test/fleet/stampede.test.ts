/**
 * @module test/fleet/stampede
 * Three gateway processes on one Redis, 300 concurrent requests each at the moment the token
 * expires: the carrier sees exactly one token request per expiry, over several expiries. The
 * same on a three-master Redis Cluster (the lock, the token and its generation in one slot).
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerSecrets } from '../support/log-capture.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';
import { startSimulatorProcess, type SimulatorProcess } from '../support/sim-process.js';

const API_KEY = 'stampede-shop-key-0123456789';
const CLIENT_SECRET = 'stampede-ups-secret-0123456789';
const LIFETIME_SECONDS = 8;
const INSTANCES = 3;
const REQUESTS_PER_INSTANCE = 300;
const EXPIRIES = 3;

describe.each(TOPOLOGIES)('token stampede across a fleet on %s Redis', (topology) => {
  let redis: TestTopology;
  let sim: SimulatorProcess;
  let fleet: GatewayProcess[] = [];
  const agent = new Agent({ connections: REQUESTS_PER_INSTANCE, pipelining: 0 });

  beforeAll(async () => {
    registerSecrets(API_KEY, CLIENT_SECRET);
    redis = await startTopology(topology);
    // Its own process: the 900 requests this test sends must not delay the carrier's clock checks.
    sim = await startSimulatorProcess('ups', [{ clientId: 'stampede-client', clientSecret: CLIENT_SECRET }]);
    await sim.setFaults({ tokenLifetimeSeconds: LIFETIME_SECONDS });
    const config = writeConfig(`
${redis.yaml()}
log: { level: info }
clients: [{ id: shop, apiKey: "${API_KEY}", accounts: [ups-main] }]
# One client is the whole burst: its calls past the cap wait for a slot rather than get a 429.
passThrough: { maxConcurrentCallsPerClient: 63, concurrencyWaitMs: 60000 }
accounts:
  - id: ups-main
    carrier: ups
    urls: { token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }
    credentials: { clientId: stampede-client, clientSecret: "${CLIENT_SECRET}" }
    # No proactive refresh: every instance meets the expired token at once, on demand.
    refresh: { marginSeconds: 1, windowSeconds: 0 }
`);
    fleet = await Promise.all(Array.from({ length: INSTANCES }, () => startGatewayProcess(config)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fleet.map((instance) => instance.stop()));
    await agent.close();
    await sim?.stop();
    await redis?.stop();
  });

  async function burst(): Promise<number[]> {
    const calls = fleet.flatMap((instance) =>
      Array.from({ length: REQUESTS_PER_INSTANCE }, async () => {
        const response = await request(
          `${instance.url}/v1/carriers/ups-main/api/track/v1/details/1Z12345E0205271688`,
          {
            headers: { authorization: `Bearer ${API_KEY}` },
            dispatcher: agent,
          },
        );
        const text = await response.body.text();
        if (response.statusCode !== 200 && process.env.DEBUG_STAMPEDE) console.log(text);
        return response.statusCode;
      }),
    );
    return Promise.all(calls);
  }

  it(`makes exactly one token request per expiry (${EXPIRIES} expiries, ${INSTANCES}x${REQUESTS_PER_INSTANCE} requests each)`, async () => {
    const perExpiry: number[] = [];
    for (let expiry = 0; expiry < EXPIRIES; expiry += 1) {
      const before = (await sim.stats()).tokenRequests;
      const started = Date.now();
      const statuses = await burst();
      const took = Date.now() - started;
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      perExpiry.push((await sim.stats()).tokenRequests - before);
      // A burst longer than the token's life would legitimately need a second token.
      expect(took, 'the machine is too loaded for this measurement').toBeLessThan(LIFETIME_SECONDS * 800);
      // Let the token that burst obtained run out before the next burst.
      await new Promise((resolve) => setTimeout(resolve, LIFETIME_SECONDS * 1000 + 100));
    }
    const diagnostics = fleet.flatMap((instance, index) =>
      instance.tokenLog().map((line) => `instance ${index}: ${line}`),
    );
    expect(perExpiry, diagnostics.join('\n')).toEqual(Array.from({ length: EXPIRIES }, () => 1));
    expect((await sim.stats()).apiRejections).toBe(0);
  }, 90_000);
});
