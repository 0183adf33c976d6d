/**
 * @module bench/rates
 * Section 8: `POST /v1/rates` fan-out. One gateway process (the real entry point, embedded mode)
 * with four accounts: two UPS accounts and one FedEx account at their simulators, and a UPS
 * account whose simulator answers rate requests after 5 s (`ratesLatencyMs`). Each simulator is
 * its own process.
 *
 *  a. Deadline held: closed-loop rate requests with `deadlineMs` D; every answer must come by
 *     D + 50 ms at p99 (measured at the client, so the figure includes the loopback round trip),
 *     with the three fast accounts' prices and the slow one listed as `deadline_exceeded`.
 *  b. CPU per rate request: the same load to the three fast accounts only (answers as soon as all
 *     three have), the gateway's CPU seconds (/proc) over the requests answered.
 */
import { join } from 'node:path';

import { Agent } from 'undici';

import type { BenchSettings } from './settings.js';
import { assertAlive, cpuSeconds } from './processes.js';
import { percentile } from './shipment-load.js';
import { SHIPMENT } from '../test/support/shipments.js';
import {
  CREDENTIALS,
  FEDEX_CREDENTIALS,
  startFedexSimulator,
  startGateway,
  startSimulator,
  writeConfig,
} from './targets.js';

export interface RatesRun {
  label: string;
  requests: number;
  deadlineMs: number;
  p50: number;
  p99: number;
  /** p99 of the gateway's own time (its Server-Timing header), without the client and loopback. */
  serverP99: number;
  /** The gateway's latest answer by its own clock: a late answer the gateway did not see is the client's. */
  serverMax: number;
  max: number;
  /** Answers later than deadline + 50 ms. */
  late: number;
  /** Answers without every fast account's prices. */
  incomplete: number;
  cpuMsPerRequest: number | undefined;
  requestsPerSecond: number;
}

export interface RatesResult {
  slowLatencyMs: number;
  concurrency: number;
  runs: RatesRun[];
}

const SLOW_MS = 5_000;
const FAST_ACCOUNTS = ['ups-main', 'ups-second', 'fedex-main'];

function config(ups: string, fedex: string, slow: string): string {
  const upsAccount = (id: string, url: string) => `  - id: ${id}
    carrier: ups
    urls: { token: "${url}/security/v1/oauth/token", api: "${url}" }
    credentials: { clientId: ${CREDENTIALS.clientId}, clientSecret: "${CREDENTIALS.clientSecret}" }
    shipping: { shipperNumber: A1B2C3 }
`;
  return writeConfig(`listen: { port: 0, host: 127.0.0.1 }
shutdown: { graceMs: 0 }
log: { level: info }
clients: [{ id: bench-shop, apiKey: "${CREDENTIALS.apiKey}", accounts: [ups-main, ups-second, fedex-main, ups-slow] }]
accounts:
${upsAccount('ups-main', ups)}${upsAccount('ups-second', ups)}${upsAccount('ups-slow', slow)}  - id: fedex-main
    carrier: fedex
    urls: { token: "${fedex}/oauth/token", api: "${fedex}" }
    credentials: { clientId: ${FEDEX_CREDENTIALS.clientId}, clientSecret: "${FEDEX_CREDENTIALS.clientSecret}" }
    shipping: { accountNumber: "740561073" }
`);
}

async function load(
  url: string,
  pid: number,
  label: string,
  accounts: string[],
  deadlineMs: number,
  requests: number,
  concurrency: number,
): Promise<RatesRun> {
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ ...SHIPMENT, accounts, deadlineMs });
  const latencies: number[] = [];
  const serverMs: number[] = [];
  let incomplete = 0;
  let sent = 0;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const worker = async () => {
    while (sent < requests) {
      sent += 1;
      const begun = performance.now();
      // undici's request, not fetch: the client shares the machine, and fetch's own CPU (streams,
      // Headers, a Response) would be counted in every latency as if it were the gateway's.
      const response = await dispatcher.request({
        origin: url,
        path: '/v1/rates',
        method: 'POST',
        headers: { authorization: `Bearer ${CREDENTIALS.apiKey}`, 'content-type': 'application/json' },
        body,
      });
      const text = await response.body.text();
      latencies.push(performance.now() - begun);
      const answer = JSON.parse(text) as { rates?: { account: string }[] };
      const timing = /dur=([\d.]+)/.exec(String(response.headers['server-timing'] ?? ''));
      if (timing) serverMs.push(Number(timing[1]));
      const answered = new Set((answer.rates ?? []).map((rate) => rate.account));
      if (response.statusCode !== 200 || FAST_ACCOUNTS.some((account) => !answered.has(account)))
        incomplete += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(pid);
  await dispatcher.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const server = [...serverMs].sort((a, b) => a - b);
  return {
    serverP99: percentile(server, 99),
    serverMax: server[server.length - 1] ?? 0,
    label,
    requests: latencies.length,
    deadlineMs,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? 0,
    late: latencies.filter((ms) => ms > deadlineMs + 50).length,
    incomplete,
    cpuMsPerRequest:
      cpuBefore !== undefined && cpuAfter !== undefined
        ? ((cpuAfter - cpuBefore) * 1000) / latencies.length
        : undefined,
    requestsPerSecond: latencies.length / elapsedS,
  };
}

export async function runRates(settings: BenchSettings, log: (line: string) => void): Promise<RatesResult> {
  const [ups, slow, fedex] = await Promise.all([startSimulator(), startSimulator(), startFedexSimulator()]);
  await slow.setFaults({ ratesLatencyMs: SLOW_MS });
  const gateway = await startGateway(
    config(ups.url, fedex.url, slow.url),
    'rates-gateway',
    settings.cpuProfileDir
      ? ['--cpu-prof', '--cpu-prof-dir', join(settings.cpuProfileDir, 'rates-gateway')]
      : [],
  );
  const pid = gateway.child.pid;
  log(
    `gateway pid ${pid}, UPS ${ups.url}, slow UPS ${slow.url} (rates after ${SLOW_MS} ms), FedEx ${fedex.url}`,
  );
  const all = [...FAST_ACCOUNTS, 'ups-slow'];
  // Rate requests in flight at once (BENCH_RATES_CONCURRENCY); each fans out to four accounts.
  const concurrency = Number(process.env.BENCH_RATES_CONCURRENCY ?? (settings.quick ? 8 : 16));
  const deadlineMs = settings.quick ? 500 : 1_000;
  const perRun = settings.quick ? 40 : Math.max(160, concurrency * 10 * Math.ceil(settings.duration / 10));
  // Warm-up: tokens fetched, connections open, code paths compiled.
  await load(gateway.url, pid, 'warm-up', all, deadlineMs, concurrency * 2, concurrency);
  const runs: RatesRun[] = [];
  runs.push(await load(gateway.url, pid, '4 accounts, one 5 s slow', all, deadlineMs, perRun, concurrency));
  assertAlive();
  runs.push(
    await load(
      gateway.url,
      pid,
      '3 fast accounts',
      FAST_ACCOUNTS,
      2_000,
      perRun * (settings.quick ? 1 : 4),
      concurrency,
    ),
  );
  assertAlive();
  return { slowLatencyMs: SLOW_MS, concurrency, runs };
}

export const RATES_HEADERS = [
  'run',
  'requests',
  'deadline ms',
  'p50 ms',
  'p99 ms',
  'max ms',
  'p99 − deadline ms',
  'gateway p99 ms',
  'gateway max ms',
  'later than deadline + 50 ms',
  'without every fast price',
  'req/s',
  'gateway CPU ms / request',
];

export function ratesRows(result: RatesResult): string[][] {
  return result.runs.map((run) => [
    run.label,
    String(run.requests),
    String(run.deadlineMs),
    run.p50.toFixed(1),
    run.p99.toFixed(1),
    run.max.toFixed(1),
    (run.p99 - run.deadlineMs).toFixed(1),
    run.serverP99.toFixed(1),
    run.serverMax.toFixed(1),
    String(run.late),
    String(run.incomplete),
    run.requestsPerSecond.toFixed(1),
    run.cpuMsPerRequest?.toFixed(2) ?? 'n/a',
  ]);
}

/** The target: with a 5 s carrier among four, p99 within deadline + 50 ms and none later. */
export function ratesMet(result: RatesResult): boolean {
  const slow = result.runs[0];
  return slow !== undefined && slow.p99 <= slow.deadlineMs + 50 && slow.late === 0;
}
