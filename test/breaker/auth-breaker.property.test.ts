/**
 * @module test/breaker/auth-breaker.property.test
 * The auth breaker as a state machine, checked against a model with fast-check (memory mode,
 * one instance, a manual clock for the reset timer): random sequences of request outcomes, time
 * passing, bursts of concurrent callers and operator overrides. The model states the rules:
 * - only authentication failures open it, once the window holds `volumeThreshold` outcomes and
 *   the failure share exceeds the threshold; neutral outcomes count for nothing;
 * - while open (before the reset time) nothing passes;
 * - after it, exactly one caller of a concurrent burst gets the trial; its success closes the
 *   breaker with a fresh window, its failure opens it for another reset period;
 * - a forced mode wins over everything and the automatic state resumes when it is lifted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AuthBreakers, type BreakerOutcome, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { MemoryTrialLease } from '../../src/breaker/trial-lease.js';
import { AccountOverrides, type BreakerMode } from '../../src/overrides/overrides.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import { testLogger } from '../support/log-capture.js';

const POLICY = {
  volumeThreshold: 4,
  errorThresholdPercentage: 50,
  consecutiveFailures: 6,
  // Longer than any run (80 commands of at most 40 s on the manual clock), so the window never
  // rolls under the test.
  rollingCountTimeoutMs: 10_000_000,
  resetTimeoutMs: 30_000,
  trialLeaseMs: 5_000,
};

interface Model {
  state: 'closed' | 'open' | 'half_open';
  openUntil: number;
  fires: number;
  failures: number;
  streak: number;
  mode: BreakerMode;
}

interface Real {
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  clock: { now: number };
}

const ACCOUNT = 'acct';

function expectedPermit(model: Model, now: number): 'pass' | 'open' | 'trial' {
  if (model.mode === 'open') return 'open';
  if (model.mode === 'closed' || model.state === 'closed') return 'pass';
  if (model.state === 'open' && now < model.openUntil) return 'open';
  return 'trial';
}

class Request implements fc.AsyncCommand<Model, Real> {
  constructor(readonly outcome: BreakerOutcome) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const now = real.clock.now;
    const expected = expectedPermit(model, now);
    const permit = await real.breakers.permit(ACCOUNT);
    expect(permit.kind).toBe(expected);
    await real.breakers.report(ACCOUNT, permit, this.outcome, 'ERR_TOKEN_INVALID_CLIENT');
    if (expected === 'pass' && model.mode === 'auto' && this.outcome !== 'neutral') {
      model.fires += 1;
      model.streak = this.outcome === 'auth_failure' ? model.streak + 1 : 0;
      if (this.outcome === 'auth_failure') {
        model.failures += 1;
        if (
          (model.fires >= POLICY.volumeThreshold &&
            (model.failures * 100) / model.fires > POLICY.errorThresholdPercentage) ||
          model.streak >= POLICY.consecutiveFailures
        ) {
          Object.assign(model, { state: 'open', openUntil: now + POLICY.resetTimeoutMs });
        }
      }
    }
    if (expected === 'trial') {
      if (this.outcome === 'success')
        Object.assign(model, { state: 'closed', fires: 0, failures: 0, streak: 0 });
      else if (this.outcome === 'auth_failure')
        Object.assign(model, { state: 'open', openUntil: now + POLICY.resetTimeoutMs });
      else model.state = 'half_open';
    }
    expect(real.breakers.state(ACCOUNT).state).toBe(model.state);
  }
  toString = () => `request(${this.outcome})`;
}

class Streak implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly outcome: BreakerOutcome,
    readonly count: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    for (let i = 0; i < this.count; i += 1) await new Request(this.outcome).run(model, real);
  }
  toString = () => `streak(${this.outcome} x${this.count})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    real.clock.now += this.ms;
  }
  toString = () => `advance(${this.ms})`;
}

class Burst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly callers: number) {}
  check = (model: Readonly<Model>) => model.mode === 'auto' && model.state !== 'closed';
  async run(model: Model, real: Real): Promise<void> {
    const permits = await Promise.all(
      Array.from({ length: this.callers }, () => real.breakers.permit(ACCOUNT)),
    );
    const trials = permits.filter((permit) => permit.kind === 'trial');
    const expected = expectedPermit(model, real.clock.now) === 'trial' ? 1 : 0;
    expect(trials).toHaveLength(expected);
    expect(permits.filter((permit) => permit.kind === 'open')).toHaveLength(this.callers - expected);
    // The trial gives up without a verdict (its request said nothing about auth): the slot frees.
    for (const permit of trials) await real.breakers.report(ACCOUNT, permit, 'neutral');
    if (expected === 1) model.state = 'half_open';
  }
  toString = () => `burst(${this.callers})`;
}

class Force implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mode: BreakerMode) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.overrides.set(ACCOUNT, { drained: false, breaker: this.mode });
    model.mode = this.mode;
  }
  toString = () => `force(${this.mode})`;
}

const commands = [
  fc
    .constantFrom<BreakerOutcome>('success', 'auth_failure', 'neutral')
    .map((outcome) => new Request(outcome)),
  // Runs of successes fill the window, so that only the consecutive-failures rule can open it.
  fc.integer({ min: 3, max: 12 }).map((count) => new Streak('success', count)),
  fc.integer({ min: 3, max: 8 }).map((count) => new Streak('auth_failure', count)),
  // Failures weigh more, so that sequences reach the open and half-open states often.
  fc.constantFrom<BreakerOutcome>('auth_failure').map((outcome) => new Request(outcome)),
  fc.constantFrom<BreakerOutcome>('auth_failure').map((outcome) => new Request(outcome)),
  fc.integer({ min: 1_000, max: 40_000 }).map((ms) => new Advance(ms)),
  fc.integer({ min: 2, max: 6 }).map((callers) => new Burst(callers)),
  fc.constantFrom<BreakerMode>('auto', 'auto', 'open', 'closed').map((mode) => new Force(mode)),
];

/** One account's breakers in memory, on the real clock. */
function breakersOnTheRealClock(logName: string): AuthBreakers {
  const log = testLogger(logName);
  return new AuthBreakers({
    accounts: [ACCOUNT],
    state: new VersionedState<BreakerState>({ namespace: 'breaker', log }),
    trials: new MemoryTrialLease(),
    overrides: new AccountOverrides({ log, accounts: [ACCOUNT] }),
    log,
    policy: POLICY,
  });
}

describe('auth breaker state machine', () => {
  it('follows the model over random outcome, time, burst and override sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'large' }), async (cmds) => {
        const log = testLogger('breaker-property');
        const clock = { now: 1_000_000 };
        const overrides = new AccountOverrides({ log, accounts: [ACCOUNT] }, () => clock.now);
        const breakers = new AuthBreakers({
          accounts: [ACCOUNT],
          state: new VersionedState<BreakerState>({ namespace: 'breaker', log }),
          trials: new MemoryTrialLease(() => clock.now),
          overrides,
          log,
          policy: POLICY,
          now: () => clock.now,
        });
        const model: Model = {
          state: 'closed',
          openUntil: 0,
          fires: 0,
          failures: 0,
          streak: 0,
          mode: 'auto',
        };
        try {
          await fc.asyncModelRun(() => ({ model, real: { breakers, overrides, clock } }), cmds);
        } finally {
          breakers.stop();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never opens on validation-style outcomes or infrastructure failures, however many', async () => {
    const breakers = breakersOnTheRealClock('breaker-neutral');
    for (let i = 0; i < 50; i += 1) {
      const permit = await breakers.permit(ACCOUNT);
      await breakers.report(ACCOUNT, permit, i % 2 === 0 ? 'neutral' : 'success');
    }
    expect(breakers.state(ACCOUNT).state).toBe('closed');
    for (let i = 0; i < POLICY.volumeThreshold; i += 1) {
      await breakers.report(
        ACCOUNT,
        await breakers.permit(ACCOUNT),
        'auth_failure',
        'ERR_TOKEN_INVALID_CLIENT',
      );
    }
    // 25 successes in the window keep the failure share under the threshold.
    expect(breakers.state(ACCOUNT).state).toBe('closed');
    breakers.stop();
  });

  it('opens on a run of auth failures although the window is full of successes', async () => {
    const breakers = breakersOnTheRealClock('breaker-streak');
    for (let i = 0; i < 100; i += 1)
      await breakers.report(ACCOUNT, await breakers.permit(ACCOUNT), 'success');
    for (let i = 1; i <= POLICY.consecutiveFailures; i += 1) {
      expect(breakers.state(ACCOUNT).state).toBe('closed');
      await breakers.report(
        ACCOUNT,
        await breakers.permit(ACCOUNT),
        'auth_failure',
        'ERR_TOKEN_INVALID_CLIENT',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(breakers.state(ACCOUNT)).toMatchObject({ state: 'open', cause: 'ERR_TOKEN_INVALID_CLIENT' });
    breakers.stop();
  });
});
