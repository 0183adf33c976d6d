/**
 * @module probes/prober
 * Synthetic probes: per account, on an interval with jitter, one instance of the fleet (a Redis
 * lease, src/probes/store.ts) runs five timed steps (src/probes/steps.ts): `token` (a
 * fresh issuance where the carrier tolerates one, the shared token otherwise, or the static
 * credential), `validation`, `jwt`, `call` (the carrier's cheap protected endpoint) and `classify`
 * (the failure class, and what the breaker is told); accounts with an RFC 7662 introspection
 * endpoint get a sixth, `introspect`, before the call (src/probes/introspect.ts). The first
 * failing step ends the run; the result goes to the health recorder, to the account's breaker and
 * to Redis, where every instance's `last()` reads it. The API host's TLS certificate is read on the
 * probe's connection.
 *
 * Breaker: the probe takes a permit like any request. A `trial` permit makes the probe the
 * half-open trial, whose outcome closes or reopens the breaker fleet-wide; `pass` counts in the
 * rolling window like a shipment, so a failing probe can open the breaker before a shipment
 * fails. An `open` permit (not yet due, the trial held elsewhere, or forced) still runs the steps
 * and records the result, because operators need to see whether the carrier came back, but
 * tells the breaker nothing: its reset timer and its single trial pace recovery, and a probe
 * reporting past them would be a second trial.
 *
 * At scale (issue 11): each account's probe has its own slot in the interval, from a stable hash
 * of its id, so 10,000 accounts are probed evenly over the interval, at the same slot on every
 * instance (the lease then picks one). A scheduled run is skipped when the account's real traffic
 * (API calls, shipments, rates, tracking) in the last interval succeeded with no failure, unless
 * its last probe is an hour old: that still refreshes the certificate reading. What a probe spends
 * of the token endpoint: the cached token is used unless a fresh issuance is the point (the
 * carrier's `probe.freshIssuance`), and then at most once per the issued token's lifetime; a token
 * request a probe causes (fresh, or the shared token when none is held) counts against
 * `probes.tokenQuotaShare` of the account's `tokenQuotaPerHour`, past which the scheduled probe
 * uses the cached token or does not run. An operator's `runOnce` is the operator's decision and
 * runs as the carrier's mode says.
 */
import { performance } from 'node:perf_hooks';

import type { Logger } from 'pino';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { CarrierApi } from '../upstream/carrier-api.js';
import { UpstreamObserver } from '../upstream/observe.js';
import { CarrierTransport } from '../upstream/transport.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { AuthBreakers, BreakerOutcome, BreakerPermit } from '../breaker/auth-breaker.js';
import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';
import type { ProbeResult, ProbeResults, ProbeStep } from '../health/health-service.js';
import { ProbeSteps, type Outcome, type RunOptions, type StepName } from './steps.js';
import { tokenMode } from './token.js';
import { MemoryProbeStore, RedisProbeStore, type ProbeStore } from './store.js';
import type { ProbeCa } from '../upstream/tls.js';
import type { HealthRecorder } from '../health/recorder.js';
import { isAuthClass } from '../core/failure-classes.js';
import { GATEWAY_OWN_CLASSES } from '../core/failures.js';

export interface ProberOptions {
  accounts: ConfiguredAccount[];
  engine: TokenEngine;
  /** The one path to carrier APIs; default: one of the prober's own over the engine (probes use fresh connections). */
  api?: CarrierApi;
  breakers: AuthBreakers;
  recorder: HealthRecorder;
  log: Logger;
  redis?: RedisConnection;
  intervalMs: number;
  /** Each run starts up to this much later than the interval, so instances and accounts drift apart. */
  jitterMs: number;
  now?: () => number;
  random?: () => number;
  /** Trust for carrier hosts (a private CA; tests' self-signed certificates); replaces the defaults. */
  ca?: ProbeCa;
  /** How often the fleet's results are re-read, on top of pub/sub (default: the interval, at most 30 s). */
  refreshMs?: number;
  /**
   * Per carrier, the share (0–1) of an account's `tokenQuotaPerHour` that scheduled probes may
   * spend on token requests (`probes.tokenQuotaShare`). Carriers not named, and accounts with no
   * quota configured, are not capped this way.
   */
  tokenQuotaShare?: Readonly<Partial<Record<string, number>>>;
}

/**
 * Where in the interval an account's probe falls: a stable hash (FNV-1a, 32 bits, then mixed) of
 * its id scaled to the interval, the same on every instance and at every start.
 */
export function probeSlotMs(account: string, intervalMs: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < account.length; index += 1) {
    hash ^= account.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  // FNV alone leaves ids that differ in their last characters close together: mix (murmur3's finaliser).
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return Math.floor(((hash >>> 0) / 2 ** 32) * intervalMs);
}

/** The first time after `now` that is the account's slot in a wall-clock grid of `intervalMs`. */
export function nextProbeAt(account: string, now: number, intervalMs: number): number {
  const slot = probeSlotMs(account, intervalMs);
  return slot + (Math.floor((now - slot) / intervalMs) + 1) * intervalMs;
}

/** A busy healthy account is still probed when its last probe is this old (certificate, TLS). */
const PROBE_AT_LEAST_EVERY_MS = 3_600_000;
/** Sources of the account's real traffic (not the token endpoint alone, not probes). */
const TRAFFIC_SOURCES = ['api', 'shipment', 'rates', 'tracking'] as const;

/** What a scheduled run does: skip (why), or run with the shared token forced or not. */
type Plan = { skip: string } | { run: RunOptions; issues: boolean };

/**
 * A failed token, validation or JWT step means the carrier would not give a usable token (the
 * shipment path counts the same); a failed call counts only when its class is about auth. A
 * failed introspection counts when it found the token revoked (or expired), not when the
 * introspection endpoint itself failed: no request of the data path goes there.
 */
export function breakerOutcome(outcome: Pick<Outcome, 'ok' | 'failureClass' | 'failedStep'>): BreakerOutcome {
  if (outcome.ok) return 'success';
  const failureClass = outcome.failureClass ?? 'gateway.internal';
  // Gateway machinery, not the carrier: never counted against the account.
  if (GATEWAY_OWN_CLASSES.has(failureClass)) return 'neutral';
  if (outcome.failedStep === 'introspect')
    return failureClass.startsWith('authorization.') ? 'auth_failure' : 'neutral';
  if (outcome.failedStep !== 'call') return 'auth_failure';
  return isAuthClass(failureClass) ? 'auth_failure' : 'neutral';
}

/** How far catch-ups overlap: instances' clocks may differ by this much. */
const CLOCK_SLACK_MS = 5_000;

export class Prober implements ProbeResults {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #store: ProbeStore;
  /** Leases while Redis is away: this instance probes on its own rather than nobody probing. */
  readonly #fallback: MemoryProbeStore;
  readonly #cache = new Map<string, ProbeResult>();
  readonly #inflight = new Map<string, Promise<ProbeResult>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #ticks = new Set<Promise<void>>();
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #resultTtlMs: number;
  readonly #steps: ProbeSteps;
  #refreshTimer: NodeJS.Timeout | undefined;
  /** When the last catch-up started (undefined: never). */
  #caughtUpTo: number | undefined;
  #onMessage: ((channel: string, message: string) => void) | undefined;
  #running = false;

  constructor(private readonly options: ProberOptions) {
    this.#accounts = accountsById(options.accounts);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#store = options.redis
      ? new RedisProbeStore(options.redis, this.#now)
      : new MemoryProbeStore(this.#now);
    this.#fallback = new MemoryProbeStore(this.#now);
    this.#resultTtlMs = 3 * (options.intervalMs + options.jitterMs);
    this.#steps = new ProbeSteps({
      engine: options.engine,
      api:
        options.api ??
        new CarrierApi({
          engine: options.engine,
          transport: new CarrierTransport(),
          observer: new UpstreamObserver(undefined),
          log: options.log,
        }),
      now: this.#now,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
  }

  /** The last result of an account's probe, from any instance; null when none is recent. */
  last(account: string): ProbeResult | null {
    const result = this.#cache.get(account);
    if (result === undefined || Date.parse(result.at) < this.#now() - this.#resultTtlFor(account))
      return null;
    return result;
  }

  /** The accounts with a result held here (fresh or not: `last` says which). */
  probed(): Iterable<string> {
    return this.#cache.keys();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const account of this.#accounts.values()) {
      if (account.descriptor.data.probe !== undefined) this.#schedule(account.id);
    }
    this.watch();
  }

  /**
   * Follows the results other instances publish, without probing on a schedule (a gateway with no
   * `probes:` block still shows the probes operators run by hand on any instance).
   */
  watch(): void {
    const redis = this.options.redis;
    if (redis === undefined || !(this.#store instanceof RedisProbeStore) || this.#onMessage) return;
    const channel = this.#store.channel;
    this.#onMessage = (received, account) => {
      if (received === channel && this.#accounts.has(account)) void this.#refresh([account]);
    };
    redis.subscriber.on('message', this.#onMessage);
    redis.subscriber.subscribe(channel).catch((error: Error) => {
      this.options.log.warn(
        { err: { message: error.message } },
        'probe event subscription failed; polling only',
      );
    });
    const refreshMs = this.options.refreshMs ?? Math.min(this.options.intervalMs, 30_000);
    this.#refreshTimer = setInterval(() => void this.#catchUp(), refreshMs);
    this.#refreshTimer.unref();
    void this.#catchUp();
  }

  /**
   * Results saved since the last catch-up (on any instance), fetched alone: one command when
   * nothing changed, whatever the number of accounts. The first one looks back as far as a result
   * stays fresh; later ones overlap by a few seconds, for clocks that differ between instances.
   */
  async #catchUp(): Promise<void> {
    const now = this.#now();
    const since =
      this.#caughtUpTo === undefined ? now - this.#resultTtlMs : this.#caughtUpTo - CLOCK_SLACK_MS;
    try {
      const changed = (await this.#store.changedSince(since)).filter((account) =>
        this.#accounts.has(account),
      );
      if (changed.length > 0) await this.#refresh(changed);
      this.#caughtUpTo = now;
    } catch {
      // Redis away: this instance's own results stay; the next catch-up looks back further.
    }
  }

  /** Stops scheduling, waits for probes in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    const redis = this.options.redis;
    if (redis && this.#onMessage) {
      redis.subscriber.off('message', this.#onMessage);
      if (this.#store instanceof RedisProbeStore)
        await redis.subscriber.unsubscribe(this.#store.channel).catch(() => undefined);
    }
    await Promise.allSettled([...this.#ticks, ...this.#inflight.values()]);
    await this.#steps.close();
  }

  /** Probes an account now (no lease: an explicit request); one run per account at a time on this instance. */
  runOnce(accountId: string, options: RunOptions = {}): Promise<ProbeResult> {
    const account = this.#accounts.get(accountId);
    if (account === undefined)
      return Promise.reject(new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId }));
    let run = this.#inflight.get(accountId);
    if (run === undefined) {
      run = this.#probe(account, options).finally(() => this.#inflight.delete(accountId));
      this.#inflight.set(accountId, run);
    }
    return run;
  }

  /** A result is shown for three intervals of its own account, then counts as stale. */
  #resultTtlFor(account: string): number {
    return Math.max(this.#resultTtlMs, 3 * (this.#intervalMs(account) + this.options.jitterMs));
  }

  /** The configured interval, or the carrier's minimum where its quota asks for fewer probes. */
  #intervalMs(account: string): number {
    const minimum = (this.#accounts.get(account)?.descriptor.data.probe?.minIntervalSeconds ?? 0) * 1000;
    return Math.max(this.options.intervalMs, minimum);
  }

  /** The account's next slot, plus up to `jitterMs` so instances do not all knock at once. */
  #schedule(account: string): void {
    if (!this.#running) return;
    const now = this.#now();
    const delayMs =
      nextProbeAt(account, now, this.#intervalMs(account)) - now + this.#random() * this.options.jitterMs;
    const timer = setTimeout(() => {
      const tick = this.#tick(account);
      this.#ticks.add(tick);
      void tick.finally(() => {
        this.#ticks.delete(tick);
        this.#schedule(account);
      });
    }, delayMs);
    timer.unref();
    this.#timers.set(account, timer);
  }

  /** A scheduled run: only under the account's lease, kept for the rest of the interval afterwards. Never throws. */
  async #tick(id: string): Promise<void> {
    const account = this.#accounts.get(id)!;
    const intervalMs = this.#intervalMs(id);
    const ttlMs = Math.max(intervalMs, this.#budgetMs(account));
    let store = this.#store;
    let lease: string | null;
    try {
      lease = await store.acquire(id, ttlMs);
    } catch (error) {
      this.options.log.debug(
        { account: id, err: { message: (error as Error).message } },
        'probe lease unavailable (redis): probing on this instance alone',
      );
      store = this.#fallback;
      lease = await store.acquire(id, ttlMs);
    }
    if (lease === null) return;
    const started = performance.now();
    // Kept until just before the next slot, so whichever instance fires first then finds it free.
    const keep = () => intervalMs - Math.min(1_000, intervalMs / 10) - (performance.now() - started);
    let keepMs = 0;
    try {
      // Stopped while the lease was being taken: hand it back unused.
      if (!this.#running) return;
      const plan = await this.#plan(account, store);
      if ('skip' in plan) {
        this.options.log.debug({ account: id, reason: plan.skip }, 'probe skipped');
        keepMs = keep();
        return;
      }
      if (plan.issues) await store.countIssuance(id, this.#now()).catch(() => undefined);
      await this.runOnce(id, plan.run);
      keepMs = keep();
    } catch (error) {
      this.options.log.warn({ account: id, err: { message: (error as Error).message } }, 'probe did not run');
    } finally {
      await store.settle(id, lease, keepMs).catch(() => undefined);
    }
  }

  /**
   * Whether a scheduled run is needed, and what it may spend: skipped when real traffic in the
   * interval showed the account healthy; the shared token while a probe-issued one lives; no
   * token request past the carrier's share of the account's quota. Redis trouble: run as before.
   */
  async #plan(account: ConfiguredAccount, store: ProbeStore): Promise<Plan> {
    try {
      if (await this.#servedWell(account.id)) return { skip: 'real traffic in the interval was healthy' };
      if (account.kind === 'static') return { run: {}, issues: false };
      const wantsFresh = tokenMode(account) === 'fresh' && !(await store.freshHeld(account.id));
      const held = wantsFresh ? false : await this.#tokenHeld(account.id);
      const issues = wantsFresh || !held;
      if (issues && (await this.#shareSpent(account, store))) {
        if (wantsFresh && (await this.#tokenHeld(account.id)))
          return { run: { shared: true }, issues: false };
        return { skip: 'probe share of the token quota spent this hour' };
      }
      return { run: wantsFresh ? {} : { shared: true }, issues };
    } catch (error) {
      this.options.log.debug(
        { account: account.id, err: { message: (error as Error).message } },
        'probe plan unavailable (redis): probing as the carrier mode says',
      );
      return { run: {}, issues: false };
    }
  }

  /** Real traffic in the last interval (to the minute), all of it successful, and a probe within the hour. */
  async #servedWell(id: string): Promise<boolean> {
    const held = this.#cache.get(id);
    if (held === undefined || Date.parse(held.at) < this.#now() - PROBE_AT_LEAST_EVERY_MS) return false;
    const { recorder } = this.options;
    const now = this.#now();
    const buckets = await recorder.history.read(
      id,
      recorder.minute(now - this.#intervalMs(id)),
      recorder.minute(now),
    );
    let ok = 0;
    for (const bucket of buckets) {
      for (const source of TRAFFIC_SOURCES) ok += bucket.ok[source] ?? 0;
      for (const [source, failed] of Object.entries(bucket.failed))
        if (source !== 'probe' && (failed ?? 0) > 0) return false;
    }
    return ok > 0;
  }

  /** A usable token, on this instance or in the fleet's store: the probe then requests none. */
  async #tokenHeld(id: string): Promise<boolean> {
    const now = this.#now();
    const local = this.options.engine.tokenManager(id)?.peek();
    if (local !== undefined && local.expiresAt > now) return true;
    const stored = await this.options.engine.store.read(id);
    return stored !== null && stored.expiresAt > now;
  }

  /** The probes' token requests this hour have reached the carrier's share of the account's quota. */
  async #shareSpent(account: ConfiguredAccount, store: ProbeStore): Promise<boolean> {
    const share = this.options.tokenQuotaShare?.[account.carrier];
    const quota = account.tokenQuotaPerHour;
    if (share === undefined || quota === undefined) return false;
    return (await store.issuances(account.id, this.#now())) >= Math.floor(share * quota);
  }

  /**
   * The longest a probe can take (token retries and lock wait, an introspection, the call and its
   * one retry): the lease's bound.
   */
  #budgetMs(account: ConfiguredAccount): number {
    const introspection =
      account.kind === 'oauth' && account.token.introspectionUrl !== undefined ? account.token.timeoutMs : 0;
    const token = account.kind === 'oauth' ? 3 * account.token.timeoutMs + 10_000 + introspection : 0;
    return token + 2 * account.api.timeoutMs + 5_000;
  }

  async #probe(account: ConfiguredAccount, options: RunOptions): Promise<ProbeResult> {
    const at = this.#now();
    const steps: ProbeStep[] = [];
    const permit = await this.options.breakers
      .permit(account.id)
      .catch((): BreakerPermit => ({ kind: 'open', cause: 'permit_unavailable', forced: false }));
    const outcome = await this.#steps.run(account, steps, options);
    if (outcome.freshUntil !== undefined)
      await this.#store.holdFresh(account.id, outcome.freshUntil).catch(() => undefined);
    const started = performance.now();
    const verdict = breakerOutcome(outcome);
    let told: string;
    if (permit.kind === 'open') {
      told = `breaker open (${permit.forced ? 'forced' : permit.cause}): not reported`;
    } else {
      await this.options.breakers
        .report(account.id, permit, verdict, outcome.failureClass && `probe: ${outcome.failureClass}`)
        .catch((error: Error) =>
          this.options.log.warn(
            { account: account.id, err: { message: error.message } },
            'probe not reported',
          ),
        );
      told = `${permit.kind === 'trial' ? 'half-open trial' : 'breaker'}: ${verdict}`;
    }
    steps.push({
      name: 'classify',
      ok: outcome.ok,
      ms: Math.round(performance.now() - started),
      ...(outcome.failureClass !== undefined ? { failureClass: outcome.failureClass } : {}),
      detail: told,
    });
    const result: ProbeResult = {
      at: new Date(at).toISOString(),
      ok: outcome.ok,
      steps,
      ...(outcome.failureClass !== undefined ? { failureClass: outcome.failureClass } : {}),
      ...(outcome.certificate !== undefined ? { certificate: outcome.certificate } : {}),
    };
    this.options.recorder.record({
      account: account.id,
      source: 'probe',
      ok: outcome.ok,
      ...(outcome.failureClass !== undefined ? { failureClass: outcome.failureClass } : {}),
      ...(outcome.freshRejection ? { freshRejection: true } : {}),
    });
    this.#announce(account.id, result, outcome.failedStep);
    await this.#store
      .save(account.id, result, this.#resultTtlFor(account.id))
      .catch((error: Error) =>
        this.options.log.debug(
          { account: account.id, err: { message: error.message } },
          'probe result kept on this instance only (redis)',
        ),
      );
    return result;
  }

  #announce(account: string, result: ProbeResult, failedStep: StepName | undefined): void {
    const previous = this.#cache.get(account);
    this.#cache.set(account, result);
    const { log } = this.options;
    const fields = { account, ok: result.ok, failureClass: result.failureClass, step: failedStep };
    if (!result.ok && previous?.ok !== false) log.warn(fields, 'probe failing');
    else if (result.ok && previous?.ok === false) log.info(fields, 'probe passing again');
    else log.debug(fields, 'probe finished');
  }

  /** Adopts results other instances stored when they are newer than what this one holds. */
  async #refresh(accounts: string[]): Promise<void> {
    try {
      const found = await this.#store.load(accounts);
      for (const [account, result] of found) {
        const held = this.#cache.get(account);
        if (held === undefined || Date.parse(result.at) >= Date.parse(held.at))
          this.#cache.set(account, result);
      }
    } catch {
      // Redis away: this instance's own results stay; the next poll catches up.
    }
  }
}
