/**
 * @module health/health-service
 * The health of each carrier account as operators read it (`GET /v1/health/carriers`, `/ops`,
 * alerts): status and score with every input, the breaker and any override, the token's life
 * (expiry, last refresh, refresh latency percentiles, refreshes and token requests per hour),
 * failures by taxonomy class over 5 minutes, 1 hour and 24 hours, the last probe by step, and
 * the runbook for what is failing now. History comes from the fleet-shared minute buckets.
 */
import type { ConfiguredAccount } from '../core/account.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { SecretRotationStatus } from '../auth/secret-rotation.js';
import type { AuthBreakers, BreakerState } from '../breaker/auth-breaker.js';
import type { AccountOverride, AccountOverrides } from '../overrides/overrides.js';
import { LATENCY_BOUNDS_MS, type Bucket } from './history.js';
import type { HealthRecorder } from './recorder.js';
import { computeScore, type HealthStatus, type ScoreInput } from './score.js';
import { runbookFor, type FailureClass } from '../core/failure-classes.js';

/** One step of a synthetic probe (src/probes/prober.ts fills these). */
export interface ProbeStep {
  name: string;
  ok: boolean;
  ms: number;
  failureClass?: FailureClass;
  detail?: string;
}

export interface ProbeResult {
  at: string;
  ok: boolean;
  steps: ProbeStep[];
  failureClass?: FailureClass;
  /** The carrier host's TLS certificate, read on the probe's connection (https hosts only). */
  certificate?: { host: string; validTo: string; daysLeft: number };
}

/** Where the last probe results come from (the prober, when probes run). */
export interface ProbeResults {
  last(account: string): ProbeResult | null;
}

export interface TrendPoint {
  /** Start of the 15-minute slice (ISO). */
  at: string;
  /** Successes / (successes + failures) over token, API and probe events; null when none. */
  successRate: number | null;
  refreshLatencyP95Ms: number | null;
  score: number | null;
}

export interface AccountHealth {
  account: string;
  carrier: string;
  status: HealthStatus;
  score: number;
  inputs: ScoreInput[];
  breaker: BreakerState & { generation: number };
  override: Readonly<AccountOverride>;
  token: {
    state: string;
    expiresInSeconds: number | null;
    lastRefresh: unknown;
    refreshLatencyMs: { p50: number | null; p95: number | null };
    refreshesLastHour: number;
    tokenRequests: { thisHour: number; lastHour: number } | null;
    /** With a `nextClientSecret` configured: which secret the carrier accepts. */
    secretRotation?: SecretRotationStatus;
  };
  failures: Record<'5m' | '1h' | '24h', Partial<Record<FailureClass, number>>>;
  currentFailureClass: FailureClass | null;
  runbook: string | null;
  lastProbe: ProbeResult | null;
  secret: { expiresAt: string; daysLeft: number } | null;
  trend: TrendPoint[];
}

export interface HealthServiceOptions {
  accounts: ConfiguredAccount[];
  engine: TokenEngine;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  recorder: HealthRecorder;
  probes?: ProbeResults;
  /** Refresh latency objective for the score (ms). */
  refreshLatencyObjectiveMs?: number;
  clockSkewThresholdMs?: number;
  now?: () => number;
}

const DAY_MS = 24 * 3600 * 1000;

function sumClasses(buckets: Bucket[]): Partial<Record<FailureClass, number>> {
  const sums: Partial<Record<FailureClass, number>> = {};
  for (const bucket of buckets) {
    for (const [name, count] of Object.entries(bucket.classes) as [FailureClass, number][]) {
      sums[name] = (sums[name] ?? 0) + count;
    }
  }
  return sums;
}

/** A percentile from the histogram: the upper bound of the bucket it falls in (null when empty). */
export function percentile(latency: number[], share: number): number | null {
  const total = latency.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let index = 0; index < latency.length; index += 1) {
    seen += latency[index]!;
    if (seen >= total * share) {
      const bound = LATENCY_BOUNDS_MS[index]!;
      return Number.isFinite(bound) ? bound : LATENCY_BOUNDS_MS[index - 1]! * 2;
    }
  }
  return null;
}

function mergeLatency(buckets: Bucket[]): number[] {
  const merged = LATENCY_BOUNDS_MS.map(() => 0);
  for (const bucket of buckets) bucket.latency.forEach((n, index) => (merged[index]! += n));
  return merged;
}

const count = (record: Partial<Record<string, number>>) =>
  Object.values(record).reduce((s: number, n) => s + (n ?? 0), 0);

export class HealthService {
  readonly #accounts: Map<string, ConfiguredAccount>;
  readonly #now: () => number;
  readonly #lastScores = new Map<string, { score: number; status: HealthStatus }>();
  #quietTrend: { minute: number; points: TrendPoint[] } | undefined;

  constructor(private readonly options: HealthServiceOptions) {
    this.#accounts = new Map(options.accounts.map((account) => [account.id, account]));
    this.#now = options.now ?? Date.now;
  }

  /** Accounts that have a last score (reported at least once). */
  scoredAccounts(): IterableIterator<string> {
    return this.#lastScores.keys();
  }

  /** The score of the last report made on this instance (metrics read it without recomputing). */
  lastScore(account: string): { score: number; status: HealthStatus } | undefined {
    return this.#lastScores.get(account);
  }

  has(account: string): boolean {
    return this.#accounts.has(account);
  }

  /**
   * `active`: the accounts with events in the last 24 hours, when the caller read them for many
   * reports at once; an account outside it has no history to read and no score minute worth
   * writing, so its report costs no history I/O.
   */
  async report(id: string, active?: ReadonlySet<string>): Promise<AccountHealth> {
    const account = this.#accounts.get(id)!;
    const { recorder, engine, breakers, overrides } = this.options;
    await recorder.flush();
    const now = this.#now();
    const minute = recorder.minute(now);
    const quiet = active !== undefined && !active.has(id);
    const day = quiet ? [] : await recorder.history.read(id, minute - 24 * 60 + 1, minute);
    const since = (minutes: number) => day.filter((bucket) => bucket.minute > minute - minutes);
    const hour = since(60);

    const status = await engine.status(id);
    const latency = mergeLatency(hour);
    const tokenOk = hour.reduce((sum, b) => sum + (b.ok.token ?? 0), 0);
    const tokenFailed = hour.reduce((sum, b) => sum + (b.failed.token ?? 0), 0);
    const lastProbe = this.options.probes?.last(id) ?? null;
    const breaker = breakers.state(id);
    const secretAt = account.secretExpiresAt;
    const secret =
      secretAt === undefined
        ? null
        : { expiresAt: new Date(secretAt).toISOString(), daysLeft: Math.floor((secretAt - now) / DAY_MS) };

    const scored = computeScore({
      tokenRequests: tokenOk + tokenFailed,
      tokenSuccesses: tokenOk,
      refreshLatencyP95Ms: percentile(latency, 0.95),
      refreshLatencyObjectiveMs: this.options.refreshLatencyObjectiveMs ?? 2_000,
      freshRejections: hour.reduce((sum, b) => sum + b.freshRejections, 0),
      lastProbeOk: lastProbe?.ok ?? null,
      breaker: breaker.state,
      reauthorizationRequired: status.state === 'reauthorization_required',
      secretExpiresInDays: secret?.daysLeft ?? null,
      certificateExpiresInDays: lastProbe?.certificate?.daysLeft ?? null,
      clockSkewMs: status.clockSkewMs,
      clockSkewThresholdMs: this.options.clockSkewThresholdMs ?? 30_000,
      tokenQuotaUse:
        account.tokenQuotaPerHour !== undefined && status.tokenRequests
          ? status.tokenRequests.thisHour / account.tokenQuotaPerHour
          : null,
    });
    this.#lastScores.set(id, { score: scored.score, status: scored.status });
    // Kept per minute, so the trend shows the score as it was (a quiet account's trend is empty).
    if (!quiet) await recorder.history.setScore(id, minute, scored.score).catch(() => undefined);

    const recent = sumClasses(since(5));
    const current = (Object.entries(recent) as [FailureClass, number][]).sort((a, b) => b[1] - a[1])[0]?.[0];
    const currentFailureClass =
      current ?? (lastProbe && !lastProbe.ok ? (lastProbe.failureClass ?? null) : null);

    return {
      account: id,
      carrier: account.carrier,
      status: scored.status,
      score: scored.score,
      inputs: scored.inputs,
      breaker: { ...breaker, generation: breakers.generation(id) },
      override: overrides.current(id),
      token: {
        state: status.state,
        expiresInSeconds: status.token?.expiresInSeconds ?? null,
        lastRefresh: status.lastRefresh,
        refreshLatencyMs: { p50: percentile(latency, 0.5), p95: percentile(latency, 0.95) },
        refreshesLastHour: tokenOk + tokenFailed,
        tokenRequests: status.tokenRequests,
        ...(status.secretRotation !== undefined ? { secretRotation: status.secretRotation } : {}),
      },
      failures: { '5m': recent, '1h': sumClasses(hour), '24h': sumClasses(day) },
      currentFailureClass,
      runbook: currentFailureClass ? runbookFor(currentFailureClass) : null,
      lastProbe,
      secret,
      trend: this.#trend(day, minute),
    };
  }

  /** Every account's report; history is read only for the accounts with events (one read finds them). */
  async reports(): Promise<AccountHealth[]> {
    const { recorder } = this.options;
    await recorder.flush();
    const minute = recorder.minute(this.#now());
    const active = await recorder.history.activeSince(minute - 24 * 60 + 1).catch(() => undefined);
    return Promise.all([...this.#accounts.keys()].map((id) => this.report(id, active)));
  }

  /**
   * 96 slices of 15 minutes, oldest first. The buckets are sorted into their slices in one pass;
   * a quiet account's trend (no bucket) is the same for every account in a minute, so it is built
   * once per minute and shared (frozen): a 10,000-account list builds it once, not 10,000 times.
   */
  #trend(day: Bucket[], minute: number): TrendPoint[] {
    const first = minute - 24 * 60 + 1;
    if (day.length === 0) {
      if (this.#quietTrend?.minute !== minute) {
        const points = Array.from({ length: 96 }, (_, slice) =>
          Object.freeze({
            at: new Date((first + slice * 15) * 60_000).toISOString(),
            successRate: null,
            refreshLatencyP95Ms: null,
            score: null,
          }),
        );
        this.#quietTrend = { minute, points: Object.freeze(points) as TrendPoint[] };
      }
      return this.#quietTrend.points;
    }
    const slices: Bucket[][] = Array.from({ length: 96 }, () => []);
    for (const bucket of day) {
      const slice = Math.floor((bucket.minute - first) / 15);
      if (slice >= 0 && slice < 96) slices[slice]!.push(bucket);
    }
    return slices.map((buckets, slice) => {
      const ok = buckets.reduce((sum, b) => sum + count(b.ok), 0);
      const failed = buckets.reduce((sum, b) => sum + count(b.failed), 0);
      const scores = buckets.filter((b) => b.score !== undefined);
      return {
        at: new Date((first + slice * 15) * 60_000).toISOString(),
        successRate: ok + failed > 0 ? ok / (ok + failed) : null,
        refreshLatencyP95Ms: percentile(mergeLatency(buckets), 0.95),
        score: scores.length > 0 ? scores[scores.length - 1]!.score! : null,
      };
    });
  }
}
