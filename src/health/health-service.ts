/**
 * @module health/health-service
 * The health of each carrier account as operators read it (`GET /v1/health/carriers`, `/ops`,
 * alerts): status and score with every input, the breaker and any override, the token's life
 * (expiry, last refresh, refresh latency percentiles, refreshes and token requests per hour),
 * failures by taxonomy class over 5 minutes, 1 hour and 24 hours, the last probe by step, and
 * the runbook for what is failing now. History comes from the fleet-shared minute buckets.
 */
import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { SecretRotationStatus } from '../auth/secret-rotation.js';
import type { StatusReads } from '../auth/token-status.js';
import type { AuthBreakers, BreakerState } from '../breaker/auth-breaker.js';
import type { AccountOverride, AccountOverrides } from '../overrides/overrides.js';
import { LATENCY_BOUNDS_MS, type Bucket } from './history.js';
import type { HealthRecorder } from './recorder.js';
import { computeScore, EXPIRY_WARNING_DAYS, type HealthStatus, type ScoreInput } from './score.js';
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
  /** The accounts that have a probe result (none when absent). */
  probed?(): Iterable<string>;
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

/** One page of reports (`HealthService.page`). */
export interface HealthPage {
  reports: AccountHealth[];
  /** The last account this page looked at, when accounts remain after it; null at the end. */
  after: string | null;
}

/** What the health list filters on: a status, or `failing` for down or degraded. */
export type HealthFilter = HealthStatus | 'failing';

export interface HealthPageQuery {
  /** Only these accounts (a client key's); default every account. */
  visible?: ReadonlySet<string>;
  /** Start after this account id (exclusive); default the first. */
  after?: string;
  limit: number;
  /** Only reports with this status (`failing`: down or degraded). */
  status?: HealthFilter;
  /** Only accounts whose id or carrier contains this, whatever the case. */
  q?: string;
}

export interface SeverityPageQuery {
  visible?: ReadonlySet<string>;
  status?: HealthFilter;
  q?: string;
  /** Matching accounts skipped, worst first. */
  offset: number;
  limit: number;
}

/** One page in severity order (`HealthService.severityPage`). */
export interface SeverityPage {
  reports: AccountHealth[];
  /** Accounts matching `q` and `status`, all pages together. */
  total: number;
  /** Visible accounts by status, whatever `q` and `status`. */
  counts: Record<HealthStatus, number>;
}

const matchesStatus = (filter: HealthFilter | undefined, status: HealthStatus) =>
  filter === undefined || (filter === 'failing' ? status !== 'healthy' : status === filter);

const SEVERITY: Record<HealthStatus, number> = { down: 0, degraded: 1, healthy: 2 };
/** Worst first: down, degraded, healthy; the lowest score first; then by id (code-unit order). */
export function bySeverity(a: Rank, b: Rank): number {
  return (
    SEVERITY[a.status] - SEVERITY[b.status] ||
    a.score - b.score ||
    (a.account < b.account ? -1 : a.account > b.account ? 1 : 0)
  );
}

/** What the severity order ranks an account by. */
export type Rank = Pick<AccountHealth, 'account' | 'status' | 'score'>;

/** Nothing against it: where every quiet account stands. */
const spotless = (rank: Rank) => rank.status === 'healthy' && rank.score === 100;

/** Accounts ranked at once (each reads up to 2 history hours and its token state). */
const RANK_BATCH = 500;

/** Reports computed at once while a status filter looks for matches. */
const FILTER_BATCH = 250;
/**
 * Reports computed at once: each reads an active account's day of history (25 hashes), and a
 * thousand at once would queue 25,000 Redis commands behind the command timeout.
 */
const REPORT_CONCURRENCY = 50;

/** The first index of `sorted` whose id comes after `id` (code-unit order). */
function indexAfter(sorted: readonly string[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}

const count = (record: Partial<Record<string, number>>) =>
  Object.values(record).reduce((s: number, n) => s + (n ?? 0), 0);

export class HealthService {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  /** Account ids in code-unit order: the order pages follow, stable across calls. */
  readonly #sorted: string[];
  readonly #now: () => number;
  readonly #lastScores = new Map<string, { score: number; status: HealthStatus }>();
  #emptyTrend: { minute: number; points: TrendPoint[] } | undefined;

  constructor(private readonly options: HealthServiceOptions) {
    this.#accounts = accountsById(options.accounts);
    this.#sorted = [...this.#accounts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
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

  /** The accounts with a probe result: O(probed accounts). */
  probed(): Iterable<string> {
    return this.options.probes?.probed?.() ?? [];
  }

  /**
   * `active`: the accounts with events in the last 24 hours, when the caller read them for many
   * reports at once; an account outside it has no history to read and no score minute worth
   * writing, so its report costs no history I/O.
   */
  async report(id: string, active?: ReadonlySet<string>): Promise<AccountHealth> {
    const account = this.#accounts.get(id)!;
    const { recorder, breakers, overrides } = this.options;
    await recorder.flush();
    const now = this.#now();
    const minute = recorder.minute(now);
    const quiet = active !== undefined && !active.has(id);
    const day = quiet ? [] : await recorder.history.read(id, minute - 24 * 60 + 1, minute);
    const since = (minutes: number) => day.filter((bucket) => bucket.minute > minute - minutes);
    const hour = since(60);

    const { status, latency, tokenOk, tokenFailed, lastProbe, breaker, secret, scored } = await this.#assess(
      id,
      hour,
      now,
    );
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

  /** Score and status from the last hour's buckets and the account's state; kept as its last score. */
  async #assess(id: string, hour: Bucket[], now: number, read: StatusReads = {}) {
    const account = this.#accounts.get(id)!;
    const { engine, breakers } = this.options;
    const status = await engine.status(id, read);
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
    return { status, latency, tokenOk, tokenFailed, lastProbe, breaker, secret, scored };
  }

  /**
   * Accounts' status and score alone, from their last hour (at most 2 hour reads each, read for
   * all of them at once; no trend, no score minute written): what the severity order ranks by.
   * The token request counts are read only for accounts with a token quota (the only score input
   * they feed).
   */
  async #rankMany(
    ids: readonly string[],
    active: ReadonlySet<string>,
    minute: number,
    now: number,
  ): Promise<Rank[]> {
    const withEvents = ids.filter((id) => active.has(id));
    const [hours, states] = await Promise.all([
      this.options.recorder.history.readMany(withEvents, minute - 59, minute),
      // Unreadable at once, each status reads its own (and says Redis is away).
      this.options.engine.store.readStates(ids).catch(() => undefined),
    ]);
    return Promise.all(
      ids.map(async (id): Promise<Rank> => {
        const requestCounts = this.#accounts.get(id)!.tokenQuotaPerHour !== undefined;
        const shared = states?.get(id);
        const read = shared === undefined ? { requestCounts } : { requestCounts, shared };
        const { scored } = await this.#assess(id, hours.get(id) ?? [], now, read);
        return { account: id, status: scored.status, score: scored.score };
      }),
    );
  }

  /** Reports of `ids`, in order, at most REPORT_CONCURRENCY computed at once. */
  async #reportsOf(
    ids: readonly string[],
    active: ReadonlySet<string> | undefined,
  ): Promise<AccountHealth[]> {
    const out: AccountHealth[] = [];
    for (let from = 0; from < ids.length; from += REPORT_CONCURRENCY) {
      const chunk = ids.slice(from, from + REPORT_CONCURRENCY);
      out.push(...(await Promise.all(chunk.map((id) => this.report(id, active)))));
    }
    return out;
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
   * Up to `limit` reports in account id order after `after`, with history read for the accounts
   * with events only: the cost is that of the page, not of the fleet. With a status filter the
   * accounts are ranked in batches (`#rankMany`; a quiet one is healthy at 100 without a look, see
   * `severityPage`) until the page is full or the accounts run out, and the matches reported.
   */
  async page(query: HealthPageQuery): Promise<HealthPage> {
    const { recorder } = this.options;
    const order = this.#visible(query.visible, query.q);
    let start = query.after === undefined ? 0 : indexAfter(order, query.after);
    await recorder.flush();
    const now = this.#now();
    const minute = recorder.minute(now);
    const active = await recorder.history.activeSince(minute - 24 * 60 + 1).catch(() => undefined);
    if (query.status === undefined) {
      const ids = order.slice(start, start + query.limit);
      const reports = await this.#reportsOf(ids, active);
      start += ids.length;
      return { reports, after: start < order.length ? order[start - 1]! : null };
    }
    // With a status: ranked (as the severity order ranks) a batch at a time until the page is
    // full; the matches alone get their reports.
    const noteworthy = active === undefined ? () => true : this.#noteworthy(active, now);
    const matched: string[] = [];
    while (start < order.length && matched.length < query.limit) {
      const ids = order.slice(start, start + Math.max(query.limit - matched.length, FILTER_BATCH));
      const worth = ids.filter(noteworthy);
      const ranked = new Map<string, Rank>();
      for (const rank of active
        ? await this.#rankMany(worth, active, minute, now)
        : await Promise.all(worth.map((id) => this.report(id))))
        ranked.set(rank.account, rank);
      const ranks = ids.map((id): Rank => ranked.get(id) ?? { account: id, status: 'healthy', score: 100 });
      let used = 0;
      for (const rank of ranks) {
        used += 1;
        if (!matchesStatus(query.status, rank.status)) continue;
        matched.push(rank.account);
        if (matched.length === query.limit) break;
      }
      start += used;
    }
    const built = await this.#reportsOf(matched, active);
    const reports = built.filter((report) => matchesStatus(query.status, report.status));
    return { reports, after: start < order.length ? order[start - 1]! : null };
  }

  /**
   * One page worst first (`bySeverity`), with the totals of every visible account, for the cost
   * of ranking the accounts with something to say plus the page's reports. A rank is the status
   * and score alone, from the last hour (`#rankMany`: no 24-hour read, no trend). An account with no
   * event in 24 hours, no breaker record, no probe result, no secret expiring within
   * EXPIRY_WARNING_DAYS and no last score here short of healthy at 100 has nothing that could take
   * a point off its score (every input is an event, a breaker, a probe or the secret), so it is
   * counted healthy at 100 without being ranked and placed among those by id. Such an account whose
   * report turns out otherwise (a token state kept in the store from days ago) is shown as it is,
   * and ranked by it from the next list on (its last score is then kept).
   */
  async severityPage(query: SeverityPageQuery): Promise<SeverityPage> {
    const { recorder } = this.options;
    await recorder.flush();
    const now = this.#now();
    const minute = recorder.minute(now);
    const active = await recorder.history.activeSince(minute - 24 * 60 + 1).catch(() => undefined);
    const visible = this.#visible(query.visible);
    const noteworthy = visible.filter(this.#noteworthy(active, now));
    const known = new Map<string, Rank>();
    for (let from = 0; from < noteworthy.length; from += RANK_BATCH) {
      const batch = noteworthy.slice(from, from + RANK_BATCH);
      const ranks = active
        ? await this.#rankMany(batch, active, minute, now)
        : await Promise.all(batch.map((id) => this.report(id)));
      for (const rank of ranks) known.set(rank.account, rank);
    }

    const counts: Record<HealthStatus, number> = {
      down: 0,
      degraded: 0,
      healthy: visible.length - known.size,
    };
    for (const rank of known.values()) counts[rank.status] += 1;
    const text = this.#textFilter(query.q);
    const flagged = [...known.values()]
      .filter((rank) => !spotless(rank) && text(rank.account) && matchesStatus(query.status, rank.status))
      .sort(bySeverity);
    // Healthy at 100, known or assumed, in id order: the tail of the severity order.
    const rest = matchesStatus(query.status, 'healthy')
      ? visible.filter((id) => text(id) && (known.get(id) === undefined || spotless(known.get(id)!)))
      : [];
    const from = query.offset;
    const to = from + query.limit;
    const ids = [
      ...flagged.slice(from, to).map((rank) => rank.account),
      ...rest.slice(Math.max(0, from - flagged.length), Math.max(0, to - flagged.length)),
    ];
    // Full reports for the page only, in the order ranked.
    const reports = await this.#reportsOf(ids, active);
    return { reports, total: flagged.length + rest.length, counts };
  }

  /** The visible account ids in code-unit order, those matching `q` only when given. */
  #visible(visible: ReadonlySet<string> | undefined, q?: string): string[] {
    const text = this.#textFilter(q);
    if (visible === undefined && q === undefined) return this.#sorted;
    return this.#sorted.filter((id) => (visible === undefined || visible.has(id)) && text(id));
  }

  /** Whether an account's id or carrier contains `q`, whatever the case (always, without `q`). */
  #textFilter(q: string | undefined): (id: string) => boolean {
    if (q === undefined) return () => true;
    const needle = q.toLowerCase();
    return (id) =>
      id.toLowerCase().includes(needle) || this.#accounts.get(id)!.carrier.toLowerCase().includes(needle);
  }

  /**
   * Accounts whose report may be anything but healthy at 100 (see `severityPage`): every one when
   * the accounts with events could not be read.
   */
  #noteworthy(active: ReadonlySet<string> | undefined, now: number): (id: string) => boolean {
    if (active === undefined) return () => true;
    const { breakers } = this.options;
    const marked = new Set<string>([...active, ...breakers.recorded(), ...this.probed()]);
    for (const [id, last] of this.#lastScores)
      if (last.status !== 'healthy' || last.score < 100) marked.add(id);
    const warnBefore = now + EXPIRY_WARNING_DAYS * DAY_MS;
    return (id) => {
      if (marked.has(id)) return true;
      const secretAt = this.#accounts.get(id)?.secretExpiresAt;
      return secretAt !== undefined && secretAt < warnBefore;
    };
  }

  /**
   * 96 slices of 15 minutes, oldest first. The buckets are sorted into their slices in one pass;
   * a quiet account's trend (no bucket) is the same for every account in a minute, so it is built
   * once per minute and shared (frozen): a 10,000-account list builds it once, not 10,000 times.
   */
  #trend(day: Bucket[], minute: number): TrendPoint[] {
    const first = minute - 24 * 60 + 1;
    if (day.length === 0) {
      if (this.#emptyTrend?.minute !== minute) {
        const points = Array.from({ length: 96 }, (_, slice) =>
          Object.freeze({
            at: new Date((first + slice * 15) * 60_000).toISOString(),
            successRate: null,
            refreshLatencyP95Ms: null,
            score: null,
          }),
        );
        this.#emptyTrend = { minute, points: Object.freeze(points) as TrendPoint[] };
      }
      return this.#emptyTrend.points;
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
