/**
 * @module alerts/alerter
 * Alerts for operators, through webhooks (src/alerts/sinks.ts), one per incident and one on
 * its recovery, deduplicated across the fleet (src/alerts/dedup.ts). What counts as an
 * incident is in src/alerts/rules.ts. Three ways in:
 *
 * - `evaluate()`, every `intervalMs` (and soon after an urgent health event: a refused grant or
 *   scope): the health report and history of each account that has something to say against the
 *   periodic rules. That is not every account: a tick costs the accounts with events, not the
 *   fleet (issue 11). An account is evaluated when it had events in the last 24 hours (one read
 *   of the history's active set: token, API, shipment and probe events), its breaker has a record
 *   other than closed, it has a probe result, its client secret expires within
 *   `expiryWarningDays`, or its last evaluation here left an incident open or undecided (so its
 *   recovery is still sent once it goes quiet). Any other account has no event, a closed breaker
 *   and nothing expiring: every periodic rule would find it clear, which changes nothing;
 * - breaker transitions, at once (the fleet's transitions reach every instance; dedup keeps one);
 * - hooks the request paths call, which return at once and never throw: `shipmentCreated`
 *   (failover start and end) and `clientKeyUsed` (a client key from a new network).
 *
 * @example
 * const alerter = new Alerter({ accounts, health, breakers, recorder, log, config: config.alerts, redis });
 * alerter.start();
 * // ... on shutdown
 * await alerter.stop();
 */
import { randomUUID } from 'node:crypto';

import type { AuthBreakers, BreakerTransition } from '../breaker/auth-breaker.js';
import type { Logger } from '../platform/log.js';
import type { RedisConnection } from '../platform/redis.js';
import { Incidents, RedisIncidentStore } from './dedup.js';
import {
  FAILOVER_OUTCOMES,
  failoverEndVerdict,
  failoverVerdict,
  networkOf,
  newNetworkVerdict,
  shipmentInDoubtVerdict,
  type ShipmentAttempt,
} from './events.js';
import {
  BASELINE_MINUTES,
  breakerVerdict,
  PERIODIC_RULES,
  runbookUrl,
  type Alert,
  type AlertRule,
  type AlertsConfig,
  type Verdict,
} from './rules.js';
import { AlertSinks } from './sinks.js';
import type { HealthService } from '../health/health-service.js';
import type { HealthRecorder, HealthEvent } from '../health/recorder.js';
import type { FailureClass } from '../core/failure-classes.js';

export type { ShipmentAttempt } from './events.js';
export type { Alert, AlertRule, AlertsConfig } from './rules.js';

export interface AlerterOptions {
  /** Read at each tick (a reload changes `secretExpiresAt` in place). */
  accounts: readonly { id: string; secretExpiresAt?: number }[];
  health: HealthService;
  breakers: AuthBreakers;
  recorder: HealthRecorder;
  log: Logger;
  /** The parsed `alerts:` block. */
  config: AlertsConfig;
  /** Fleet-wide dedup and networks; without it, this process's memory (embedded mode). */
  redis?: RedisConnection;
  now?: () => number;
  /** Webhook transport. Default: the global fetch. */
  fetch?: typeof fetch;
  /** How often the periodic rules run. Default 30 s. */
  intervalMs?: number;
  /** Delay between an urgent health event and the evaluation of its account. Default 1 s. */
  urgentDelayMs?: number;
  /** Sink timeout per attempt (default 5 s) and delay before its one retry (default 1 s). */
  sinkTimeoutMs?: number;
  sinkRetryDelayMs?: number;
  /** Called with each account whose periodic rules run (tests count them). */
  onEvaluate?: (account: string) => void;
}

const DAY_MS = 24 * 3600 * 1000;

/** Events worth evaluating their account now rather than at the next tick. */
const URGENT_CLASSES = new Set<FailureClass>([
  'gateway.reauthorization_required',
  'token_endpoint.invalid_grant',
  'token_endpoint.invalid_scope',
  'token_endpoint.unauthorized_client',
]);
/** Client/network pairs this process knows are remembered; past this the cache starts over. */
const SEEN_NETWORKS_LIMIT = 10_000;

interface Subject {
  rule: AlertRule;
  account?: string;
  client?: string;
}

export class Alerter {
  readonly #options: AlerterOptions;
  readonly #now: () => number;
  readonly #incidents: Incidents;
  readonly #sinks: AlertSinks;
  readonly #log: Logger;
  /** Operations on one incident key from this process run in order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #seenNetworks = new Set<string>();
  readonly #urgent = new Set<string>();
  /** Per account, the periodic rules whose last verdict here was active (until one clears them). */
  readonly #attention = new Map<string, Set<AlertRule>>();
  #urgentTimer: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #evaluating: Promise<void> | null = null;
  #started = false;

  constructor(options: AlerterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#incidents = new Incidents(
      options.redis ? new RedisIncidentStore(options.redis) : undefined,
      options.log,
      this.#now,
    );
    this.#sinks = new AlertSinks({
      sinks: options.config.sinks,
      log: options.log,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.sinkTimeoutMs !== undefined ? { timeoutMs: options.sinkTimeoutMs } : {}),
      ...(options.sinkRetryDelayMs !== undefined ? { retryDelayMs: options.sinkRetryDelayMs } : {}),
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#options.breakers.on('transition', this.#onTransition);
    this.#options.recorder.on('event', this.#onEvent);
    this.#timer = setInterval(() => this.#track(this.evaluate()), this.#options.intervalMs ?? 30_000);
    this.#timer.unref();
  }

  /** Stops listening and waits for evaluations and deliveries under way. */
  async stop(): Promise<void> {
    if (this.#started) {
      this.#options.breakers.off('transition', this.#onTransition);
      this.#options.recorder.off('event', this.#onEvent);
    }
    this.#started = false;
    clearInterval(this.#timer);
    clearTimeout(this.#urgentTimer);
    await this.idle();
  }

  /** Resolves when nothing this alerter started is still running (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0 || this.#chains.size > 0 || this.#evaluating) {
      await Promise.allSettled([...this.#pending, ...this.#chains.values(), this.#evaluating]);
    }
  }

  /**
   * Runs the periodic rules for the given accounts (default: those with something to say, see
   * the module's comment). A run already under way is joined, not doubled.
   */
  evaluate(accounts?: readonly string[]): Promise<void> {
    if (accounts === undefined && this.#evaluating) return this.#evaluating;
    const ids = accounts !== undefined ? Promise.resolve(accounts) : this.#due();
    const run = ids
      .then((due) => Promise.allSettled(due.map((id) => this.#evaluateAccount(id))))
      .then(() => undefined);
    if (accounts === undefined) {
      this.#evaluating = run;
      void run.finally(() => {
        if (this.#evaluating === run) this.#evaluating = null;
      });
    }
    return run;
  }

  /** The accounts a periodic run evaluates: O(accounts with events), never the whole fleet. */
  async #due(): Promise<string[]> {
    const { recorder, breakers, health, config } = this.#options;
    const now = this.#now();
    const due = new Set(this.#attention.keys());
    await recorder.flush().catch(() => undefined);
    const minute = recorder.minute(now);
    try {
      for (const account of await recorder.history.activeSince(minute - 24 * 60 + 1)) due.add(account);
    } catch (error) {
      this.#log.warn(
        { err: { message: (error as Error).message } },
        'accounts with events not read; alert rules run for the others due',
      );
    }
    for (const account of breakers.recorded()) {
      if (breakers.state(account).state !== 'closed') due.add(account);
    }
    for (const account of health.probed()) due.add(account);
    const warnBefore = now + config.expiryWarningDays * DAY_MS;
    for (const account of this.#options.accounts) {
      if (account.secretExpiresAt !== undefined && account.secretExpiresAt < warnBefore) due.add(account.id);
    }
    return [...due].filter((account) => health.has(account));
  }

  /**
   * An account's override changed (admin API, on this instance or another): the manual-failover
   * rule is decided now rather than at the next periodic run. Returns at once.
   */
  overrideChanged(account: string): void {
    const rule = PERIODIC_RULES.manual_failover!;
    const { health, recorder, config } = this.#options;
    const work = health
      .report(account)
      .then((report) =>
        this.#decide({ rule: 'manual_failover', account }, () =>
          rule(account, { report, buckets: [], minute: recorder.minute(this.#now()), config }),
        ),
      );
    this.#track(work);
  }

  /**
   * Failover start and end. Call after a shipment was created, with its attempts in order: each
   * account skipped for a failure opens its failover incident; the account that made the label
   * closes its own. Returns at once.
   */
  shipmentCreated(attempts: readonly ShipmentAttempt[]): void {
    const created = attempts.find((attempt) => attempt.outcome === 'created');
    if (!created) return;
    for (const attempt of attempts) {
      if (attempt === created) break;
      if (!FAILOVER_OUTCOMES.has(attempt.outcome) || attempt.account === created.account) continue;
      this.#track(
        this.#decide(
          { rule: 'failover', account: attempt.account },
          failoverVerdict(attempt, created.account),
        ),
      );
    }
    this.#track(
      this.#decide({ rule: 'failover', account: created.account }, failoverEndVerdict(created.account)),
    );
  }

  /**
   * The in-doubt resolver gave a shipment up (src/shipments/in-doubt-resolver.ts): a label may
   * exist at the carrier that nobody knows of, until an operator checks. One incident per account
   * (the fleet's deduplication and cooldown); it stays open: settling is a person's job.
   */
  shipmentInDoubt(account: string, shipmentId: string, reference: string | undefined): void {
    this.#track(
      this.#decide(
        { rule: 'shipment_in_doubt', account },
        shipmentInDoubtVerdict(account, shipmentId, reference),
      ),
    );
  }

  /**
   * A client key was used from `remoteAddress`. Alerts the first time a client uses a network
   * (/24, /64) other than the first one it was ever seen on. O(1) for networks this process has
   * seen; returns at once. The key itself never reaches this method.
   */
  clientKeyUsed(clientId: string, remoteAddress: string | undefined): void {
    const network = networkOf(remoteAddress);
    if (network === null) return;
    const seen = `${clientId}\n${network}`;
    if (this.#seenNetworks.has(seen)) return;
    if (this.#seenNetworks.size >= SEEN_NETWORKS_LIMIT) this.#seenNetworks.clear();
    this.#seenNetworks.add(seen);
    this.#track(
      this.#incidents.rememberNetwork(clientId, network).then(async (answer) => {
        if (answer === null) this.#seenNetworks.delete(seen);
        if (answer !== 'new') return;
        const verdict = newNetworkVerdict(clientId, network);
        if (verdict?.active)
          this.#deliver({ rule: 'client_new_network', client: clientId }, verdict, randomUUID());
      }),
    );
  }

  readonly #onTransition = (transition: BreakerTransition): void => {
    if (transition.to === 'half_open') return;
    const account = transition.account;
    // Decided on the state when its turn comes, so a late opening cannot undo a closing.
    this.#track(
      this.#decide({ rule: 'breaker_open', account }, () =>
        breakerVerdict(account, this.#options.breakers.state(account)),
      ),
    );
  };

  /** On the request path: O(1), no I/O. */
  readonly #onEvent = (event: HealthEvent): void => {
    if (event.failureClass === undefined || !URGENT_CLASSES.has(event.failureClass)) return;
    this.#urgent.add(event.account);
    if (this.#urgentTimer || !this.#started) return;
    this.#urgentTimer = setTimeout(() => {
      this.#urgentTimer = undefined;
      const accounts = [...this.#urgent];
      this.#urgent.clear();
      this.#track(this.evaluate(accounts));
    }, this.#options.urgentDelayMs ?? 1_000);
    this.#urgentTimer.unref();
  };

  async #evaluateAccount(account: string): Promise<void> {
    const { health, recorder, config } = this.#options;
    try {
      const report = await health.report(account);
      const minute = recorder.minute(this.#now());
      const buckets = await recorder.history.read(account, minute - BASELINE_MINUTES + 1, minute);
      const context = { report, buckets, minute, config };
      this.#options.onEvaluate?.(account);
      const verdicts = (
        Object.entries(PERIODIC_RULES) as [AlertRule, NonNullable<(typeof PERIODIC_RULES)[AlertRule]>][]
      ).map(([rule, check]) => [rule, check(account, context)] as const);
      this.#remember(account, verdicts);
      await Promise.all(verdicts.map(([rule, verdict]) => this.#decide({ rule, account }, verdict)));
    } catch (error) {
      this.#log.warn({ account, err: { message: (error as Error).message } }, 'alert rules not evaluated');
    }
  }

  /**
   * Keeps an account in view while a rule's last verdict on it was active (a null verdict holds
   * what was), so that it is evaluated until its recovery has been decided, even once it is quiet.
   */
  #remember(account: string, verdicts: readonly (readonly [AlertRule, Verdict])[]): void {
    const rules = this.#attention.get(account) ?? new Set<AlertRule>();
    for (const [rule, verdict] of verdicts) {
      if (verdict?.active === true) rules.add(rule);
      else if (verdict !== null) rules.delete(rule);
    }
    if (rules.size > 0) this.#attention.set(account, rules);
    else this.#attention.delete(account);
  }

  /** Opens or closes the subject's incident as the verdict says, in order with earlier decisions on it. */
  #decide(subject: Subject, decide: Verdict | (() => Verdict)): Promise<void> {
    const key = [subject.rule, subject.account ?? '', subject.client ?? ''].join(':');
    const task = async () => {
      const verdict = typeof decide === 'function' ? decide() : decide;
      if (verdict === null) return;
      if (verdict.active) {
        const opened = await this.#incidents.open(
          key,
          randomUUID(),
          this.#options.config.cooldownSeconds * 1000,
        );
        if (opened.kind === 'send') this.#deliver(subject, verdict, opened.id);
        else this.#log.debug({ key, incidentId: opened.id, kind: opened.kind }, 'alert suppressed');
      } else {
        const closed = await this.#incidents.close(key);
        if (closed?.announced) this.#deliver(subject, verdict, closed.id);
      }
    };
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => {
      this.#log.warn({ key, err: { message: (error as Error).message } }, 'alert incident not updated');
    });
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  #deliver(subject: Subject, verdict: NonNullable<Verdict>, incidentId: string): void {
    const alert: Alert = {
      rule: subject.rule,
      ...(subject.account !== undefined ? { account: subject.account } : {}),
      ...(subject.client !== undefined ? { client: subject.client } : {}),
      severity: verdict.active ? verdict.severity : 'info',
      title: verdict.title,
      text: verdict.text,
      runbook: runbookUrl(verdict.runbook, this.#options.config.runbookBaseUrl),
      at: new Date(this.#now()).toISOString(),
      incidentId,
      resolved: !verdict.active,
    };
    this.#log[alert.resolved ? 'info' : 'warn'](
      {
        alert: {
          rule: alert.rule,
          account: alert.account,
          client: alert.client,
          severity: alert.severity,
          incidentId,
        },
      },
      alert.resolved ? `alert resolved: ${alert.title}` : `alert: ${alert.title}`,
    );
    this.#track(this.#sinks.deliver(alert));
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.#log.warn({ err: { message: (error as Error).message } }, 'alert work failed'),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
