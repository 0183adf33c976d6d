/**
 * @module breaker/auth-breaker
 * One authentication circuit breaker per carrier account, shared by the fleet.
 *
 * - Deciding to open: this instance counts outcomes per account in a rolling window (volume
 *   threshold, error percentage) and a run of consecutive failures (what opossum counted
 *   before, without its timers). Only authentication outcomes
 *   reach it: a token the carrier would not issue, or a freshly issued token it rejected. Shipment
 *   validation errors count as successes (the carrier accepted the token); lock timeouts and Redis
 *   outages say nothing about the carrier and are not counted at all.
 * - Cost: an account's window exists only once it had a counted outcome and is dropped when the
 *   breaker closes; nothing runs on a timer (the window's buckets are found from
 *   timestamps, the half-open moment from `openUntil`). An account without traffic costs nothing.
 * - The state the fleet acts on: a versioned record per account (src/fleet-state/versioned-state.ts).
 *   When any instance's window trips, it writes `open` on top of the generation it saw; every
 *   instance reads it from its cache on the next request (pub/sub carries it, a change-counter
 *   catch-up backs it up).
 * - Half-open: once `openUntil` has passed, the one caller in the fleet that takes the trial
 *   lease sends the trial request; everyone else keeps treating the account as open. The trial's
 *   outcome closes the breaker everywhere or opens it again for another reset period.
 * - Operator overrides (src/overrides/overrides.ts) win over all of this.
 */
import { EventEmitter } from 'node:events';

import type { Logger } from 'pino';

import type { AccountOverrides } from '../overrides/overrides.js';
import type { VersionedState } from '../fleet-state/versioned-state.js';
import type { TrialLease } from './trial-lease.js';

export type BreakerStateName = 'closed' | 'open' | 'half_open';

export interface BreakerState {
  state: BreakerStateName;
  /** Epoch ms of the transition. */
  since: number;
  /** What caused it: an error code, `fresh_token_rejected`, `trial_succeeded`... */
  cause: string;
  /** While open: when a trial may be sent. */
  openUntil?: number;
}

/** What a caller may do with an account right now. */
export type BreakerPermit =
  | { kind: 'pass' }
  | { kind: 'trial'; lease: string }
  | { kind: 'open'; cause: string; retryAt?: number; forced: boolean };

export type BreakerOutcome = 'success' | 'auth_failure' | 'neutral';

export interface BreakerPolicy {
  /** Failures in the rolling window before the breaker may open. */
  volumeThreshold: number;
  /** Opens when the failure share in the window exceeds this. */
  errorThresholdPercentage: number;
  /**
   * Opens after this many auth failures in a row, whatever the window holds: a window full of
   * successes from before an outage would otherwise keep shipments going to a dead account for
   * half the window (docs/benchmarks.md, run 4).
   */
  consecutiveFailures: number;
  rollingCountTimeoutMs: number;
  /** How long it stays open before a trial. */
  resetTimeoutMs: number;
  /** A trial whose caller vanished frees the slot after this. */
  trialLeaseMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  volumeThreshold: 5,
  errorThresholdPercentage: 50,
  consecutiveFailures: 5,
  rollingCountTimeoutMs: 10_000,
  resetTimeoutMs: 30_000,
  trialLeaseMs: 60_000,
};

export interface BreakerTransition {
  account: string;
  from: BreakerStateName;
  to: BreakerStateName;
  cause: string;
  generation: number;
  /** This instance wrote it (false: learnt from another instance). */
  local: boolean;
}

const CLOSED: BreakerState = { state: 'closed', since: 0, cause: 'initial' };

/** Buckets of the rolling window (as opossum's default: the window rolls by a tenth). */
const WINDOW_BUCKETS = 10;

/**
 * One account's counted outcomes on this instance. Bucket `i` holds the outcomes of the bucket
 * period `periods[i]`; a bucket whose period left the window is stale and reused.
 */
interface OutcomeWindow {
  periods: number[];
  fires: number[];
  failures: number[];
  streak: number;
  lastCause: string;
  /** It asked for the opening; nothing more is counted until the breaker closes. */
  tripped: boolean;
}

function newWindow(): OutcomeWindow {
  return {
    periods: new Array<number>(WINDOW_BUCKETS).fill(-Infinity),
    fires: new Array<number>(WINDOW_BUCKETS).fill(0),
    failures: new Array<number>(WINDOW_BUCKETS).fill(0),
    streak: 0,
    lastCause: 'auth_failure',
    tripped: false,
  };
}

export interface AuthBreakersOptions {
  /** Unused: breakers are created lazily, on an account's first counted outcome. */
  accounts?: readonly string[];
  state: VersionedState<BreakerState>;
  trials: TrialLease;
  overrides: AccountOverrides;
  log: Logger;
  policy?: Partial<BreakerPolicy>;
  now?: () => number;
}

export class AuthBreakers extends EventEmitter<{ transition: [BreakerTransition] }> {
  readonly policy: BreakerPolicy;
  readonly #windows = new Map<string, OutcomeWindow>();
  /** Accounts a caller asked about on this instance (the ones with traffic). */
  readonly #asked = new Set<string>();
  readonly #state: VersionedState<BreakerState>;
  readonly #trials: TrialLease;
  readonly #overrides: AccountOverrides;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #writing = new Set<string>();

  constructor(options: AuthBreakersOptions) {
    super();
    this.policy = { ...DEFAULT_BREAKER_POLICY, ...options.policy };
    this.#state = options.state;
    this.#trials = options.trials;
    this.#overrides = options.overrides;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#state.on('change', (account, next, previous) => {
      const to = next?.value.state ?? 'closed';
      const from = previous?.value.state ?? 'closed';
      // A fresh window after every close: failures from before the outage must not reopen it.
      if (to === 'closed' && from !== 'closed') this.#windows.delete(account);
      if (to !== from && !this.#writing.has(account)) {
        this.#announce({
          account,
          from,
          to,
          cause: next?.value.cause ?? 'reset',
          generation: next?.generation ?? 0,
          local: false,
        });
      }
    });
  }

  /** Accounts with traffic here or a breaker record (every other one is closed and untouched). */
  accounts(): Set<string> {
    return new Set([...this.#state.ids(), ...this.#asked]);
  }

  /** Accounts with a breaker record (opened at least once since the records were last cleared). */
  recorded(): Iterable<string> {
    return this.#state.ids();
  }

  /** Counts one outcome; true when the window now asks for the breaker to open. */
  #count(account: string, failed: boolean, cause: string | undefined): boolean {
    let window = this.#windows.get(account);
    if (!window) {
      window = newWindow();
      this.#windows.set(account, window);
    }
    if (window.tripped) return false;
    const bucketMs = this.policy.rollingCountTimeoutMs / WINDOW_BUCKETS;
    const period = Math.floor(this.#now() / bucketMs);
    const slot = ((period % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
    if (window.periods[slot] !== period) {
      window.periods[slot] = period;
      window.fires[slot] = 0;
      window.failures[slot] = 0;
    }
    window.fires[slot]! += 1;
    if (!failed) {
      window.streak = 0;
      return false;
    }
    window.failures[slot]! += 1;
    window.streak += 1;
    window.lastCause = cause ?? 'auth_failure';
    let fires = 0;
    let failures = 0;
    for (let i = 0; i < WINDOW_BUCKETS; i += 1) {
      if (window.periods[i]! <= period - WINDOW_BUCKETS) continue;
      fires += window.fires[i]!;
      failures += window.failures[i]!;
    }
    const trips =
      (fires >= this.policy.volumeThreshold &&
        (failures * 100) / fires > this.policy.errorThresholdPercentage) ||
      window.streak >= this.policy.consecutiveFailures;
    if (trips) window.tripped = true;
    return trips;
  }

  /** The shared state as this instance knows it. */
  state(account: string): BreakerState {
    return this.#state.cached(account)?.value ?? CLOSED;
  }

  generation(account: string): number {
    return this.#state.cached(account)?.generation ?? 0;
  }

  /** May a request go to this account now? A `trial` permit must be reported back. */
  async permit(account: string): Promise<BreakerPermit> {
    this.#asked.add(account);
    const mode = this.#overrides.current(account).breaker;
    if (mode === 'open') return { kind: 'open', cause: 'forced_open', forced: true };
    if (mode === 'closed') return { kind: 'pass' };
    const current = this.state(account);
    if (current.state === 'closed') return { kind: 'pass' };
    const now = this.#now();
    if (current.state === 'open' && current.openUntil !== undefined && now < current.openUntil) {
      return { kind: 'open', cause: current.cause, retryAt: current.openUntil, forced: false };
    }
    const lease = await this.#trials.acquire(account, this.policy.trialLeaseMs);
    if (lease === null) return { kind: 'open', cause: current.cause, forced: false };
    if (current.state === 'open') {
      await this.#transition(account, { state: 'half_open', since: now, cause: 'trial_started' });
    }
    return { kind: 'trial', lease };
  }

  /** Report what a permitted request showed about the account's authentication. */
  async report(
    account: string,
    permit: BreakerPermit,
    outcome: BreakerOutcome,
    cause?: string,
  ): Promise<void> {
    if (permit.kind === 'open') return;
    if (permit.kind === 'pass') {
      if (outcome === 'neutral' || this.#overrides.current(account).breaker !== 'auto') return;
      if (this.#count(account, outcome === 'auth_failure', cause)) {
        const lastCause = this.#windows.get(account)?.lastCause ?? 'auth_failure';
        await this.#open(account, lastCause).catch((error: Error) =>
          this.#log.warn(
            { account, err: { message: error.message } },
            'breaker could not record its opening',
          ),
        );
      }
      return;
    }
    try {
      if (outcome === 'success') {
        await this.#transition(account, { state: 'closed', since: this.#now(), cause: 'trial_succeeded' });
      } else if (outcome === 'auth_failure') {
        await this.#open(account, cause ?? 'trial_failed');
      }
    } finally {
      await this.#trials.release(account, permit.lease).catch(() => undefined);
    }
  }

  async #open(account: string, cause: string): Promise<void> {
    const now = this.#now();
    await this.#transition(account, {
      state: 'open',
      since: now,
      cause,
      openUntil: now + this.policy.resetTimeoutMs,
    });
  }

  /** Writes a transition on top of the generation this instance holds; a lost race keeps the winner's. */
  async #transition(account: string, next: BreakerState): Promise<void> {
    const expected = this.generation(account);
    const from = this.state(account).state;
    this.#writing.add(account);
    let written;
    try {
      written = await this.#state.compareAndSet(account, expected, next);
    } finally {
      this.#writing.delete(account);
    }
    if (written === null) return;
    this.#announce({
      account,
      from,
      to: next.state,
      cause: next.cause,
      generation: written.generation,
      local: true,
    });
  }

  #announce(transition: BreakerTransition): void {
    this.#log[transition.to === 'open' ? 'warn' : 'info'](transition, 'auth breaker state changed');
    this.emit('transition', transition);
  }

  start(): void {
    this.#state.start();
  }

  stop(): void {
    this.#state.stop();
  }
}
