/**
 * @module auth/token-refresh
 * The token one process holds for an account, and when it is replaced. A fresh token is served
 * from memory; a token inside its margin is still served while a refresh runs behind it; one
 * refresh is in flight at a time (single flight); and each adopted token schedules the next
 * refresh at a random point of its proactive window. How a refresh reaches a token (the fleet's
 * shared refresh, or the degraded one while Redis is away) is the procedure it is given.
 */
import type { ResolvedAccount } from '../core/account.js';
import { RefreshSchedule, type Scheduled, type ScheduledRun } from './refresh-schedule.js';
import type { AccountAuthState } from './token-status.js';
import type { StoredToken } from './token-store.js';

export type RefreshReason = 'demand' | 'rejected' | 'proactive' | 'forced' | 'restore';

/** Obtains a token newer than `triggerGeneration` (and adopts it through `TokenRefresh.adopt`). */
export type RefreshProcedure = (triggerGeneration: number, reason: RefreshReason) => Promise<StoredToken>;

export interface TokenRefreshOptions {
  now: () => number;
  random: () => number;
  /** Extra condition for a token to be served or adopted (dependent tokens: their binding). */
  accepts?: ((token: StoredToken) => boolean) | undefined;
  /** Where the proactive refresh waits: the engine's, shared by its accounts; else one of its own. */
  schedule?: RefreshSchedule | undefined;
}

interface TokenTimings {
  marginMs: number;
  windowMs: number;
}

export class TokenRefresh implements Scheduled {
  current: StoredToken | null = null;
  /** The token was obtained while Redis was away and lives only in this process. */
  local = false;
  state: AccountAuthState = 'no_token';
  #inflight: Promise<StoredToken> | null = null;
  #next: ScheduledRun | undefined;
  /** The generation the scheduled refresh replaces. */
  #nextTrigger = 0;
  #ownSchedule: RefreshSchedule | undefined;
  #stopped = false;

  constructor(
    private readonly account: ResolvedAccount,
    private readonly options: TokenRefreshOptions,
    private readonly procedure: RefreshProcedure,
  ) {}

  get #schedule(): RefreshSchedule {
    return this.options.schedule ?? (this.#ownSchedule ??= new RefreshSchedule());
  }

  /** Refresh margin and proactive window, scaled down for short-lived tokens. */
  #timings(token: StoredToken): TokenTimings {
    const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
    return {
      marginMs: Math.min(this.account.refresh.marginMs, lifetime * 0.1),
      windowMs: Math.min(this.account.refresh.windowMs, lifetime * 0.4),
    };
  }

  accepted(token: StoredToken): boolean {
    return this.options.accepts === undefined || this.options.accepts(token);
  }

  isFresh(token: StoredToken | null, now: number): boolean {
    return token !== null && now < token.expiresAt - this.#timings(token).marginMs && this.accepted(token);
  }

  /** A stored token this instance may use instead of refreshing. */
  usable(stored: StoredToken, triggerGeneration: number): boolean {
    return stored.generation > triggerGeneration && this.isFresh(stored, this.options.now());
  }

  /** The hot path: a fresh token from memory, or undefined. No I/O, no promise. */
  peek(): StoredToken | undefined {
    const current = this.current;
    return current !== null && this.isFresh(current, this.options.now()) ? current : undefined;
  }

  /** A valid token, refreshing when needed. While a still-valid token is within its margin, it is served and refreshed behind. */
  async get(): Promise<StoredToken> {
    const now = this.options.now();
    const current = this.current;
    if (current !== null && this.isFresh(current, now)) return current;
    const refresh = this.refresh(current?.generation ?? 0, 'demand');
    if (current !== null && now < current.expiresAt && this.accepted(current)) {
      refresh.catch(() => {});
      return current;
    }
    return refresh;
  }

  /** Single flight: a refresh asked for while one runs gets that one's outcome. */
  refresh(triggerGeneration: number, reason: RefreshReason): Promise<StoredToken> {
    if (this.#inflight) return this.#inflight;
    const previousState = this.state;
    this.state = 'refreshing';
    const run = this.procedure(triggerGeneration, reason).then(
      (token) => {
        this.#inflight = null;
        return token;
      },
      (error: unknown) => {
        this.#inflight = null;
        if (this.state === 'refreshing')
          this.state = previousState === 'refreshing' ? 'failing' : previousState;
        throw error;
      },
    );
    this.#inflight = run;
    return run;
  }

  get refreshing(): boolean {
    return this.#inflight !== null;
  }

  /** `local`: obtained without the shared store, so another instance's token replaces it. */
  adopt(token: StoredToken, local: boolean): StoredToken {
    this.current = token;
    this.local = local;
    this.state = 'ok';
    this.#scheduleNext(token);
    return token;
  }

  /** Proactive refresh at a uniformly random point of the window before the margin, so a fleet of accounts does not refresh in bursts. */
  #scheduleNext(token: StoredToken): void {
    this.#cancelNext();
    if (this.#stopped) return;
    const { marginMs, windowMs } = this.#timings(token);
    if (windowMs <= 0) return;
    const refreshAt = token.expiresAt - marginMs - this.options.random() * windowMs;
    this.#nextTrigger = token.generation;
    this.#next = this.#schedule.add(refreshAt - this.options.now(), this);
  }

  /** The proactive refresh is due (called by the schedule). */
  runScheduled(): void {
    this.#next = undefined;
    this.refresh(this.#nextTrigger, 'proactive').catch(() => {});
  }

  #cancelNext(): void {
    if (this.#next === undefined) return;
    this.#schedule.cancel(this.#next);
    this.#next = undefined;
  }

  /** Drops the token held here (purged); a refresh in flight keeps its state until it ends. */
  forget(): void {
    this.#cancelNext();
    this.current = null;
    this.local = false;
    if (this.#inflight === null) this.state = 'no_token';
  }

  /** Resolves once no refresh is in flight (shutdown, and tests that step a fake clock). */
  async whenIdle(): Promise<void> {
    while (this.#inflight !== null) await this.#inflight.catch(() => {});
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelNext();
  }
}
