/**
 * @module overrides/overrides
 * Manual overrides an operator puts on a carrier account: drain it (no new shipments), force its
 * breaker open or closed, fail its shipments over to another account. Kept in fleet-shared
 * versioned records (src/fleet-state/versioned-state.ts), so every instance honours the same override
 * and an older command never replaces a newer one. Shipments and the breaker read them here; the
 * admin API (src/admin/admin-actions.ts) writes them.
 */
import type { Logger } from 'pino';

import { GatewayError } from '../core/errors.js';
import type { RedisConnection } from '../platform/redis.js';
import { VersionedState, type Versioned } from '../fleet-state/versioned-state.js';

export type BreakerMode = 'auto' | 'open' | 'closed';

/** Who set one part of an override, why, when, and until when. */
export interface OverridePart {
  reason: string;
  /** The admin key id. */
  by: string;
  /** Epoch ms. */
  at: number;
  /** Epoch ms after which this part lapses by itself. */
  until?: number;
}

export interface AccountOverride {
  /** No new shipments go to this account. */
  drained: boolean;
  /** `auto`: the breaker decides; `open`/`closed`: the operator does. */
  breaker: BreakerMode;
  /**
   * Manual failover: this account's shipments go to `to`, or to the next account of the
   * request's order when `to` is absent.
   */
  failover?: { to?: string };
  /** Why, in the operator's words (shown to operators, never to shipping apps). */
  reason?: string;
  /** Epoch ms after which the whole override lapses by itself. */
  until?: number;
  /** Per part: who, why, when, until (the admin API keeps one per action). */
  parts?: { drained?: OverridePart; breaker?: OverridePart; failover?: OverridePart };
}

export const NO_OVERRIDE: Readonly<AccountOverride> = Object.freeze({ drained: false, breaker: 'auto' });

const lapsed = (part: OverridePart | undefined, now: number) =>
  part?.until !== undefined && part.until <= now;

/** The override with its lapsed parts taken out. */
function withoutLapsedParts(value: AccountOverride, now: number): AccountOverride {
  const parts = { ...value.parts };
  const effective: AccountOverride = { ...value, parts };
  if (lapsed(parts.drained, now)) {
    effective.drained = false;
    delete parts.drained;
  }
  if (lapsed(parts.breaker, now)) {
    effective.breaker = 'auto';
    delete parts.breaker;
  }
  if (lapsed(parts.failover, now)) {
    delete effective.failover;
    delete parts.failover;
  }
  return effective;
}

export class AccountOverrides {
  readonly state: VersionedState<AccountOverride>;

  constructor(
    options: { log: Logger; redis?: RedisConnection; pollMs?: number; accounts?: readonly string[] },
    private readonly now: () => number = Date.now,
  ) {
    this.state = new VersionedState<AccountOverride>({
      namespace: 'override',
      log: options.log,
      ...(options.redis ? { redis: options.redis } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
    // Each instance says when it applied which version: operators (and the fleet test) can see
    // a manual failover reach every instance. Only a real change is logged (never a poll).
    this.state.on('change', (account, next) => {
      const value = next?.value;
      options.log.info(
        {
          account,
          version: next?.generation ?? 0,
          drained: value?.drained ?? false,
          breaker: value?.breaker ?? 'auto',
          failover: value?.failover ?? null,
        },
        'override applied',
      );
    });
  }

  /** The override in force now (a lapsed one, or a lapsed part, counts as none). No I/O: the hot path reads it. */
  current(account: string): Readonly<AccountOverride> {
    const value = this.state.cached(account)?.value;
    if (!value) return NO_OVERRIDE;
    const now = this.now();
    if (value.until !== undefined && value.until <= now) return NO_OVERRIDE;
    const parts = value.parts;
    if (parts === undefined) return value;
    if (!lapsed(parts.drained, now) && !lapsed(parts.breaker, now) && !lapsed(parts.failover, now))
      return value;
    return withoutLapsedParts(value, now);
  }

  /** The generation of the override this instance holds (0: none ever written). */
  version(account: string): number {
    return this.state.cached(account)?.generation ?? 0;
  }

  /** Replace an account's override, on top of the latest version (re-read first). */
  async set(account: string, override: AccountOverride): Promise<Versioned<AccountOverride>> {
    return this.update(account, () => override);
  }

  /**
   * Change an account's override from the latest version in Redis: `change` gets it with lapsed
   * parts removed. With `ifVersion`, the change lands only on that generation (an operator who
   * acted on what they saw is refused if someone changed it since: ERR_OVERRIDE_VERSION_CONFLICT).
   * A lost compare-and-set is re-read and re-applied, so concurrent changes to different parts
   * both land.
   */
  async update(
    account: string,
    change: (current: AccountOverride) => AccountOverride,
    ifVersion?: number,
  ): Promise<Versioned<AccountOverride>> {
    for (;;) {
      const latest = await this.state.refresh(account);
      const generation = latest?.generation ?? 0;
      if (ifVersion !== undefined && ifVersion !== generation) {
        throw new GatewayError('ERR_OVERRIDE_VERSION_CONFLICT', undefined, {
          account,
          detail: `the override is at version ${generation}, not ${ifVersion}: read it again and decide`,
        });
      }
      const now = this.now();
      const value = latest?.value;
      const base =
        value === undefined || (value.until !== undefined && value.until <= now)
          ? { ...NO_OVERRIDE }
          : withoutLapsedParts(value, now);
      const written = await this.state.compareAndSet(account, generation, change(base));
      if (written) return written;
    }
  }

  start(): void {
    this.state.start();
  }

  stop(): void {
    this.state.stop();
  }
}
