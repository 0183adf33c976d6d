/**
 * @module routing/overrides
 * Manual overrides an operator puts on a carrier account: drain it (no new shipments), force its
 * breaker open or closed. Kept in fleet-shared versioned records (src/shared/versioned-state.ts),
 * so every instance honours the same override and an older command never replaces a newer one.
 * Shipments read them here; the admin API that writes them belongs to the operations work.
 */
import type { Logger } from 'pino';

import type { RedisConnection } from '../redis.js';
import { VersionedState, type Versioned } from '../shared/versioned-state.js';

export type BreakerMode = 'auto' | 'open' | 'closed';

export interface AccountOverride {
  /** No new shipments go to this account. */
  drained: boolean;
  /** `auto`: the breaker decides; `open`/`closed`: the operator does. */
  breaker: BreakerMode;
  /** Why, in the operator's words (shown to operators, never to shipping apps). */
  reason?: string;
  /** Epoch ms after which the override lapses by itself. */
  until?: number;
}

export const NO_OVERRIDE: Readonly<AccountOverride> = Object.freeze({ drained: false, breaker: 'auto' });

export class AccountOverrides {
  readonly state: VersionedState<AccountOverride>;

  constructor(
    options: { log: Logger; redis?: RedisConnection; pollMs?: number; accounts: string[] },
    private readonly now: () => number = Date.now,
  ) {
    this.state = new VersionedState<AccountOverride>({
      namespace: 'override',
      log: options.log,
      ...(options.redis ? { redis: options.redis } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
    this.state.track(options.accounts);
  }

  /** The override in force now (a lapsed one counts as none). No I/O. */
  current(account: string): Readonly<AccountOverride> {
    const value = this.state.cached(account)?.value;
    if (!value || (value.until !== undefined && value.until <= this.now())) return NO_OVERRIDE;
    return value;
  }

  /** Replace an account's override, on top of the latest version (re-read first). */
  async set(account: string, override: AccountOverride): Promise<Versioned<AccountOverride>> {
    for (;;) {
      const latest = await this.state.refresh(account);
      const written = await this.state.compareAndSet(account, latest?.generation ?? 0, override);
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
