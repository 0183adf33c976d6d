/**
 * @module bench/report
 * Turns the sections' figures into what `npm run bench` prints: the machine and command header,
 * medians and gateway/baseline ratios, target verdicts, and a compact Markdown block that can be
 * pasted into docs/benchmarks.md as it is.
 */
import { cpus, loadavg, release, type as osType } from 'node:os';

import {
  OVERRIDE_TARGET_MS,
  POLL_MS,
  WATCHERS,
  type OverridePropagationResult,
  type PropagationRun,
} from './override-propagation.js';
import { fmtUs, TARGETS, type Measurement, type PassThroughResult, type TargetName } from './passthrough.js';
import { KNOBS, type BenchSettings } from './settings.js';
import {
  FAILOVER_TARGETS,
  SHIP_TARGETS,
  type FailoverMeasurement,
  type FailoverResult,
  type FailoverTargetName,
  type OutageResult,
  type ShipMeasurement,
  type ShipTargetName,
  type ShipThroughputResult,
} from './shipments.js';
import { percentile } from './shipment-load.js';
import type { StampedeResult } from './stampede.js';

/** The throughput the gateway must keep, as a share of the baseline's. */
export const THROUGHPUT_TARGET = 0.9;

export function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages. */
  load: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${osType()} ${release()}`,
    // The machine is shared: the load before the run says how much of it was someone else's.
    load: loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
  };
}

/** The command as typed, knobs included, so a reader can repeat the run exactly. */
export function command(): string {
  const knobs = Object.keys(KNOBS)
    .filter((name) => process.env[name] !== undefined && process.env[name] !== '')
    .map((name) => `${name}=${process.env[name]}`);
  const invoked = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'npx tsx bench/run.ts';
  return [...knobs, invoked].join(' ');
}

export interface TargetSummary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  proxyCpuUs: number | undefined;
  simCpuUs: number | undefined;
  loadgenCpuUs: number;
}

export interface PassThroughSummary {
  targets: Record<TargetName, TargetSummary>;
  /** gateway / baseline, from the medians. */
  ratio: { rps: number; p50: number; p99: number; proxyCpu: number | undefined };
  /** gateway / baseline within each round: pairs runs measured seconds apart. */
  roundRatios: number[];
}

function optionalMedian(values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : median(known);
}

export function summarise(result: PassThroughResult): PassThroughSummary {
  const of = (target: TargetName) => result.measurements.filter((m) => m.target === target);
  const summary = (runs: Measurement[]): TargetSummary => ({
    rps: median(runs.map((m) => m.rps)),
    p50Ms: median(runs.map((m) => m.p50Ms)),
    p99Ms: median(runs.map((m) => m.p99Ms)),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    non2xx: runs.reduce((sum, m) => sum + m.non2xx, 0),
    proxyCpuUs: optionalMedian(runs.map((m) => m.proxyCpuUs)),
    simCpuUs: optionalMedian(runs.map((m) => m.simCpuUs)),
    loadgenCpuUs: median(runs.map((m) => m.loadgenCpuUs)),
  });
  const targets = { baseline: summary(of('baseline')), gateway: summary(of('gateway')) };
  const baselineRuns = of('baseline');
  const roundRatios = of('gateway').map(
    (g) => g.rps / (baselineRuns.find((b) => b.round === g.round)?.rps ?? NaN),
  );
  const { baseline, gateway } = targets;
  return {
    targets,
    ratio: {
      rps: gateway.rps / baseline.rps,
      p50: gateway.p50Ms / baseline.p50Ms,
      p99: gateway.p99Ms / baseline.p99Ms,
      proxyCpu:
        gateway.proxyCpuUs !== undefined && baseline.proxyCpuUs !== undefined
          ? gateway.proxyCpuUs / baseline.proxyCpuUs
          : undefined,
    },
    roundRatios,
  };
}

/** Plain-text table with aligned columns, for the terminal. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = `|${headers.map((_, column) => (column === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const burstLabel = (index: number) => (index === 0 ? 'cold start' : `expiry ${index}`);
const x = (ratio: number | undefined) =>
  ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${ratio.toFixed(2)}×`;
const ms = (value: number) => value.toFixed(2);

export function stampedeRows(result: StampedeResult): string[][] {
  const rows = result.bursts.map((burst) => [
    burstLabel(burst.index),
    String(burst.tokenRequests),
    String(burst.requests),
    String(burst.non200),
    String(burst.apiRejections),
    `${burst.wallMs.toFixed(0)} ms`,
  ]);
  const total = (pick: (burst: StampedeResult['bursts'][number]) => number) =>
    String(result.bursts.reduce((sum, burst) => sum + pick(burst), 0));
  rows.push([
    'total',
    total((b) => b.tokenRequests),
    total((b) => b.requests),
    total((b) => b.non200),
    total((b) => b.apiRejections),
    '',
  ]);
  return rows;
}

export const STAMPEDE_HEADERS = [
  'Burst',
  'Token requests',
  'Requests',
  'Non-200',
  'Carrier 401s',
  'Burst time',
];

export function stampedeMet(result: StampedeResult): boolean {
  return result.bursts.every((burst) => burst.tokenRequests === 1 && burst.non200 === 0);
}

export const PASS_HEADERS = ['Target', 'req/s', 'p50 ms', 'p99 ms', 'errors / non-2xx', 'proxy CPU/req'];

export function passRows(summary: PassThroughSummary): string[][] {
  const rows = TARGETS.map((target) => {
    const t = summary.targets[target];
    return [
      target,
      t.rps.toFixed(0),
      ms(t.p50Ms),
      ms(t.p99Ms),
      `${t.errors} / ${t.non2xx}`,
      fmtUs(t.proxyCpuUs),
    ];
  });
  rows.push([
    'gateway / baseline',
    x(summary.ratio.rps),
    x(summary.ratio.p50),
    x(summary.ratio.p99),
    '',
    x(summary.ratio.proxyCpu),
  ]);
  return rows;
}

export function roundRows(result: PassThroughResult): string[][] {
  const rounds = [...new Set(result.measurements.map((m) => m.round))];
  return rounds.map((round) => {
    const get = (target: TargetName) =>
      result.measurements.find((m) => m.round === round && m.target === target);
    const b = get('baseline');
    const g = get('gateway');
    return [
      String(round),
      b ? b.rps.toFixed(0) : 'n/a',
      g ? g.rps.toFixed(0) : 'n/a',
      b && g ? x(g.rps / b.rps) : 'n/a',
      b ? `${ms(b.p50Ms)} / ${ms(b.p99Ms)}` : 'n/a',
      g ? `${ms(g.p50Ms)} / ${ms(g.p99Ms)}` : 'n/a',
    ];
  });
}

export const ROUND_HEADERS = [
  'Round',
  'baseline req/s',
  'gateway req/s',
  'ratio',
  'baseline p50/p99 ms',
  'gateway p50/p99 ms',
];

/* Section 3: shipments throughput, gateway against the direct UPS label request. */

export interface ShipTargetSummary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
  labels: number;
  gatewayCpuUs: number | undefined;
  simCpuUs: number | undefined;
  loadgenCpuUs: number;
}

export interface ShipSummary {
  targets: Record<ShipTargetName, ShipTargetSummary>;
  /** gateway / direct, from the medians. */
  ratio: { rps: number; p50: number; p99: number };
  /** gateway / direct within each round. */
  roundRatios: number[];
}

export function summariseShipments(result: ShipThroughputResult): ShipSummary {
  const of = (target: ShipTargetName) => result.measurements.filter((m) => m.target === target);
  const summary = (runs: ShipMeasurement[]): ShipTargetSummary => ({
    rps: median(runs.map((m) => m.rps)),
    p50Ms: median(runs.map((m) => m.p50Ms)),
    p99Ms: median(runs.map((m) => m.p99Ms)),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    non2xx: runs.reduce((sum, m) => sum + m.non2xx, 0),
    requests: runs.reduce((sum, m) => sum + m.requests, 0),
    labels: runs.reduce((sum, m) => sum + m.labels, 0),
    gatewayCpuUs: optionalMedian(runs.map((m) => m.gatewayCpuUs)),
    simCpuUs: optionalMedian(runs.map((m) => m.simCpuUs)),
    loadgenCpuUs: median(runs.map((m) => m.loadgenCpuUs)),
  });
  const targets = { direct: summary(of('direct')), gateway: summary(of('gateway')) };
  const directRuns = of('direct');
  return {
    targets,
    ratio: {
      rps: targets.gateway.rps / targets.direct.rps,
      p50: targets.gateway.p50Ms / targets.direct.p50Ms,
      p99: targets.gateway.p99Ms / targets.direct.p99Ms,
    },
    roundRatios: of('gateway').map((g) => g.rps / (directRuns.find((d) => d.round === g.round)?.rps ?? NaN)),
  };
}

export const SHIP_HEADERS = [
  'Target',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors / non-2xx',
  'gateway CPU/req',
  'simulator CPU/req',
];

export function shipRows(summary: ShipSummary): string[][] {
  const rows = SHIP_TARGETS.map((target) => {
    const t = summary.targets[target];
    return [
      target === 'direct' ? 'direct to UPS simulator' : 'gateway',
      t.rps.toFixed(0),
      ms(t.p50Ms),
      ms(t.p99Ms),
      `${t.errors} / ${t.non2xx}`,
      fmtUs(t.gatewayCpuUs),
      fmtUs(t.simCpuUs),
    ];
  });
  rows.push([
    'gateway / direct',
    x(summary.ratio.rps),
    x(summary.ratio.p50),
    x(summary.ratio.p99),
    '',
    '',
    '',
  ]);
  return rows;
}

export const SHIP_ROUND_HEADERS = [
  'Round',
  'direct req/s',
  'gateway req/s',
  'ratio',
  'direct p50/p99 ms',
  'gateway p50/p99 ms',
];

export function shipRoundRows(result: ShipThroughputResult): string[][] {
  const rounds = [...new Set(result.measurements.map((m) => m.round))];
  return rounds.map((round) => {
    const get = (target: ShipTargetName) =>
      result.measurements.find((m) => m.round === round && m.target === target);
    const d = get('direct');
    const g = get('gateway');
    return [
      String(round),
      d ? d.rps.toFixed(0) : 'n/a',
      g ? g.rps.toFixed(0) : 'n/a',
      d && g ? x(g.rps / d.rps) : 'n/a',
      d ? `${ms(d.p50Ms)} / ${ms(d.p99Ms)}` : 'n/a',
      g ? `${ms(g.p50Ms)} / ${ms(g.p99Ms)}` : 'n/a',
    ];
  });
}

/* Section 4: failover past an open breaker, against FedEx alone. */

export interface FailoverSummary {
  targets: Record<
    FailoverTargetName,
    {
      rps: number;
      p50Ms: number;
      p99Ms: number;
      errors: number;
      non2xx: number;
      misrouted: number;
      gatewayCpuUs: number | undefined;
    }
  >;
  /** failover − fedex-only, from the medians, ms. */
  diff: { p50: number; p99: number };
  /** The same within each round. */
  roundDiffs: { round: number; p50: number; p99: number }[];
}

export function summariseFailover(result: FailoverResult): FailoverSummary {
  const of = (target: FailoverTargetName) => result.measurements.filter((m) => m.target === target);
  const summary = (runs: FailoverMeasurement[]) => ({
    rps: median(runs.map((m) => m.rps)),
    p50Ms: median(runs.map((m) => m.p50Ms)),
    p99Ms: median(runs.map((m) => m.p99Ms)),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    non2xx: runs.reduce((sum, m) => sum + m.non2xx, 0),
    misrouted: runs.reduce((sum, m) => sum + m.misrouted, 0),
    gatewayCpuUs: optionalMedian(runs.map((m) => m.gatewayCpuUs)),
  });
  const targets = { 'fedex-only': summary(of('fedex-only')), failover: summary(of('failover')) };
  const fedexRuns = of('fedex-only');
  return {
    targets,
    diff: {
      p50: targets.failover.p50Ms - targets['fedex-only'].p50Ms,
      p99: targets.failover.p99Ms - targets['fedex-only'].p99Ms,
    },
    roundDiffs: of('failover').map((f) => {
      const base = fedexRuns.find((m) => m.round === f.round);
      return { round: f.round, p50: f.p50Ms - (base?.p50Ms ?? NaN), p99: f.p99Ms - (base?.p99Ms ?? NaN) };
    }),
  };
}

const signedMs = (value: number) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}` : 'n/a';

const cpuDiff = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '' : `${a >= b ? '+' : '−'}${Math.abs(a - b).toFixed(0)} µs`;

const FAILOVER_LABELS: Record<FailoverTargetName, string> = {
  'fedex-only': '[fedex-main]',
  failover: '[ups-open (breaker open), fedex-main]',
};

export const FAILOVER_HEADERS = [
  'Accounts',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors / non-2xx',
  'misrouted',
  'gateway CPU/req',
];

export function failoverRows(summary: FailoverSummary): string[][] {
  const rows = FAILOVER_TARGETS.map((target) => {
    const t = summary.targets[target];
    return [
      FAILOVER_LABELS[target],
      t.rps.toFixed(0),
      ms(t.p50Ms),
      ms(t.p99Ms),
      `${t.errors} / ${t.non2xx}`,
      String(t.misrouted),
      fmtUs(t.gatewayCpuUs),
    ];
  });
  rows.push([
    'difference (failover − FedEx alone)',
    '',
    signedMs(summary.diff.p50),
    signedMs(summary.diff.p99),
    '',
    '',
    cpuDiff(summary.targets.failover.gatewayCpuUs, summary.targets['fedex-only'].gatewayCpuUs),
  ]);
  return rows;
}

export const FAILOVER_ROUND_HEADERS = [
  'Round',
  '[fedex-main] p50/p99 ms',
  'failover p50/p99 ms',
  'difference p50/p99 ms',
];

export function failoverRoundRows(result: FailoverResult, summary: FailoverSummary): string[][] {
  return summary.roundDiffs.map(({ round, p50, p99 }) => {
    const get = (target: FailoverTargetName) =>
      result.measurements.find((m) => m.round === round && m.target === target);
    const f = get('fedex-only');
    const o = get('failover');
    return [
      String(round),
      f ? `${ms(f.p50Ms)} / ${ms(f.p99Ms)}` : 'n/a',
      o ? `${ms(o.p50Ms)} / ${ms(o.p99Ms)}` : 'n/a',
      `${signedMs(p50)} / ${signedMs(p99)}`,
    ];
  });
}

export function breakerStayedOpen(result: FailoverResult): boolean {
  return result.after.state === 'open' && result.after.generation === result.before.generation;
}

/* Section 5: auth outage to open breaker. */

export const OUTAGE_HEADERS = [
  'Trial',
  'ms to open (poll)',
  'ms to open (transition)',
  'shipments sent',
  'tried UPS',
  'failed at UPS',
  'closed again after',
];

export function outageRows(result: OutageResult): string[][] {
  const rows = result.trials.map((trial) => [
    String(trial.index),
    trial.msToOpenPolled.toFixed(0),
    String(trial.msToOpenTransition),
    String(trial.sent),
    String(trial.triedUps),
    String(trial.failedAtUps),
    trial.recoveryMs === undefined ? 'n/a' : `${trial.recoveryMs.toFixed(0)} ms`,
  ]);
  const stat = (name: string, pick: (values: number[]) => number) => {
    const of = (get: (trial: OutageResult['trials'][number]) => number) => pick(result.trials.map(get));
    return [
      name,
      of((t) => t.msToOpenPolled).toFixed(0),
      of((t) => t.msToOpenTransition).toFixed(0),
      of((t) => t.sent).toFixed(0),
      of((t) => t.triedUps).toFixed(0),
      of((t) => t.failedAtUps).toFixed(0),
      '',
    ];
  };
  rows.push(
    stat('median', median),
    stat('max', (values) => Math.max(...values)),
  );
  return rows;
}

export function breakerText(settings: FailoverResult['breakerSettings']): string {
  return (
    `volumeThreshold ${settings.volumeThreshold}, errorThresholdPercentage ${settings.errorThresholdPercentage}, ` +
    `consecutiveFailures ${settings.consecutiveFailures}, ` +
    `rollingCountTimeoutMs ${settings.rollingCountTimeoutMs}, resetTimeoutMs ${settings.resetTimeoutMs}`
  );
}

export function shipCpuText(summary: ShipSummary): string {
  const { direct, gateway } = summary.targets;
  return (
    `CPU per request, median (gateway / simulator / load generator): ` +
    `direct n/a / ${fmtUs(direct.simCpuUs)} / ${fmtUs(direct.loadgenCpuUs)}, ` +
    `gateway ${fmtUs(gateway.gatewayCpuUs)} / ${fmtUs(gateway.simCpuUs)} / ${fmtUs(gateway.loadgenCpuUs)}`
  );
}

/* Section 6: override propagation. */

export const OVERRIDE_HEADERS = [
  'Fleet',
  'Instance',
  'applied',
  'p50 ms',
  'p95 ms',
  'max ms',
  'after A answered p50 / p95 / max ms',
  `≤ ${OVERRIDE_TARGET_MS} ms`,
];

const MODE_LABELS: Record<PropagationRun['mode'], string> = {
  pubsub: 'pub/sub + poll',
  'poll-only': `poll only (${POLL_MS} ms)`,
};

function lagCells(values: (number | undefined)[]): string[] {
  const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  const whole = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
  return [
    `${known.length}/${values.length}`,
    whole(percentile(known, 50)),
    whole(percentile(known, 95)),
    whole(known.at(-1) ?? Number.NaN),
  ];
}

/**
 * One row per watcher and one for both, with the lag from sending the command (what the target
 * is about) and from A's answer (propagation alone; below zero when a watcher applied the change
 * before A's answer reached the runner). A's own row is its answer time.
 */
export function overrideRows(result: OverridePropagationResult): string[][] {
  const rows: string[][] = [];
  for (const run of result.runs) {
    const label = MODE_LABELS[run.mode];
    const series = [...WATCHERS.map((name) => [name]), [...WATCHERS]];
    for (const names of series) {
      const afterSend = run.rounds.flatMap((round) => names.map((name) => round.afterSendMs[name]));
      const afterAnswer = run.rounds.flatMap((round) =>
        names.map((name) => {
          const lag = round.afterSendMs[name];
          return lag === undefined ? undefined : lag - round.answerMs;
        }),
      );
      const [, p50, p95, max] = lagCells(afterAnswer);
      const within = afterSend.filter((lag) => lag !== undefined && lag <= OVERRIDE_TARGET_MS).length;
      rows.push([
        label,
        names.join(' + '),
        ...lagCells(afterSend),
        `${p50} / ${p95} / ${max}`,
        `${within}/${afterSend.length}`,
      ]);
    }
    const [, p50, p95, max] = lagCells(run.rounds.map((round) => round.answerMs));
    rows.push([label, 'A answered', '', p50, p95, max, '', '']);
  }
  return rows;
}

/** Rounds in which every watcher applied the change within the target of the command being sent. */
export function overrideRoundsMet(run: PropagationRun): number {
  return run.rounds.filter((round) =>
    WATCHERS.every((name) => {
      const lag = round.afterSendMs[name];
      return lag !== undefined && lag <= OVERRIDE_TARGET_MS;
    }),
  ).length;
}

export function overrideVerdicts(result: OverridePropagationResult): string {
  return result.runs
    .map((run) => {
      const met = overrideRoundsMet(run);
      return `${MODE_LABELS[run.mode]}: ${met === run.rounds.length ? 'met' : 'NOT MET'} (${met} of ${run.rounds.length} rounds)`;
    })
    .join('; ');
}

export interface MarkdownParts {
  stampede?: StampedeResult;
  pass?: PassThroughResult;
  ships?: ShipThroughputResult;
  failover?: FailoverResult;
  outage?: OutageResult;
  override?: OverridePropagationResult;
}

export function markdown(
  /** Taken when the run started, so the load average is the one the run began under. */
  m: Machine,
  settings: BenchSettings,
  parts: MarkdownParts,
): string {
  const lines: string[] = [
    `Command: \`${command()}\` — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ` +
      `${new Date().toISOString().slice(0, 10)}, load average at start ${m.load}`,
  ];
  const { stampede, pass, ships, failover, outage, override } = parts;
  if (stampede) {
    lines.push(
      '',
      `Stampede: ${stampede.instances} gateway processes on one Redis, ${stampede.requestsPerInstance} concurrent ` +
        `requests each per burst, token lifetime ${stampede.lifetimeSeconds} s, on-demand refresh only ` +
        `(target: 1 token request per burst).`,
      '',
      markdownTable(STAMPEDE_HEADERS, stampedeRows(stampede)),
    );
  }
  if (pass) {
    lines.push(
      '',
      `Pass-through: ${pass.connections} connections, ${pass.duration} s per run after ${pass.warmup} s warm-up, ` +
        `${settings.rounds} alternating rounds, medians (target: gateway ≥ ${THROUGHPUT_TARGET}× baseline req/s).`,
      '',
      markdownTable(PASS_HEADERS, passRows(summarise(pass))),
      '',
      markdownTable(ROUND_HEADERS, roundRows(pass)),
    );
  }
  if (ships) {
    const summary = summariseShipments(ships);
    lines.push(
      '',
      `Shipments, warm token: POST /v1/shipments (one UPS account, a new Idempotency-Key each) against the ` +
        `same UPS label request posted to the simulator; ${ships.connections} connections, ${ships.duration} s ` +
        `per run after ${ships.warmup} s warm-up, ${ships.rounds} alternating rounds, medians (no target).`,
      '',
      markdownTable(SHIP_HEADERS, shipRows(summary)),
      '',
      markdownTable(SHIP_ROUND_HEADERS, shipRoundRows(ships)),
      '',
      `${shipCpuText(summary)}. Labels made by the simulator in the measured runs: direct ` +
        `${summary.targets.direct.labels}, gateway ${summary.targets.gateway.labels} ` +
        `(2xx answers: ${summary.targets.direct.requests - summary.targets.direct.non2xx}, ` +
        `${summary.targets.gateway.requests - summary.targets.gateway.non2xx}). Token requests in the section: ` +
        `${ships.tokenRequests}; gateway RSS ${mb(ships.gatewayRssMb.start)} → ${mb(ships.gatewayRssMb.end)} ` +
        `with ${ships.idempotencyRecords} idempotency records in memory.`,
    );
  }
  if (failover) {
    const summary = summariseFailover(failover);
    lines.push(
      '',
      `Failover past an open breaker: one gateway, ${failover.rate} shipments/s evenly paced (open loop), ` +
        `${failover.duration} s per run after ${failover.warmup} s warm-up, ` +
        `${failover.rounds} alternating rounds, medians; breaker ${breakerText(failover.breakerSettings)}; ` +
        `ups-open ${failover.before.state} before (${failover.before.cause}) and ${failover.after.state} after ` +
        `(generation ${failover.before.generation} → ${failover.after.generation}) (no target).`,
      '',
      markdownTable(FAILOVER_HEADERS, failoverRows(summary)),
      '',
      markdownTable(FAILOVER_ROUND_HEADERS, failoverRoundRows(failover, summary)),
    );
  }
  if (outage) {
    lines.push(
      '',
      `Auth outage to open breaker: ${outage.rate} shipments/s to [ups-main, fedex-main] (measured ` +
        `${outage.achievedRate.toFixed(1)}/s), outage = UPS simulator prematureExpirySeconds 0 + ` +
        `errorInSuccessBody at t0 after ${outage.prefillSeconds} s of load on a closed breaker, ` +
        `GET /v1/accounts polled every 10 ms; breaker ${breakerText(outage.breakerSettings)}; ` +
        `${outage.non201} of ${outage.shipments} shipments not 201 (no target).`,
      '',
      markdownTable(OUTAGE_HEADERS, outageRows(outage)),
    );
  }
  if (override) {
    lines.push(
      '',
      `Override propagation: ${override.instances} gateway processes on one Redis, ${override.rounds} admin ` +
        `commands on A per fleet (failover and restore of one account, alternating, 0–${POLL_MS} ms apart); ` +
        `ms from sending the command to each instance's \`override applied\` log line; ` +
        `${override.carrierCalls} carrier calls (target: every instance within ${OVERRIDE_TARGET_MS} ms, ` +
        `every round: ${overrideVerdicts(override)}).`,
      '',
      markdownTable(OVERRIDE_HEADERS, overrideRows(override)),
    );
  }
  return lines.join('\n');
}

const mb = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MB`);
