/**
 * @module bench/stampede
 * Section 1: token requests per expiry under a stampede. A fleet of gateway processes shares one
 * Redis; the simulator issues short-lived tokens and the accounts refresh only on demand
 * (`marginSeconds: 1, windowSeconds: 0`), so at each expiry every instance meets the stale token
 * at once with hundreds of requests in flight. The simulator's own counter says how many token
 * requests that cost; the design target is exactly one per expiry for the whole fleet.
 * Mirrors test/integration/stampede.test.ts, with figures instead of assertions.
 */
import { Agent, request } from 'undici';

import type { BenchSettings } from './settings.js';
import { assertAlive, startRedis } from './processes.js';
import {
  CREDENTIALS,
  gatewayConfig,
  startGateway,
  TRACKING_PATH,
  type Service,
  type Simulator,
} from './targets.js';

export interface Burst {
  /** 0 is the cold start (no token anywhere yet); 1.. are expiries. */
  index: number;
  requests: number;
  non200: number;
  tokenRequests: number;
  apiRejections: number;
  wallMs: number;
  p50Ms: number;
  maxMs: number;
}

export interface StampedeResult {
  instances: number;
  requestsPerInstance: number;
  lifetimeSeconds: number;
  bursts: Burst[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function runStampede(
  sim: Simulator,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<StampedeResult> {
  const { instances, requestsPerInstance, expiries, tokenLifetimeSeconds } = settings.stampede;
  await sim.setFaults({ tokenLifetimeSeconds });
  const redis = await startRedis();
  const fleet: Service[] = [];
  // One socket per in-flight request, so all of a burst really is concurrent at each instance; kept
  // alive across the pause between bursts (undici's default is 4 s), as a shop's client pool would
  // be, so a burst times requests rather than hundreds of fresh TCP handshakes.
  const agent = new Agent({
    connections: requestsPerInstance,
    pipelining: 0,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });
  try {
    const config = gatewayConfig({
      simUrl: sim.url,
      redisUrl: redis.url,
      refresh: { marginSeconds: 1, windowSeconds: 0 },
    });
    fleet.push(
      ...(await Promise.all(
        Array.from({ length: instances }, (_, index) => startGateway(config, `gateway-${index + 1}`)),
      )),
    );
    log(`  fleet: ${instances} gateway processes on ${redis.url}, token lifetime ${tokenLifetimeSeconds} s`);

    const one = async (url: string): Promise<{ status: number; ms: number }> => {
      const started = performance.now();
      const response = await request(`${url}${TRACKING_PATH}`, {
        headers: { authorization: `Bearer ${CREDENTIALS.apiKey}` },
        dispatcher: agent,
      });
      await response.body.text();
      return { status: response.statusCode, ms: performance.now() - started };
    };

    const bursts: Burst[] = [];
    for (let index = 0; index <= expiries; index += 1) {
      const before = await sim.stats();
      const started = performance.now();
      const outcomes = await Promise.all(
        fleet.flatMap((instance) => Array.from({ length: requestsPerInstance }, () => one(instance.url))),
      );
      const wallMs = performance.now() - started;
      const after = await sim.stats();
      assertAlive();
      const latencies = outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b);
      const burst: Burst = {
        index,
        requests: outcomes.length,
        non200: outcomes.filter((outcome) => outcome.status !== 200).length,
        tokenRequests: after.tokenRequests - before.tokenRequests,
        apiRejections: after.apiRejections - before.apiRejections,
        wallMs,
        p50Ms: percentile(latencies, 50),
        maxMs: latencies.at(-1) ?? Number.NaN,
      };
      bursts.push(burst);
      log(
        `  ${index === 0 ? 'cold start' : `expiry ${index}`}: ${burst.tokenRequests} token request(s), ` +
          `${burst.requests} requests, ${burst.non200} non-200, ${burst.apiRejections} carrier 401s, ` +
          `burst ${wallMs.toFixed(0)} ms (p50 ${burst.p50Ms.toFixed(0)} ms, max ${burst.maxMs.toFixed(0)} ms)`,
      );
      // The token was issued near the burst's start, so lifetime + 0.1 s after its end it has expired.
      if (index < expiries)
        await new Promise((resolve) => setTimeout(resolve, tokenLifetimeSeconds * 1000 + 100));
    }
    return { instances, requestsPerInstance, lifetimeSeconds: tokenLifetimeSeconds, bursts };
  } finally {
    await agent.close();
    await Promise.all(fleet.map((instance) => instance.child.stop()));
    await redis.child.stop();
  }
}
