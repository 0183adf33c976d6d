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
 */
import { performance } from 'node:perf_hooks';

import type { Logger } from 'pino';

import type { ConfiguredAccount } from '../core/account.js';
import { CarrierApi } from '../upstream/carrier-api.js';
import { UpstreamObserver } from '../upstream/observe.js';
import { CarrierTransport } from '../upstream/transport.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { AuthBreakers, BreakerOutcome, BreakerPermit } from '../breaker/auth-breaker.js';
import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';
import type { ProbeResult, ProbeResults, ProbeStep } from '../health/health-service.js';
import { ProbeSteps, type Outcome, type StepName } from './steps.js';
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
}

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
  readonly #accounts: Map<string, ConfiguredAccount>;
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
    this.#accounts = new Map(options.accounts.map((account) => [account.id, account]));
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
      if (account.descriptor.data.probe !== undefined)
        this.#schedule(account.id, this.#random() * this.options.jitterMs);
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
  runOnce(accountId: string): Promise<ProbeResult> {
    const account = this.#accounts.get(accountId);
    if (account === undefined)
      return Promise.reject(new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId }));
    let run = this.#inflight.get(accountId);
    if (run === undefined) {
      run = this.#probe(account).finally(() => this.#inflight.delete(accountId));
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

  #schedule(account: string, delayMs: number): void {
    if (!this.#running) return;
    const timer = setTimeout(() => {
      const tick = this.#tick(account);
      this.#ticks.add(tick);
      void tick.finally(() => {
        this.#ticks.delete(tick);
        this.#schedule(account, this.#intervalMs(account) + this.#random() * this.options.jitterMs);
      });
    }, delayMs);
    timer.unref();
    this.#timers.set(account, timer);
  }

  /** A scheduled run: only under the account's lease, kept for the rest of the interval afterwards. Never throws. */
  async #tick(id: string): Promise<void> {
    const account = this.#accounts.get(id)!;
    const ttlMs = Math.max(this.#intervalMs(id), this.#budgetMs(account));
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
    let keepMs = 0;
    try {
      // Stopped while the lease was being taken: hand it back unused.
      if (!this.#running) return;
      await this.runOnce(id);
      keepMs = this.#intervalMs(id) - (performance.now() - started);
    } catch (error) {
      this.options.log.warn({ account: id, err: { message: (error as Error).message } }, 'probe did not run');
    } finally {
      await store.settle(id, lease, keepMs).catch(() => undefined);
    }
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

  async #probe(account: ConfiguredAccount): Promise<ProbeResult> {
    const at = this.#now();
    const steps: ProbeStep[] = [];
    const permit = await this.options.breakers
      .permit(account.id)
      .catch((): BreakerPermit => ({ kind: 'open', cause: 'permit_unavailable', forced: false }));
    const outcome = await this.#steps.run(account, steps);
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
