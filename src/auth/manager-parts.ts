/**
 * @module auth/manager-parts
 * What the pieces of one account's token manager share: the options it is built with, and the
 * parts the refresh procedures work on (the token this process holds, the failure bookkeeping,
 * the fleet lock, the secret rotation). Types only; the facade (token-manager.ts) assembles them.
 */
import type { Logger } from 'pino';

import type { ResolvedAccount } from '../core/account.js';
import type { FleetLock } from './fleet-lock.js';
import type { RefreshBookkeeping } from './refresh-bookkeeping.js';
import type { RefreshLock } from './refresh-lock.js';
import type { RefreshSchedule } from './refresh-schedule.js';
import type { CooldownPolicy, RetryPolicy } from './retry.js';
import type { SecretRotation } from './secret-rotation.js';
import type { CodeGrantInput, TokenClientOptions, TokenGrantInput } from './token-client.js';
import type { TokenRefresh } from './token-refresh.js';
import type { AcceptedToken } from './token-response.js';
import type { TokenRequestEvent } from './token-status.js';
import type { StoredToken, TokenStore } from './token-store.js';

export interface TokenManagerOptions {
  store: TokenStore;
  lock: RefreshLock;
  log: Logger;
  /** True when Redis is configured and reachable right now. */
  sharedStoreAvailable: () => boolean;
  lockWaitMs?: number;
  lockPollMs?: number;
  retry?: RetryPolicy;
  cooldown?: CooldownPolicy;
  transport?: TokenClientOptions;
  now?: () => number;
  random?: () => number;
  /** Skew worth a warning (the carrier's clock against ours). */
  skewWarningMs?: number;
  /**
   * Replaces the OAuth token exchange (dependent tokens: src/auth/dependent-token.ts). Failures
   * must be GatewayErrors so retries and cooldowns classify them as usual.
   */
  exchange?: () => Promise<AcceptedToken>;
  /**
   * Extra condition for a token to be served or adopted (dependent tokens: still bound to the
   * parent's identity). A token failing it is never served, not even inside its margin.
   */
  accepts?: (token: StoredToken) => boolean;
  /** Told about every token request the carrier answered or failed (health history, metrics). */
  observer?: (event: TokenRequestEvent) => void;
  /** Where proactive refreshes wait (the engine's one timer); without it, each account has its own. */
  schedule?: RefreshSchedule;
}

/** The grants a refresh sends by itself; a code exchange only happens through onboarding. */
export type EngineGrantInput = Exclude<TokenGrantInput, CodeGrantInput>;

/** One account's token manager, as its refresh procedures see it. */
export interface ManagerParts {
  readonly account: ResolvedAccount;
  readonly options: TokenManagerOptions;
  readonly now: () => number;
  readonly random: () => number;
  /** The token this process holds, its state, the single flight and the proactive schedule. */
  readonly held: TokenRefresh;
  readonly book: RefreshBookkeeping;
  readonly fleetLock: FleetLock;
  readonly rotation: SecretRotation;
}
