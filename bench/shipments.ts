/**
 * @module bench/shipments
 * Sections 3 to 5: `POST /v1/shipments` (README "Shipments"), each against its own gateway process
 * (the real CLI, embedded mode) and the UPS and FedEx simulators, each in its own process.
 *
 *  3. Throughput with a warm token: the gateway with one UPS account, autocannon posting shipments
 *     with a fresh Idempotency-Key each, against the same UPS label request (what
 *     carriers/ups/shipping.ts builds, with a fixed simulator token and the transId/transactionSrc
 *     headers) posted straight to the simulator. Alternating rounds, as in section 2.
 *  4. What a failover costs once the breaker is open: shipments to [ups-open, fedex-main], where
 *     ups-open's token endpoint is a closed port and its breaker was opened before measuring,
 *     against the same shipments to [fedex-main] alone, on the same gateway at the same fixed rate.
 *  5. Time from a UPS auth outage to the breaker opening: a steady stream of shipments to
 *     [ups-main, fedex-main]; at t0 the UPS simulator rejects every access token and answers token
 *     requests with HTTP 200 + an error body; `GET /v1/accounts` is polled until the breaker shows
 *     `open`. Repeated, with recovery (a trial closes the breaker) in between.
 */
import { join } from 'node:path';

import { randomBytes, randomUUID } from 'node:crypto';

import type autocannon from 'autocannon';
import { Agent } from 'undici';

import { upsShipping, type UpsShippingSettings } from '../carriers/ups/shipping.js';
import { UPS_ACCESS_TOKEN_LIFETIME_SECONDS } from '../carriers/ups/simulator.js';
import type { BreakerPolicy } from '../src/breaker/auth-breaker.js';
import { shipmentRequestSchema } from '../src/core/shipment.js';
import { freePort } from '../test/support/redis-server.js';
import { SHIPMENT } from '../test/support/shipments.js';
import type { BenchSettings } from './settings.js';
import { assertAlive, cpuSeconds } from './processes.js';
import {
  breakerOf,
  percentile,
  postShipment,
  rssMb,
  runCannon,
  SteadyShipments,
  waitForBreaker,
  type BreakerView,
  type SentShipment,
} from './shipment-load.js';
import {
  CREDENTIALS,
  FEDEX_CREDENTIALS,
  startGateway,
  writeConfig,
  type Service,
  type Simulator,
} from './targets.js';

const UPS_SETTINGS: UpsShippingSettings = { shipperNumber: 'A1B2C3' };
const FEDEX_SETTINGS = { accountNumber: '740561073' };

export interface ShipmentsContext {
  ups: Simulator;
  fedex: Omit<Simulator, 'token'>;
  settings: BenchSettings;
  log: (line: string) => void;
}

type BreakerSettings = Pick<
  BreakerPolicy,
  | 'volumeThreshold'
  | 'errorThresholdPercentage'
  | 'consecutiveFailures'
  | 'rollingCountTimeoutMs'
  | 'resetTimeoutMs'
>;

interface AccountSpec {
  id: string;
  carrier: 'ups' | 'fedex';
  /** Overrides the simulator's token endpoint (section 4 points it at a closed port). */
  tokenUrl?: string;
  timeouts?: { tokenMs?: number; apiMs?: number };
}

/** A gateway configuration (JSON, which is YAML) with one client allowed every account given. */
function shipmentsConfig(
  context: ShipmentsContext,
  accounts: AccountSpec[],
  breaker?: BreakerSettings,
): string {
  const { ups, fedex } = context;
  return writeConfig(
    JSON.stringify({
      // info: the "listening" line the runner waits for is logged at info.
      listen: { port: 0, host: '127.0.0.1' },
      // No balancer to wait for: a stopped instance closes as soon as nothing is in flight.
      shutdown: { graceMs: 0 },
      log: { level: 'info' },
      ...(breaker ? { breaker } : {}),
      clients: [{ id: 'bench-shop', apiKey: CREDENTIALS.apiKey, accounts: accounts.map((a) => a.id) }],
      accounts: accounts.map((account) =>
        account.carrier === 'ups'
          ? {
              id: account.id,
              carrier: 'ups',
              urls: { token: account.tokenUrl ?? `${ups.url}/security/v1/oauth/token`, api: ups.url },
              credentials: { clientId: CREDENTIALS.clientId, clientSecret: CREDENTIALS.clientSecret },
              shipping: UPS_SETTINGS,
              ...(account.timeouts ? { timeouts: account.timeouts } : {}),
            }
          : {
              id: account.id,
              carrier: 'fedex',
              urls: { token: account.tokenUrl ?? `${fedex.url}/oauth/token`, api: fedex.url },
              credentials: FEDEX_CREDENTIALS,
              shipping: FEDEX_SETTINGS,
              ...(account.timeouts ? { timeouts: account.timeouts } : {}),
            },
      ),
    }),
  );
}

/** The shipment of test/support/shipments.ts with an account preference order. */
const shipmentBody = (accounts: string[]) => JSON.stringify({ ...SHIPMENT, accounts });

/** Idempotency-Keys unique to this run: a prefix per run and a counter. */
function keyMaker(): () => string {
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  let next = 0;
  return () => `${prefix}-${(next += 1)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const gatewayHeaders = {
  authorization: `Bearer ${CREDENTIALS.apiKey}`,
  'content-type': 'application/json',
} as const;

/* ------------------------------------------------------------------------------------------ */
/* 3. Throughput with a warm token                                                             */
/* ------------------------------------------------------------------------------------------ */

export const SHIP_TARGETS = ['direct', 'gateway'] as const;
export type ShipTargetName = (typeof SHIP_TARGETS)[number];

export interface ShipMeasurement {
  target: ShipTargetName;
  round: number;
  /** 2xx answers per second of the measured run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Labels the UPS simulator made during the run (includes answers still in flight at its end). */
  labels: number;
  /** CPU µs per completed request of the gateway process (gateway runs only). */
  gatewayCpuUs: number | undefined;
  simCpuUs: number | undefined;
  loadgenCpuUs: number;
}

export interface ShipThroughputResult {
  connections: number;
  duration: number;
  warmup: number;
  rounds: number;
  measurements: ShipMeasurement[];
  /** Token requests the UPS simulator saw in the section: the direct target's 1 and the gateway's 1. */
  tokenRequests: number;
  apiRejections: number;
  /** Shipments the gateway's in-memory idempotency store holds at the end (every key is new). */
  idempotencyRecords: number;
  /** Gateway resident memory at the start of the measured rounds and at the end, MB. */
  gatewayRssMb: { start: number | undefined; end: number | undefined };
}

export async function runShipmentThroughput(context: ShipmentsContext): Promise<ShipThroughputResult> {
  const { ups, settings, log } = context;
  // Long-lived tokens whatever ran before: neither target should meet an expiry.
  await ups.setFaults({ tokenLifetimeSeconds: UPS_ACCESS_TOKEN_LIFETIME_SECONDS });
  const before = await ups.stats();
  const token = await ups.token();
  const gateway = await startGateway(
    shipmentsConfig(context, [{ id: 'ups-main', carrier: 'ups' }]),
    'shipments-gateway',
    settings.cpuProfileDir
      ? ['--cpu-prof', '--cpu-prof-dir', join(settings.cpuProfileDir, 'shipments-gateway')]
      : [],
  );
  try {
    // The gateway's request: a fresh Idempotency-Key per shipment, nothing else varies.
    const nextKey = keyMaker();
    let keysSent = 0;
    const gatewayRequest: autocannon.Request = {
      method: 'POST',
      path: '/v1/shipments',
      headers: { ...gatewayHeaders },
      body: shipmentBody(['ups-main']),
      setupRequest: (req) => {
        keysSent += 1;
        return { ...req, headers: { ...req.headers, 'idempotency-key': nextKey() } };
      },
    };
    // The direct request: what the UPS adapter builds, plus what the gateway adds to every UPS call
    // (carriers/ups/api.ts decorateUpsRequest: a fresh transId, transactionSrc) and a fixed token.
    const call = upsShipping.build({
      shipment: shipmentRequestSchema.parse({ ...SHIPMENT, accounts: ['ups-main'] }),
      settings: UPS_SETTINGS,
      carrierIdempotencyKey: randomUUID(),
      shipmentId: `shp_${randomUUID().replaceAll('-', '')}`,
    });
    const directRequest: autocannon.Request = {
      method: call.method,
      path: `/${call.path}`,
      headers: { ...call.headers, authorization: `Bearer ${token}`, transactionsrc: 'carrier-gateway' },
      body: call.body,
      setupRequest: (req) => ({
        ...req,
        headers: { ...req.headers, transid: randomUUID().replaceAll('-', '') },
      }),
    };
    const targets: Record<ShipTargetName, { url: string; request: autocannon.Request }> = {
      direct: { url: ups.url, request: directRequest },
      gateway: { url: gateway.url, request: gatewayRequest },
    };

    // Smoke tests: a label each way, or the section fails loudly instead of measuring errors.
    const smoke = await postShipment(gateway.url, CREDENTIALS.apiKey, gatewayRequest.body!, nextKey());
    if (smoke.status !== 201 || smoke.account !== 'ups-main')
      throw new Error(`shipments gateway smoke test: HTTP ${smoke.status} ${smoke.text.slice(0, 300)}`);
    const direct = await fetch(`${ups.url}${directRequest.path}`, {
      method: 'POST',
      headers: { ...directRequest.headers, transid: randomUUID().replaceAll('-', '') },
      body: directRequest.body!,
    });
    const directText = await direct.text();
    if (direct.status !== 200 || !directText.includes('ShipmentResponse'))
      throw new Error(`direct UPS label smoke test: HTTP ${direct.status} ${directText.slice(0, 300)}`);

    const load = (target: ShipTargetName, seconds: number) =>
      runCannon({
        url: targets[target].url,
        connections: settings.connections,
        duration: seconds,
        requests: [targets[target].request],
      });
    if (settings.warmup > 0) for (const target of SHIP_TARGETS) await load(target, settings.warmup * 2);

    const rssStart = rssMb(gateway.child.pid);
    const measurements: ShipMeasurement[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const target of SHIP_TARGETS) {
        if (settings.warmup > 0) await load(target, settings.warmup);
        const statsBefore = await ups.stats();
        const gatewayBefore = cpuSeconds(gateway.child.pid);
        const simBefore = cpuSeconds(ups.child.pid);
        const loadgenBefore = process.cpuUsage();
        const { result, latencies } = await load(target, settings.duration);
        const loadgen = process.cpuUsage(loadgenBefore);
        const gatewayAfter = cpuSeconds(gateway.child.pid);
        const simAfter = cpuSeconds(ups.child.pid);
        const statsAfter = await ups.stats();
        assertAlive();
        const completed = result.requests.total;
        const perRequest = (from: number | undefined, to: number | undefined) =>
          from === undefined || to === undefined || completed === 0
            ? undefined
            : ((to - from) * 1e6) / completed;
        const m: ShipMeasurement = {
          target,
          round,
          rps: result['2xx'] / result.duration,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          requests: completed,
          errors: result.errors,
          non2xx: result.non2xx,
          labels: statsAfter.labelsCreated - statsBefore.labelsCreated,
          gatewayCpuUs: target === 'gateway' ? perRequest(gatewayBefore, gatewayAfter) : undefined,
          simCpuUs: perRequest(simBefore, simAfter),
          loadgenCpuUs: completed === 0 ? 0 : (loadgen.user + loadgen.system) / completed,
        };
        measurements.push(m);
        log(
          `  round ${round} ${target.padEnd(8)} ${m.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  errors ${m.errors}  ` +
            `non-2xx ${m.non2xx}  labels ${m.labels}  CPU/req gateway ${fmtUs(m.gatewayCpuUs)} ` +
            `sim ${fmtUs(m.simCpuUs)} load ${fmtUs(m.loadgenCpuUs)}`,
        );
      }
    }
    const after = await ups.stats();
    return {
      connections: settings.connections,
      duration: settings.duration,
      warmup: settings.warmup,
      rounds: settings.rounds,
      measurements,
      tokenRequests: after.tokenRequests - before.tokenRequests,
      apiRejections: after.apiRejections - before.apiRejections,
      // The smoke test's key plus every key autocannon built (a few are built and never sent).
      idempotencyRecords: keysSent + 1,
      gatewayRssMb: { start: rssStart, end: rssMb(gateway.child.pid) },
    };
  } finally {
    await gateway.child.stop();
  }
}

export function fmtUs(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${value.toFixed(0)} µs`;
}

/* ------------------------------------------------------------------------------------------ */
/* 4. Failover past an open breaker                                                            */
/* ------------------------------------------------------------------------------------------ */

export const FAILOVER_TARGETS = ['fedex-only', 'failover'] as const;
export type FailoverTargetName = (typeof FAILOVER_TARGETS)[number];

export interface FailoverMeasurement {
  target: FailoverTargetName;
  round: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Shipments sent per second (the schedule's rate as kept). */
  sentRate: number;
  requests: number;
  /** No answer (socket errors). */
  errors: number;
  non2xx: number;
  /** 2xx answers not routed as expected (FedEx, and X-Failover-From: ups-open exactly for `failover`). */
  misrouted: number;
  /** CPU µs of the gateway process per shipment sent. */
  gatewayCpuUs: number | undefined;
}

export interface FailoverResult {
  rate: number;
  duration: number;
  warmup: number;
  rounds: number;
  breakerSettings: BreakerSettings;
  /** What the first shipment met at ups-open (outcome and code), which opened the breaker. */
  opening: string;
  before: BreakerView;
  after: BreakerView;
  measurements: FailoverMeasurement[];
}

export async function runFailoverLatency(context: ShipmentsContext): Promise<FailoverResult> {
  const { settings, log } = context;
  const rate = settings.shipments.failoverRate;
  // One failure opens it (volume threshold 1), and it stays open for the whole section: no trial
  // (resetTimeoutMs at the schema's maximum, 1 h) may add a token attempt to a measured run.
  const breakerSettings: BreakerSettings = {
    volumeThreshold: 1,
    errorThresholdPercentage: 50,
    consecutiveFailures: 1,
    rollingCountTimeoutMs: 10_000,
    resetTimeoutMs: 3_600_000,
  };
  const closedPort = await freePort();
  const gateway: Service = await startGateway(
    shipmentsConfig(
      context,
      [
        {
          id: 'ups-open',
          carrier: 'ups',
          tokenUrl: `http://127.0.0.1:${closedPort}/security/v1/oauth/token`,
          timeouts: { tokenMs: 1_000 },
        },
        { id: 'fedex-main', carrier: 'fedex' },
      ],
      breakerSettings,
    ),
    'failover-gateway',
  );
  try {
    const nextKey = keyMaker();
    const bodies: Record<FailoverTargetName, string> = {
      'fedex-only': shipmentBody(['fedex-main']),
      failover: shipmentBody(['ups-open', 'fedex-main']),
    };
    // Open ups-open's breaker: its token endpoint refuses connections, so the first shipment fails
    // over, and that one auth failure opens the breaker.
    const first = await postShipment(gateway.url, CREDENTIALS.apiKey, bodies.failover, nextKey());
    const firstUps = first.attempts.find((attempt) => attempt.account === 'ups-open');
    if (first.status !== 201 || first.account !== 'fedex-main' || !firstUps)
      throw new Error(`failover gateway, first shipment: HTTP ${first.status} ${first.text.slice(0, 300)}`);
    const opening = `${firstUps.outcome}${firstUps.failure ? ` (${firstUps.failure.code})` : ''}`;
    const { breaker: before } = await waitForBreaker(
      gateway.url,
      CREDENTIALS.apiKey,
      'ups-open',
      (breaker) => breaker.state === 'open',
      { timeoutMs: 10_000, intervalMs: 20, what: 'open breaker' },
    );
    log(
      `  ups-open: first shipment ${opening}; GET /v1/accounts shows its breaker ${before.state} ` +
        `(cause ${before.cause}, generation ${before.generation})`,
    );
    // Smoke tests: both bodies get their label at FedEx, the failover one past the open breaker.
    for (const target of FAILOVER_TARGETS) {
      const answer = await postShipment(gateway.url, CREDENTIALS.apiKey, bodies[target], nextKey());
      const outcomes = answer.attempts.map((attempt) => `${attempt.account}:${attempt.outcome}`).join(',');
      const expected =
        target === 'failover' ? 'ups-open:breaker_open,fedex-main:created' : 'fedex-main:created';
      if (answer.status !== 201 || outcomes !== expected)
        throw new Error(
          `failover smoke test (${target}): HTTP ${answer.status} ${answer.text.slice(0, 300)}`,
        );
    }

    const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    const load = async (target: FailoverTargetName, seconds: number) => {
      const run = new SteadyShipments({
        url: gateway.url,
        apiKey: CREDENTIALS.apiKey,
        body: bodies[target],
        rate,
        agent,
        nextKey,
      });
      run.start();
      await sleep(seconds * 1000);
      await run.stop();
      return run;
    };
    const measurements: FailoverMeasurement[] = [];
    try {
      if (settings.warmup > 0) for (const target of FAILOVER_TARGETS) await load(target, settings.warmup * 2);
      for (let round = 1; round <= settings.rounds; round += 1) {
        for (const target of FAILOVER_TARGETS) {
          if (settings.warmup > 0) await load(target, settings.warmup);
          const cpuBefore = cpuSeconds(gateway.child.pid);
          const run = await load(target, settings.duration);
          const cpuAfter = cpuSeconds(gateway.child.pid);
          assertAlive();
          const latencies = Float64Array.from(
            run.sent.map((s) => (s.doneAt ?? Number.NaN) - s.sentAt).filter(Number.isFinite),
          ).sort();
          const ok = run.sent.filter((s) => s.status !== undefined && s.status >= 200 && s.status < 300);
          const expectedFrom = target === 'failover' ? 'ups-open' : undefined;
          const m: FailoverMeasurement = {
            target,
            round,
            rps: ok.length / ((run.stoppedAt - run.startedAt) / 1000),
            sentRate: run.achievedRate(),
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
            requests: run.sent.length,
            errors: run.sent.filter((s) => s.status === 0).length,
            non2xx: run.sent.length - ok.length - run.sent.filter((s) => s.status === 0).length,
            misrouted: ok.filter((s) => s.account !== 'fedex-main' || s.failoverFrom !== expectedFrom).length,
            gatewayCpuUs:
              cpuBefore === undefined || cpuAfter === undefined || run.sent.length === 0
                ? undefined
                : ((cpuAfter - cpuBefore) * 1e6) / run.sent.length,
          };
          measurements.push(m);
          log(
            `  round ${round} ${target.padEnd(10)} ${m.rps.toFixed(0).padStart(5)} req/s  ` +
              `p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  errors ${m.errors}  ` +
              `non-2xx ${m.non2xx}  misrouted ${m.misrouted}  CPU/req gateway ${fmtUs(m.gatewayCpuUs)}`,
          );
        }
      }
    } finally {
      await agent.close();
    }
    const after = await breakerOf(gateway.url, CREDENTIALS.apiKey, 'ups-open');
    return {
      rate,
      duration: settings.duration,
      warmup: settings.warmup,
      rounds: settings.rounds,
      breakerSettings,
      opening,
      before,
      after,
      measurements,
    };
  } finally {
    await gateway.child.stop();
  }
}

/* ------------------------------------------------------------------------------------------ */
/* 5. Auth outage to open breaker                                                              */
/* ------------------------------------------------------------------------------------------ */

export interface OutageTrial {
  index: number;
  /** t0 (just before the fault switch) to the first `GET /v1/accounts` answer showing `open`. */
  msToOpenPolled: number;
  /** t0 to the breaker's own `since` (the gateway's clock, the same machine). */
  msToOpenTransition: number;
  cause: string;
  /** Shipments sent between t0 and the poll that showed `open`. */
  sent: number;
  /** Of these, how many were tried at ups-main (its attempt is anything but breaker_open). */
  triedUps: number;
  /** ... and failed there (then got their label at fedex-main). */
  failedAtUps: number;
  /** Faults cleared to the breaker seen `closed` again (token cooldown, reset timeout, a trial). */
  recoveryMs: number | undefined;
}

export interface OutageResult {
  rate: number;
  /** Measured send rate over the section. */
  achievedRate: number;
  breakerSettings: BreakerSettings;
  /** Seconds of steady load after the breaker is closed, before the outage starts. */
  prefillSeconds: number;
  trials: OutageTrial[];
  /** Every shipment of the section, and those not answered 201 (all should fail over to FedEx). */
  shipments: number;
  non201: number;
}

export async function runAuthOutage(context: ShipmentsContext): Promise<OutageResult> {
  const { ups, settings, log } = context;
  const { outageRate: rate, outageRepeats: repeats } = settings.shipments;
  // The defaults of src/breaker/auth-breaker.ts for opening; a 2 s reset timeout so that a trial
  // can close the breaker soon after the outage ends and the next repetition can start.
  const breakerSettings: BreakerSettings = {
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    consecutiveFailures: 5,
    rollingCountTimeoutMs: 10_000,
    resetTimeoutMs: 2_000,
  };
  // The breaker decides on its rolling window (or a run of failures in a row), so what the window
  // holds at t0 matters: after one full window of steady load it holds only successes, as on a
  // gateway that has been serving; then the run of failures is what opens it.
  // (Quick runs start sooner; their time to open is then shorter and means nothing.)
  const prefillSeconds = settings.quick ? 2 : breakerSettings.rollingCountTimeoutMs / 1000 + 1;
  await ups.setFaults({
    tokenLifetimeSeconds: UPS_ACCESS_TOKEN_LIFETIME_SECONDS,
    prematureExpirySeconds: null,
    errorInSuccessBody: false,
  });
  const gateway = await startGateway(
    shipmentsConfig(
      context,
      [
        { id: 'ups-main', carrier: 'ups' },
        { id: 'fedex-main', carrier: 'fedex' },
      ],
      breakerSettings,
    ),
    'outage-gateway',
  );
  const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  const loadgen = new SteadyShipments({
    url: gateway.url,
    apiKey: CREDENTIALS.apiKey,
    body: shipmentBody(['ups-main', 'fedex-main']),
    rate,
    agent,
    nextKey: keyMaker(),
  });
  const upsOutcome = (s: SentShipment) =>
    s.attempts?.find((attempt) => attempt.account === 'ups-main')?.outcome;
  const breakerWait = (accept: (b: BreakerView) => boolean, what: string, timeoutMs: number) =>
    waitForBreaker(gateway.url, CREDENTIALS.apiKey, 'ups-main', accept, {
      timeoutMs,
      intervalMs: 10,
      what,
    });
  const trials: OutageTrial[] = [];
  try {
    loadgen.start();
    let closedAt = performance.now();
    for (let index = 1; index <= repeats; index += 1) {
      // Steady load on a closed breaker for a full rolling window (the window restarts at every close).
      await sleep(Math.max(0, closedAt + prefillSeconds * 1000 - performance.now()));
      const recent = loadgen.sent.filter(
        (s) => s.sentAt > performance.now() - 1500 && s.doneAt !== undefined && s.sentAt > closedAt,
      );
      if (recent.length === 0 || recent.some((s) => s.status !== 201 || s.account !== 'ups-main'))
        throw new Error(
          `outage trial ${index}: shipments before t0 were not all made at ups-main ` +
            `(${recent.filter((s) => s.account === 'ups-main').length} of ${recent.length})`,
        );
      assertAlive();

      const t0 = performance.now();
      const t0Epoch = Date.now();
      await ups.setFaults({ prematureExpirySeconds: 0, errorInSuccessBody: true });
      const opened = await breakerWait((b) => b.state === 'open', 'open breaker', 60_000);
      const window = loadgen.sent.filter((s) => s.sentAt >= t0 && s.sentAt < opened.seenAt);
      await loadgen.settled(opened.seenAt, 30_000);

      const cleared = performance.now();
      await ups.setFaults({ prematureExpirySeconds: null, errorInSuccessBody: false });
      let recoveryMs: number | undefined;
      try {
        const closed = await breakerWait((b) => b.state === 'closed', 'closed breaker', 120_000);
        closedAt = closed.seenAt;
        recoveryMs = closedAt - cleared;
      } catch (error) {
        if (index < repeats) throw error;
      }
      const trial: OutageTrial = {
        index,
        msToOpenPolled: opened.seenAt - t0,
        msToOpenTransition: opened.breaker.since - t0Epoch,
        cause: opened.breaker.cause,
        sent: window.length,
        triedUps: window.filter((s) => ![undefined, 'breaker_open'].includes(upsOutcome(s))).length,
        failedAtUps: window.filter((s) => ![undefined, 'breaker_open', 'created'].includes(upsOutcome(s)))
          .length,
        recoveryMs,
      };
      trials.push(trial);
      log(
        `  trial ${index}: open after ${trial.msToOpenPolled.toFixed(0)} ms (poll; transition at ` +
          `${trial.msToOpenTransition} ms, cause ${trial.cause}), ${trial.sent} shipments sent in between, ` +
          `${trial.triedUps} tried UPS (${trial.failedAtUps} failed there), ` +
          `closed again ${recoveryMs === undefined ? 'n/a' : `${recoveryMs.toFixed(0)} ms`} after the faults were cleared`,
      );
    }
  } finally {
    await loadgen.stop();
    await agent.close();
    await gateway.child.stop();
    await ups.setFaults({ prematureExpirySeconds: null, errorInSuccessBody: false }).catch(() => undefined);
  }
  return {
    rate,
    achievedRate: loadgen.achievedRate(),
    breakerSettings,
    prefillSeconds,
    trials,
    shipments: loadgen.sent.length,
    non201: loadgen.sent.filter((s) => s.status !== 201).length,
  };
}
