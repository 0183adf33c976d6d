/**
 * @module bench/report
 * Turns the two sections' figures into what `npm run bench` prints: the machine and command
 * header, medians and gateway/baseline ratios, target verdicts, and a compact Markdown block that
 * can be pasted into docs/benchmarks.md as it is.
 */
import { cpus, loadavg, release, type as osType } from 'node:os';

import { fmtUs, TARGETS, type Measurement, type PassThroughResult, type TargetName } from './passthrough.js';
import { KNOBS, type BenchSettings } from './settings.js';
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

export function markdown(
  /** Taken when the run started, so the load average is the one the run began under. */
  m: Machine,
  settings: BenchSettings,
  stampede: StampedeResult,
  pass: PassThroughResult,
  summary: PassThroughSummary,
): string {
  return [
    `Command: \`${command()}\` — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ` +
      `${new Date().toISOString().slice(0, 10)}, load average at start ${m.load}`,
    '',
    `Stampede: ${stampede.instances} gateway processes on one Redis, ${stampede.requestsPerInstance} concurrent ` +
      `requests each per burst, token lifetime ${stampede.lifetimeSeconds} s, on-demand refresh only ` +
      `(target: 1 token request per burst).`,
    '',
    markdownTable(STAMPEDE_HEADERS, stampedeRows(stampede)),
    '',
    `Pass-through: ${pass.connections} connections, ${pass.duration} s per run after ${pass.warmup} s warm-up, ` +
      `${settings.rounds} alternating rounds, medians (target: gateway ≥ ${THROUGHPUT_TARGET}× baseline req/s).`,
    '',
    markdownTable(PASS_HEADERS, passRows(summary)),
    '',
    markdownTable(ROUND_HEADERS, roundRows(pass)),
  ].join('\n');
}
