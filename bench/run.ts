/**
 * @module bench/run
 * `npm run bench`: the gateway's benchmark figures in one run, then a Markdown block for
 * docs/benchmarks.md.
 *
 *  1. Token requests per expiry when a fleet of gateways on one Redis is stampeded at each expiry.
 *  2. Pass-through requests/s and latency, gateway against a minimal node:http proxy.
 *  3. Shipments requests/s and latency with a warm token, gateway against the direct UPS label call.
 *  4. Latency a failover adds when the first account's breaker is already open.
 *  5. Time from a carrier auth outage to the breaker opening, under a steady 50 shipments/s.
 *  6. Time a manual failover sent to one instance of a 3-process fleet takes to apply on the others.
 *  7. Scale: boot, memory, idle CPU and Redis commands, breaker propagation for 1 to 10,000 accounts.
 *  8. Rates: a fan-out to 4 accounts with one carrier taking 5 s answers by its deadline; CPU per rate request.
 *
 * Knobs (environment): see bench/settings.ts, e.g. `BENCH_QUICK=1 npm run bench` for a smoke run,
 * `BENCH_DURATION=20 BENCH_CONNECTIONS=64 npm run bench`, `BENCH_CPU_PROF=/tmp/prof npm run bench`,
 * `BENCH_SKIP=stampede,passthrough npm run bench` (shipments sections only), `BENCH_ONLY=scale npm run bench`.
 * Every process it starts is stopped on success, failure, Ctrl-C or SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

import { runOverridePropagation, type OverridePropagationResult } from './override-propagation.js';
import { runPassThrough, type PassThroughResult } from './passthrough.js';
import { RATES_HEADERS, ratesMet, ratesRows, runRates, type RatesResult } from './rates.js';
import { projectRoot } from '../src/platform/project-root.js';
import { BUILT_GATEWAY_ENTRY, crashReport, killAllNow, stopAll } from './processes.js';
import { profileFiles, summariseProfile } from './profile-summary.js';
import {
  breakerStayedOpen,
  breakerText,
  command,
  FAILOVER_HEADERS,
  FAILOVER_ROUND_HEADERS,
  failoverRoundRows,
  failoverRows,
  machine,
  markdown,
  OUTAGE_HEADERS,
  outageRows,
  OVERRIDE_HEADERS,
  overrideRoundsMet,
  overrideRows,
  overrideVerdicts,
  PASS_HEADERS,
  passRows,
  ROUND_HEADERS,
  roundRows,
  SHIP_HEADERS,
  SHIP_ROUND_HEADERS,
  shipCpuText,
  shipRoundRows,
  shipRows,
  STAMPEDE_HEADERS,
  stampedeMet,
  stampedeRows,
  summarise,
  summariseFailover,
  summariseShipments,
  textTable,
  THROUGHPUT_TARGET,
} from './report.js';
import { runScale, SCALE_HEADERS, SCALE_TARGETS, scaleRows, type ScaleRow } from './scale.js';
import { readSettings } from './settings.js';
import {
  runAuthOutage,
  runFailoverLatency,
  runShipmentThroughput,
  type FailoverResult,
  type OutageResult,
  type ShipmentsContext,
  type ShipThroughputResult,
} from './shipments.js';
import { runStampede, type StampedeResult } from './stampede.js';
import { removeTempFiles, startFedexSimulator, startSimulator } from './targets.js';

const log = (line = '') => process.stdout.write(`${line}\n`);

/** Nothing asynchronous runs in 'exit': SIGKILL whatever is left and delete the secret-bearing configs. */
process.on('exit', () => {
  killAllNow();
  removeTempFiles();
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
    // Children get their graceful SIGTERM; the 'exit' handler SIGKILLs any that take longer than 6 s.
    const deadline = setTimeout(() => process.exit(130), 6_000);
    void stopAll().finally(() => {
      clearTimeout(deadline);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}

async function main(): Promise<number> {
  const settings = readSettings();
  const started = Date.now();
  const m = machine();
  log(
    `# carrier-gateway benchmark${settings.quick ? ' (BENCH_QUICK: smoke run, figures not meaningful)' : ''}`,
  );
  log(`command: ${command()}`);
  log(`machine: ${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}, load average before run ${m.load}`);
  log(`date:    ${new Date().toISOString()}`);
  log();

  if (process.env.BENCH_BUILT === '1') {
    execFileSync('npm', ['run', 'build'], { cwd: projectRoot(), stdio: 'ignore' });
    log(`gateway processes run the built ${BUILT_GATEWAY_ENTRY} (BENCH_BUILT=1), not tsx`);
  }
  const sim = await startSimulator();
  log(`UPS simulator (own process, pid ${sim.child.pid}) at ${sim.url}`);
  const runs = (section: Parameters<typeof settings.skip.has>[0]) => !settings.skip.has(section);
  if (settings.skip.size > 0) log(`skipped sections (BENCH_SKIP): ${[...settings.skip].join(', ')}`);
  log();

  let stampede: StampedeResult | undefined;
  let stampedeOk = true;
  if (runs('stampede')) {
    const { instances, requestsPerInstance, expiries } = settings.stampede;
    log(
      `## 1. Token requests per expiry: ${instances} gateways × ${requestsPerInstance} concurrent requests, ` +
        `cold start + ${expiries} expiries`,
    );
    stampede = await runStampede(sim, settings, log);
    log();
    log(textTable(STAMPEDE_HEADERS, stampedeRows(stampede)));
    stampedeOk = stampedeMet(stampede);
    log(`target (exactly 1 token request per burst, all 200): ${stampedeOk ? 'met' : 'NOT MET'}`);
    log();
  }

  let pass: PassThroughResult | undefined;
  let passOk = true;
  if (runs('passthrough')) {
    log(
      `## 2. Pass-through: ${settings.connections} connections, ${settings.duration} s runs after ` +
        `${settings.warmup} s warm-up, ${settings.rounds} rounds of baseline then gateway`,
    );
    pass = await runPassThrough(sim, settings, log);
    const summary = summarise(pass);
    log();
    log(textTable(ROUND_HEADERS, roundRows(pass)));
    log();
    log(textTable(PASS_HEADERS, passRows(summary)));
    const { baseline, gateway } = summary.targets;
    log(
      `CPU per request, median (proxy / simulator / load generator): ` +
        `baseline ${baseline.proxyCpuUs?.toFixed(0) ?? 'n/a'} / ${baseline.simCpuUs?.toFixed(0) ?? 'n/a'} / ${baseline.loadgenCpuUs.toFixed(0)} µs, ` +
        `gateway ${gateway.proxyCpuUs?.toFixed(0) ?? 'n/a'} / ${gateway.simCpuUs?.toFixed(0) ?? 'n/a'} / ${gateway.loadgenCpuUs.toFixed(0)} µs`,
    );
    log(
      `simulator during pass-through: ${pass.tokenRequests} token requests (1 baseline + 1 gateway expected), ` +
        `${pass.apiRejections} API 401s`,
    );
    passOk =
      summary.ratio.rps >= THROUGHPUT_TARGET &&
      baseline.errors + baseline.non2xx + gateway.errors + gateway.non2xx === 0;
    log(
      `target (gateway ≥ ${THROUGHPUT_TARGET}× baseline req/s, no errors): ${passOk ? 'met' : 'NOT MET'} ` +
        `(ratio of medians ${summary.ratio.rps.toFixed(3)}, per round ${summary.roundRatios.map((r) => r.toFixed(3)).join(', ')})`,
    );
    log();
  }

  let ships: ShipThroughputResult | undefined;
  let failover: FailoverResult | undefined;
  let outage: OutageResult | undefined;
  if (runs('shipments') || runs('failover') || runs('outage')) {
    const fedex = await startFedexSimulator();
    log(`FedEx simulator (own process, pid ${fedex.child.pid}) at ${fedex.url}`);
    log();
    const context: ShipmentsContext = { ups: sim, fedex, settings, log };

    if (runs('shipments')) {
      log(
        `## 3. Shipments with a warm token: ${settings.connections} connections, ${settings.duration} s runs ` +
          `after ${settings.warmup} s warm-up, ${settings.rounds} rounds of direct (UPS simulator) then gateway`,
      );
      ships = await runShipmentThroughput(context);
      const summary = summariseShipments(ships);
      log();
      log(textTable(SHIP_ROUND_HEADERS, shipRoundRows(ships)));
      log();
      log(textTable(SHIP_HEADERS, shipRows(summary)));
      log(shipCpuText(summary));
      log(
        `UPS simulator during the section: ${ships.tokenRequests} token requests (1 direct + 1 gateway expected), ` +
          `${ships.apiRejections} API 401s; gateway RSS ${ships.gatewayRssMb.start?.toFixed(0) ?? 'n/a'} → ` +
          `${ships.gatewayRssMb.end?.toFixed(0) ?? 'n/a'} MB with ${ships.idempotencyRecords} idempotency records`,
      );
      log(
        `gateway / direct req/s: ratio of medians ${summary.ratio.rps.toFixed(3)}, ` +
          `per round ${summary.roundRatios.map((r) => r.toFixed(3)).join(', ')} (no target)`,
      );
      log();
    }

    if (runs('failover')) {
      log(
        `## 4. Failover past an open breaker: ${settings.shipments.failoverRate} shipments/s evenly paced, ` +
          `${settings.duration} s runs after ${settings.warmup} s warm-up, ${settings.rounds} rounds of ` +
          `[fedex-main] then [ups-open, fedex-main]`,
      );
      failover = await runFailoverLatency(context);
      const summary = summariseFailover(failover);
      log();
      log(textTable(FAILOVER_ROUND_HEADERS, failoverRoundRows(failover, summary)));
      log();
      log(textTable(FAILOVER_HEADERS, failoverRows(summary)));
      log(`breaker settings: ${breakerText(failover.breakerSettings)}`);
      log(
        `ups-open breaker ${breakerStayedOpen(failover) ? 'stayed open' : 'DID NOT STAY OPEN'} through the runs ` +
          `(before: ${failover.before.state}, generation ${failover.before.generation}; ` +
          `after: ${failover.after.state}, generation ${failover.after.generation})`,
      );
      log();
    }

    if (runs('outage')) {
      const { outageRate, outageRepeats } = settings.shipments;
      log(
        `## 5. Auth outage to open breaker: ${outageRate} shipments/s to [ups-main, fedex-main], ` +
          `${outageRepeats} trial(s)`,
      );
      outage = await runAuthOutage(context);
      log();
      log(textTable(OUTAGE_HEADERS, outageRows(outage)));
      log(
        `breaker settings: ${breakerText(outage.breakerSettings)}; ${outage.prefillSeconds} s of load before each t0; ` +
          `send rate measured ${outage.achievedRate.toFixed(1)}/s; ${outage.non201} of ${outage.shipments} shipments not 201`,
      );
      log();
    }
  }

  let override: OverridePropagationResult | undefined;
  let overrideOk = true;
  if (runs('override')) {
    log(
      `## 6. Override propagation: 3 gateways on one Redis, ${settings.override.rounds} failover/restore ` +
        `commands on A per fleet, with pub/sub and with the poll only`,
    );
    override = await runOverridePropagation(sim, settings, log);
    log();
    log(textTable(OVERRIDE_HEADERS, overrideRows(override)));
    for (const run of override.runs) {
      log(
        `${run.mode} per round, ms after send (B/C): ` +
          run.rounds.map((round) => `${round.afterSendMs.B ?? '-'}/${round.afterSendMs.C ?? '-'}`).join(' '),
      );
    }
    log(`carrier calls during the section: ${override.carrierCalls} (none expected)`);
    const deployed = override.runs.find((run) => run.mode === 'pubsub')!;
    overrideOk = overrideRoundsMet(deployed) === deployed.rounds.length;
    log(`target (every instance within 100 ms of the command, every round): ${overrideVerdicts(override)}`);
    log();
  }

  let scale: ScaleRow[] | undefined;
  if (runs('scale')) {
    log(
      `## 7. Scale: 3 gateways on one Redis with ${settings.scale.accounts.join(', ')} UPS accounts; ` +
        `one call per account, then ${settings.scale.idleSeconds} s idle`,
    );
    scale = await runScale(sim, settings.scale, log);
    log();
    log(textTable(SCALE_HEADERS, scaleRows(scale)));
    const t = SCALE_TARGETS;
    log(
      `targets: idle ≤ ${t.idleCpuPercent} % CPU and ≤ ${t.idleRedisPerSecond} Redis cmds/s per instance, ` +
        `RSS ≤ ${t.rssBootMb} MB at boot and ≤ ${t.rssAfterCallsMb} MB after calls, boot ≤ ${t.bootMs} ms, ` +
        `propagation ≤ ${t.propagationMs} ms, health page ≤ ${t.healthPageMs} ms`,
    );
    log();
  }

  let rates: RatesResult | undefined;
  let ratesOk = true;
  if (runs('rates')) {
    log('## 8. Rates: POST /v1/rates to 4 accounts (UPS ×2, FedEx, and a UPS whose rates take 5 s)');
    rates = await runRates(settings, log);
    log();
    log(textTable(RATES_HEADERS, ratesRows(rates)));
    ratesOk = ratesMet(rates);
    log(
      `target (4 accounts with one 5 s carrier: p99 ≤ deadline + 50 ms, none later): ${ratesOk ? 'met' : 'NOT MET'}`,
    );
    log();
  }

  await stopAll();
  if (settings.cpuProfileDir) {
    log(`## CPU profiles (${settings.cpuProfileDir})`);
    // Only this run's files: the folder may hold profiles of earlier runs.
    const files = profileFiles([settings.cpuProfileDir]).filter((file) => statSync(file).mtimeMs >= started);
    for (const file of files) log(`${summariseProfile(file, 15)}\n`);
  }

  log('## Markdown (for docs/benchmarks.md)');
  log();
  log(markdown(m, settings, { stampede, pass, ships, failover, outage, override }));
  if (scale) {
    log();
    log(`| ${SCALE_HEADERS.join(' | ')} |`);
    log(`|${SCALE_HEADERS.map(() => ' --- ').join('|')}|`);
    for (const row of scaleRows(scale)) log(`| ${row.join(' | ')} |`);
  }
  if (rates) {
    log();
    log(`| ${RATES_HEADERS.join(' | ')} |`);
    log(`|${RATES_HEADERS.map(() => ' --- ').join('|')}|`);
    for (const row of ratesRows(rates)) log(`| ${row.join(' | ')} |`);
  }
  log();
  log(`total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return settings.strict && !(stampedeOk && passOk && overrideOk && ratesOk) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    // Ctrl-C reaches the children too, so the run fails as they go; the signal handler reports that.
    if (interrupted) return;
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    const crashes = crashReport();
    if (crashes !== undefined) process.stderr.write(`${crashes}\n`);
    await stopAll();
    process.exit(1);
  },
);
