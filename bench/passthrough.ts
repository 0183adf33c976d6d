/**
 * @module bench/passthrough
 * Section 2: pass-through throughput and latency of the gateway against a minimal node:http
 * reverse proxy (bench/baseline-proxy.ts), both forwarding the same tracking request to the same
 * simulator process. autocannon runs in this (the runner's) process with identical settings for
 * both; the targets alternate (baseline, gateway, baseline, gateway, ...) so slow drifts in the
 * machine's load hit both alike, and each measured run follows a discarded warm-up.
 *
 * Besides requests/s and latency, each run records the CPU time the proxy, the simulator and the
 * load generator spent per request (from /proc). On a shared 2-core machine the three compete for
 * the same cores, so CPU per request is the steadier figure of a proxy's cost; requests/s is what
 * that cost buys once the cores are saturated.
 */
import { join } from 'node:path';

import autocannon from 'autocannon';

import { UPS_ACCESS_TOKEN_LIFETIME_SECONDS } from '../carriers/ups/simulator.js';
import type { BenchSettings } from './settings.js';
import { assertAlive, cpuSeconds } from './processes.js';
import {
  CREDENTIALS,
  gatewayConfig,
  startBaseline,
  startGateway,
  TRACKING_PATH,
  type Service,
  type Simulator,
} from './targets.js';

export const TARGETS = ['baseline', 'gateway'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface Measurement {
  target: TargetName;
  round: number;
  /** 2xx responses per second of the measured run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** CPU µs per completed request; undefined where /proc is unavailable. */
  proxyCpuUs: number | undefined;
  simCpuUs: number | undefined;
  loadgenCpuUs: number;
}

export interface PassThroughResult {
  connections: number;
  duration: number;
  warmup: number;
  measurements: Measurement[];
  /** Token requests the simulator saw during the section (the baseline's one plus the gateway's). */
  tokenRequests: number;
  apiRejections: number;
}

interface LoadRun {
  result: autocannon.Result;
  /** Every response time in ms from autocannon's hrtime, kept here because its own histogram rounds to whole ms. */
  latencies: Float64Array;
}

function runLoad(url: string, connections: number, duration: number): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const instance = autocannon(
      {
        url: `${url}${TRACKING_PATH}`,
        connections,
        duration,
        pipelining: 1,
        headers: { authorization: `Bearer ${CREDENTIALS.apiKey}` },
      },
      (error, result) => {
        if (error) reject(error);
        else resolve({ result, latencies: latencies.subarray(0, count) });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTimeMs;
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One request through a target, checked, so a misconfigured proxy fails loudly instead of benchmarking 4xx. */
async function smokeTest(name: string, service: Service): Promise<void> {
  const response = await fetch(`${service.url}${TRACKING_PATH}`, {
    headers: { authorization: `Bearer ${CREDENTIALS.apiKey}` },
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('trackResponse')) {
    throw new Error(`${name} smoke test: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
}

export async function runPassThrough(
  sim: Simulator,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<PassThroughResult> {
  // Long-lived tokens again after the stampede: neither proxy should refresh during the runs.
  await sim.setFaults({ tokenLifetimeSeconds: UPS_ACCESS_TOKEN_LIFETIME_SECONDS });
  const before = await sim.stats();
  const token = await sim.token();
  const profile = (name: string) =>
    settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', join(settings.cpuProfileDir, name)] : [];
  // Embedded mode (no Redis): after the first request the token is served from memory.
  const [baseline, gateway] = await Promise.all([
    startBaseline(sim.url, token, profile('baseline')),
    startGateway(gatewayConfig({ simUrl: sim.url }), 'gateway', profile('gateway')),
  ]);
  const services: Record<TargetName, Service> = { baseline, gateway };
  try {
    await smokeTest('baseline', baseline);
    await smokeTest('gateway', gateway);

    // Both processes start cold (tsx-compiled, unoptimised); round 1's baseline came out low in early
    // runs with only the per-run warm-up, so each target first gets a longer one, in the same order.
    if (settings.warmup > 0) {
      for (const target of TARGETS)
        await runLoad(services[target].url, settings.connections, settings.warmup * 2);
    }

    const measurements: Measurement[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const target of TARGETS) {
        const service = services[target];
        if (settings.warmup > 0) await runLoad(service.url, settings.connections, settings.warmup);
        const proxyBefore = cpuSeconds(service.child.pid);
        const simBefore = cpuSeconds(sim.child.pid);
        const loadgenBefore = process.cpuUsage();
        const { result, latencies } = await runLoad(service.url, settings.connections, settings.duration);
        const loadgen = process.cpuUsage(loadgenBefore);
        const proxyAfter = cpuSeconds(service.child.pid);
        const simAfter = cpuSeconds(sim.child.pid);
        assertAlive();

        latencies.sort();
        const completed = result.requests.total;
        const perRequest = (from: number | undefined, to: number | undefined) =>
          from === undefined || to === undefined || completed === 0
            ? undefined
            : ((to - from) * 1e6) / completed;
        const measurement: Measurement = {
          target,
          round,
          rps: result['2xx'] / result.duration,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          requests: completed,
          errors: result.errors,
          non2xx: result.non2xx,
          proxyCpuUs: perRequest(proxyBefore, proxyAfter),
          simCpuUs: perRequest(simBefore, simAfter),
          loadgenCpuUs: completed === 0 ? 0 : (loadgen.user + loadgen.system) / completed,
        };
        measurements.push(measurement);
        log(
          `  round ${round} ${target.padEnd(8)} ${measurement.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${measurement.p50Ms.toFixed(2)} ms  p99 ${measurement.p99Ms.toFixed(2)} ms  ` +
            `errors ${measurement.errors}  non-2xx ${measurement.non2xx}  ` +
            `CPU/req proxy ${fmtUs(measurement.proxyCpuUs)} sim ${fmtUs(measurement.simCpuUs)} ` +
            `load ${fmtUs(measurement.loadgenCpuUs)}`,
        );
      }
    }
    const after = await sim.stats();
    return {
      connections: settings.connections,
      duration: settings.duration,
      warmup: settings.warmup,
      measurements,
      tokenRequests: after.tokenRequests - before.tokenRequests,
      apiRejections: after.apiRejections - before.apiRejections,
    };
  } finally {
    await Promise.all([baseline.child.stop(), gateway.child.stop()]);
  }
}

export function fmtUs(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(0)} µs`;
}
