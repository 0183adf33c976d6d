/**
 * @module bench/settings
 * The benchmark's knobs, read once from the environment. Defaults are sized for the full run to
 * stay under about six minutes on a 2-core machine; `BENCH_QUICK=1` shrinks everything to a
 * smoke run that only proves the harness works (its figures mean little).
 */

/** The sections of a run, in the order they run; `BENCH_SKIP` leaves some out. */
export const SECTIONS = [
  'stampede',
  'passthrough',
  'shipments',
  'failover',
  'outage',
  'override',
  'scale',
  'rates',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchSettings {
  quick: boolean;
  /** Seconds of measured load per round and target. */
  duration: number;
  /** Seconds of discarded load before each measured run (JIT, keep-alive sockets, token cache). */
  warmup: number;
  connections: number;
  /** Rounds; each round measures the baseline, then the gateway. */
  rounds: number;
  stampede: {
    instances: number;
    requestsPerInstance: number;
    expiries: number;
    tokenLifetimeSeconds: number;
  };
  /** Sections left out (BENCH_SKIP). */
  skip: ReadonlySet<Section>;
  /** Sections 3 to 5: shipments through `POST /v1/shipments`. */
  shipments: {
    /** Shipments per second (evenly paced, open loop) of the failover-latency runs. */
    failoverRate: number;
    /** Shipments per second sent while the auth outage starts. */
    outageRate: number;
    /** Outage trials (each: load, outage, breaker opens, recovery). */
    outageRepeats: number;
  };
  /** Section 6: a manual failover sent to one instance, applied by the others. */
  override: {
    /** Commands on instance A (failover and restore alternating), per fleet. */
    rounds: number;
  };
  /** Section 7: a fleet's cost as the number of accounts grows. */
  scale: {
    /** Account counts measured, one fleet each. */
    accounts: number[];
    /** Seconds without traffic over which idle CPU and Redis commands are measured. */
    idleSeconds: number;
    concurrency: number;
  };
  /** Folder for `--cpu-prof` output of the gateway and baseline processes, or undefined. */
  cpuProfileDir: string | undefined;
  /** Exit with status 1 when a target (1 token request per expiry, ≥ 0.9× throughput) is missed. */
  strict: boolean;
}

/** Every knob, so the header can print the ones set and `--help`-style docs stay in one place. */
export const KNOBS = {
  BENCH_QUICK: '1: short smoke run',
  BENCH_DURATION: 'seconds of measured load per round and target (default 10)',
  BENCH_WARMUP: 'seconds of discarded warm-up before each measured run (default 2)',
  BENCH_CONNECTIONS: 'autocannon connections (default 32)',
  BENCH_ROUNDS: 'alternating baseline/gateway rounds (default 3, at least 2 in a full run)',
  BENCH_STAMPEDE_INSTANCES: 'gateway processes sharing Redis (default 3)',
  BENCH_STAMPEDE_REQUESTS: 'concurrent requests per instance per burst (default 300)',
  BENCH_STAMPEDE_EXPIRIES: 'token expiries to stampede after the cold start (default 3)',
  BENCH_TOKEN_LIFETIME: 'simulator token lifetime in seconds during the stampede (default 5)',
  BENCH_RATES_CONCURRENCY: 'rates: rate requests in flight at once (default 16, quick: 8)',
  BENCH_SKIP: `comma-separated sections to leave out: ${SECTIONS.join(', ')}`,
  BENCH_ONLY: 'comma-separated sections to run, every other one left out (e.g. BENCH_ONLY=scale)',
  BENCH_SCALE_ACCOUNTS: 'scale: comma-separated account counts (default 1,1000,10000; quick: 1,100)',
  BENCH_SCALE_IDLE: 'scale: seconds of idle measured per account count (default 10, quick: 3)',
  BENCH_FAILOVER_RATE: 'shipments/s, evenly paced, of the failover-latency runs (default 200)',
  BENCH_OUTAGE_RATE: 'shipments/s while the auth outage starts (default 50)',
  BENCH_OUTAGE_REPEATS: 'auth outage trials (default 3, quick: 1)',
  BENCH_OVERRIDE_ROUNDS: 'override propagation: admin commands per fleet (default 50, quick: 10)',
  BENCH_CPU_PROF:
    'folder: run the pass-through gateway and baseline, and the shipments gateway, under --cpu-prof',
  BENCH_STRICT: '1: exit 1 when a target is missed',
  BENCH_BUILT:
    '1: build first (npm run build) and run the gateway as the built JavaScript (node dist/src/main.js), as production does, instead of under tsx',
} as const;

function number(name: keyof typeof KNOBS, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

function sections(raw: string | undefined, knob = 'BENCH_SKIP'): Set<Section> {
  const names = (raw ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new Error(`${knob}: unknown section "${name}" (sections: ${SECTIONS.join(', ')})`);
  }
  return new Set(names as Section[]);
}

/** BENCH_SKIP, or every section BENCH_ONLY does not name. */
function skipped(): Set<Section> {
  const skip = sections(process.env.BENCH_SKIP);
  if (process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === '') return skip;
  const only = sections(process.env.BENCH_ONLY, 'BENCH_ONLY');
  for (const section of SECTIONS) if (!only.has(section)) skip.add(section);
  return skip;
}

function accountCounts(raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined || raw === '') return fallback;
  const counts = raw.split(',').map((part) => Number(part.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count < 1))
    throw new Error(`BENCH_SCALE_ACCOUNTS must be positive integers, got "${raw}"`);
  return counts;
}

export function readSettings(): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    duration: number('BENCH_DURATION', quick ? 2 : 10, 1),
    warmup: number('BENCH_WARMUP', quick ? 0.5 : 2, 0),
    connections: Math.round(number('BENCH_CONNECTIONS', 32, 1)),
    rounds: Math.round(number('BENCH_ROUNDS', quick ? 1 : 3, 1)),
    stampede: {
      instances: Math.round(number('BENCH_STAMPEDE_INSTANCES', quick ? 2 : 3, 1)),
      requestsPerInstance: Math.round(number('BENCH_STAMPEDE_REQUESTS', quick ? 50 : 300, 1)),
      expiries: Math.round(number('BENCH_STAMPEDE_EXPIRIES', quick ? 1 : 3, 1)),
      // The gateway refreshes on demand 1 s before expiry (marginSeconds: 1), so 2 s is the floor
      // at which a token is ever fresh at all.
      tokenLifetimeSeconds: Math.round(number('BENCH_TOKEN_LIFETIME', quick ? 3 : 5, 2)),
    },
    skip: skipped(),
    shipments: {
      failoverRate: number('BENCH_FAILOVER_RATE', 200, 1),
      outageRate: number('BENCH_OUTAGE_RATE', 50, 1),
      outageRepeats: Math.round(number('BENCH_OUTAGE_REPEATS', quick ? 1 : 3, 1)),
    },
    override: { rounds: Math.round(number('BENCH_OVERRIDE_ROUNDS', quick ? 10 : 50, 1)) },
    scale: {
      accounts: accountCounts(process.env.BENCH_SCALE_ACCOUNTS, quick ? [1, 100] : [1, 1_000, 10_000]),
      idleSeconds: number('BENCH_SCALE_IDLE', quick ? 3 : 10, 1),
      concurrency: 32,
    },
    cpuProfileDir: process.env.BENCH_CPU_PROF || undefined,
    strict: process.env.BENCH_STRICT === '1',
  };
}
