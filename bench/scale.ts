/**
 * @module bench/scale
 * Section 7: what a fleet costs as the number of carrier accounts grows (issue 11). For each
 * account count, on a redis-server of its own, three gateway processes (the real CLI) serve the
 * same N UPS accounts against the UPS simulator, and the section measures:
 * - boot: from spawning instance A to its "listening" line (configuration checked, Redis
 *   connected, shared state loaded). It includes Node and tsx compiling the sources on the fly,
 *   a fixed cost the 1-account row shows;
 * - A's resident memory once listening, after one proxied call per account (each account then
 *   holds a token, a breaker entry, a metric child, a minute of history), and at the end of the
 *   idle window below (V8 and the allocator have then had the settling time and the idle window to
 *   give back what the burst took);
 * - idle: after `SETTLE_MS` with no request, then for `idleSeconds`, CPU seconds of each process
 *   (from /proc) and Redis commands processed (`INFO stats` total_commands_processed; the two INFO
 *   calls subtracted) over the same seconds, per instance. The settling is V8's, not the
 *   gateway's: its memory reducer starts 8 s after allocation stops (`--gc-memory-reducer-start-
 *   delay-ms`) and runs up to three full collections, in rounds about 9 s apart, a one-off that a
 *   window starting right after the calls or the boot counted as idle cost (docs/benchmarks.md
 *   runs 21 and 23). B and C start after A, so their rounds end later than A's;
 * - a breaker forced open by an operator on A: ms from sending the command until B and C log it
 *   (`override applied` carries the version, pino stamps it with the process's clock);
 * - `GET /v1/health/carriers` on A after the calls (every account then has events): the median
 *   answer time of the first page (default limit 100) and of a `status=down` page, which scores
 *   accounts until it has a page of them (here: every account, none being down), and of a
 *   `sort=severity&limit=50` page (/ops), which reports every account with events (here: all).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Redis } from 'ioredis';

import { assertAlive, cpuSeconds, startRedis } from './processes.js';
import { CREDENTIALS, startGateway, writeConfig, type Service, type Simulator } from './targets.js';

const ADMIN_KEY = `bench-admin-key-${randomBytes(12).toString('hex')}`;
const TRACK_PATH = '/api/track/v1/details/1Z12345E0205271688';

export interface ScaleSettings {
  accounts: number[];
  idleSeconds: number;
  /** Proxied calls in flight at once while every account gets its one call. */
  concurrency: number;
}

export interface ScaleRow {
  accounts: number;
  bootMs: number;
  rssBootMb: number;
  rssAfterCallsMb: number;
  /** A's resident memory at the end of the idle window (what the calls left once V8 settled). */
  rssAfterIdleMb: number;
  callsSeconds: number;
  failedCalls: number;
  /** Per instance (mean of the three). */
  idleCpuPercent: number;
  /** A's, B's and C's, for the log: the mean hides which instance was busy. */
  idleCpuByInstance: number[];
  idleRedisPerSecond: number;
  /** The commands behind the idle figure, most frequent first. */
  idleCommands: string;
  /** ms from the command to the last of B and C applying it. */
  breakerPropagationMs: number | undefined;
  /** Median ms of `GET /v1/health/carriers` (first page, default limit) on A. */
  healthPageMs: number;
  /** Median ms of `GET /v1/health/carriers?status=down&limit=1000` on A (scans every account). */
  healthFilteredMs: number;
  /**
   * Median ms of `GET /v1/health/carriers?sort=severity&limit=50` on A (the /ops page's request):
   * it reports every account with events, here all of them, the worst case.
   */
  healthSeverityMs: number;
}

/** A 10,000-account gateway on a loaded two-core machine may take a while to listen. */
const START_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function accountId(index: number): string {
  return `ups-${String(index).padStart(5, '0')}`;
}

function fleetConfig(sim: Simulator, redisUrl: string, count: number): string {
  const ids = Array.from({ length: count }, (_, index) => accountId(index));
  return writeConfig(
    JSON.stringify({
      listen: { port: 0, host: '127.0.0.1' },
      shutdown: { graceMs: 0 },
      redis: { url: redisUrl },
      log: { level: 'info' },
      admins: [{ id: 'bench-oncall', apiKey: ADMIN_KEY }],
      clients: [{ id: 'bench-shop', apiKey: CREDENTIALS.apiKey, accounts: ids }],
      accounts: ids.map((id) => ({
        id,
        carrier: 'ups',
        urls: { token: `${sim.url}/security/v1/oauth/token`, api: sim.url },
        credentials: { clientId: CREDENTIALS.clientId, clientSecret: CREDENTIALS.clientSecret },
      })),
    }),
  );
}

/** Version → epoch ms of each `override applied` line of `account` in a gateway's output. */
function watchApplied(service: Service, account: string): Map<number, number> {
  const applied = new Map<number, number>();
  let pending = '';
  service.child.process.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('override applied')) continue;
      try {
        const entry = JSON.parse(line) as { account?: string; version?: number; time?: number };
        if (entry.account === account && typeof entry.version === 'number' && typeof entry.time === 'number')
          applied.set(entry.version, entry.time);
      } catch {
        // Not one of the gateway's log lines.
      }
    }
  });
  return applied;
}

async function callEveryAccount(
  a: Service,
  count: number,
  concurrency: number,
): Promise<{ seconds: number; failed: number }> {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count) {
      const id = accountId(next);
      next += 1;
      try {
        const response = await fetch(`${a.url}/v1/carriers/${id}${TRACK_PATH}`, {
          headers: { authorization: `Bearer ${CREDENTIALS.apiKey}` },
        });
        await response.arrayBuffer();
        if (response.status !== 200) failed += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { seconds: (performance.now() - started) / 1000, failed };
}

function commandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

function totalCommands(info: string): number {
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function idle(
  fleet: Service[],
  admin: Redis,
  seconds: number,
): Promise<Pick<ScaleRow, 'idleCpuPercent' | 'idleCpuByInstance' | 'idleRedisPerSecond' | 'idleCommands'>> {
  const cpuBefore = fleet.map((service) => cpuSeconds(service.child.pid) ?? NaN);
  const statsBefore = (await admin.info('stats')) as string;
  const commandsBefore = commandStats((await admin.info('commandstats')) as string);
  const started = performance.now();
  await sleep(seconds * 1000);
  const statsAfter = (await admin.info('stats')) as string;
  const elapsed = (performance.now() - started) / 1000;
  const commandsAfter = commandStats((await admin.info('commandstats')) as string);
  const cpuAfter = fleet.map((service) => cpuSeconds(service.child.pid) ?? NaN);
  const cpu = cpuAfter.map((after, index) => ((after - cpuBefore[index]!) / elapsed) * 100);
  // The runner's own INFO stats (the second is counted by the time it answers) and INFO commandstats.
  const commands = totalCommands(statsAfter) - totalCommands(statsBefore) - 2;
  const deltas = [...commandsAfter]
    .map(([name, calls]) => [name, calls - (commandsBefore.get(name) ?? 0)] as const)
    .filter(([name, calls]) => calls > 0 && name !== 'info')
    .sort((x, y) => y[1] - x[1])
    .slice(0, 4);
  return {
    idleCpuPercent: cpu.reduce((sum, value) => sum + value, 0) / cpu.length,
    idleCpuByInstance: cpu,
    idleRedisPerSecond: commands / elapsed / fleet.length,
    idleCommands: deltas.map(([name, calls]) => `${name} ${calls}`).join(', ') || 'none',
  };
}

const HEALTH_RUNS = 5;

/**
 * Quiet time before the idle window: V8's memory reducer starts 8 s after allocation stops and
 * its last round can come about 9 s after its first (run 23: full collections at 8.5, 17.2 and
 * 17.8 s after a one-account gateway's start), on C a few seconds later than on A.
 */
const SETTLE_MS = 25_000;

/** Median answer time (ms, body read) of `GET <path>` on A, after one unmeasured warm-up; NaN if one failed. */
async function medianGetMs(a: Service, path: string): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run <= HEALTH_RUNS; run += 1) {
    const started = performance.now();
    const response = await fetch(`${a.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await response.arrayBuffer();
    // A refused answer is a result too (under load, reads can pass the Redis command timeout).
    if (response.status !== 200) return NaN;
    if (run > 0) times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}

const msOrFailed = (ms: number) => (Number.isNaN(ms) ? 'refused' : ms.toFixed(0));

async function forceOpen(fleet: Service[], account: string): Promise<number | undefined> {
  const [a, ...others] = fleet as [Service, ...Service[]];
  const applied = others.map((service) => watchApplied(service, account));
  const sentAt = Date.now();
  const response = await fetch(`${a.url}/v1/admin/accounts/${account}/breaker`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'open', reason: 'bench: forced open' }),
  });
  const body = (await response.json()) as { version?: number; code?: string };
  if (response.status !== 200 || typeof body.version !== 'number')
    throw new Error(`breaker on A: HTTP ${response.status} ${body.code ?? ''}`);
  const version = body.version;
  const deadline = Date.now() + 5_000;
  while (applied.some((map) => !map.has(version)) && Date.now() < deadline) await sleep(5);
  if (applied.some((map) => !map.has(version))) return undefined;
  return Math.max(...applied.map((map) => map.get(version)! - sentAt));
}

async function measure(
  sim: Simulator,
  count: number,
  settings: ScaleSettings,
  log: (line: string) => void,
): Promise<ScaleRow> {
  const redis = await startRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  const fleet: Service[] = [];
  try {
    const config = fleetConfig(sim, redis.url, count);
    const spawned = performance.now();
    const a = await startGateway(config, `scale-${count}-A`, [], START_TIMEOUT_MS);
    const bootMs = performance.now() - spawned;
    fleet.push(a);
    // One after the other: on two shared cores, three processes compiling at once can take longer
    // than the usual start timeout.
    for (const name of ['B', 'C'])
      fleet.push(await startGateway(config, `scale-${count}-${name}`, [], START_TIMEOUT_MS));
    await sleep(2_000);
    const rssBootMb = rssMb(a.child.pid);
    const calls = await callEveryAccount(a, count, settings.concurrency);
    assertAlive();
    await sleep(2_000);
    const rssAfterCallsMb = rssMb(a.child.pid);
    await sleep(SETTLE_MS);
    const quiet = await idle(fleet, admin, settings.idleSeconds);
    const rssAfterIdleMb = rssMb(a.child.pid);
    const healthPageMs = await medianGetMs(a, '/v1/health/carriers');
    const healthFilteredMs = await medianGetMs(a, '/v1/health/carriers?status=down&limit=1000');
    const healthSeverityMs = await medianGetMs(a, '/v1/health/carriers?sort=severity&limit=50');
    const breakerPropagationMs = await forceOpen(fleet, accountId(count - 1));
    const row: ScaleRow = {
      accounts: count,
      bootMs,
      rssBootMb,
      rssAfterCallsMb,
      rssAfterIdleMb,
      callsSeconds: calls.seconds,
      failedCalls: calls.failed,
      ...quiet,
      breakerPropagationMs,
      healthPageMs,
      healthFilteredMs,
      healthSeverityMs,
    };
    log(
      `  ${count} accounts: boot ${bootMs.toFixed(0)} ms, RSS ${rssBootMb.toFixed(0)} → ` +
        `${rssAfterCallsMb.toFixed(0)} MB (${rssAfterIdleMb.toFixed(0)} MB after idle; ${count} calls in ${calls.seconds.toFixed(1)} s, ${calls.failed} failed), ` +
        `idle ${row.idleCpuPercent.toFixed(2)} % CPU (A, B, C: ${row.idleCpuByInstance.map((cpu) => cpu.toFixed(2)).join(', ')}), ` +
        `${row.idleRedisPerSecond.toFixed(1)} Redis cmds/s ` +
        `(${row.idleCommands}), forced-open breaker on B and C after ${breakerPropagationMs ?? 'n/a'} ms, ` +
        `health page ${msOrFailed(healthPageMs)} (status=down over all: ${msOrFailed(healthFilteredMs)}; ` +
        `sort=severity, 50: ${msOrFailed(healthSeverityMs)})`,
    );
    return row;
  } finally {
    await Promise.all(fleet.map((service) => service.child.stop()));
    admin.disconnect();
    await redis.child.stop();
  }
}

export async function runScale(
  sim: Simulator,
  settings: ScaleSettings,
  log: (line: string) => void,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const count of settings.accounts) rows.push(await measure(sim, count, settings, log));
  return rows;
}

/** The targets, per instance, whatever the number of accounts. */
export const SCALE_TARGETS = {
  idleCpuPercent: 1,
  idleRedisPerSecond: 20,
  rssBootMb: 200,
  rssAfterCallsMb: 300,
  bootMs: 3_000,
  propagationMs: 100,
  healthPageMs: 200,
} as const;

export const SCALE_HEADERS = [
  'accounts',
  'boot ms',
  'RSS boot MB',
  'RSS after calls MB',
  'RSS after idle MB',
  'idle CPU % / instance',
  'idle Redis cmds/s / instance',
  'forced-open breaker on 3 instances ms',
  'health page ms',
  'health status=down ms',
  'health sort=severity ms',
];

export function scaleRows(rows: ScaleRow[]): string[][] {
  return rows.map((row) => [
    String(row.accounts),
    row.bootMs.toFixed(0),
    row.rssBootMb.toFixed(0),
    row.rssAfterCallsMb.toFixed(0),
    row.rssAfterIdleMb.toFixed(0),
    row.idleCpuPercent.toFixed(2),
    row.idleRedisPerSecond.toFixed(1),
    row.breakerPropagationMs === undefined ? 'not within 5 s' : String(row.breakerPropagationMs),
    msOrFailed(row.healthPageMs),
    msOrFailed(row.healthFilteredMs),
    msOrFailed(row.healthSeverityMs),
  ]);
}
