/**
 * @module admin/admin-actions
 * What an operator can do to a carrier account, each action checked, applied to the whole fleet
 * and written to the audit log with who did it and why: manual failover and its restoration,
 * draining, forcing the breaker, forcing a token refresh, purging tokens, probing now, and
 * reloading the configuration. Overrides go through the fleet-shared versioned records
 * (src/overrides/overrides.ts): every instance applies them from Redis's pub/sub, and a change
 * made with `ifVersion` lands only on the version the operator saw.
 *
 * An action that fails is audited with its error code; an action whose audit entry cannot be
 * written (Redis away) still takes effect, and the entry goes to the log instead.
 */
import type { ConfiguredAccount } from '../core/account.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { ProbeResult } from '../health/health-service.js';
import type { Logger } from '../platform/log.js';
import type { AccountOverride, AccountOverrides, BreakerMode, OverridePart } from '../overrides/overrides.js';
import type { AuditLog, AuditRecord } from './audit-log.js';
import type { InstanceReload } from './config-reload.js';

export interface AdminActor {
  /** The admin key's id (config `admins[].id`). */
  id: string;
}

/** The token operations an action needs; the token engine provides them (src/auth/token-engine.ts). */
export interface TokenOperations {
  /** A shared refresh now, whatever the token's age; resolves with the new token's generation and expiry. */
  refreshNow(account: string): Promise<{ generation: number; expiresAt: number }>;
  /** Drops the account's tokens in Redis and on every instance. */
  purge(account: string): Promise<void>;
  /** Whether the account's carrier issues tokens (static keys have none to refresh or purge). */
  issuesTokens(account: string): boolean;
}

export interface ReloadOutcome {
  applied: string[];
  restartRequired: string[];
  /** Instances that reloaded (this one included). */
  instances: number;
  /** What each instance did. */
  fleet: InstanceReload[];
}

export interface AdminActionsOptions {
  accounts: readonly ConfiguredAccount[];
  overrides: AccountOverrides;
  tokens: TokenOperations;
  probe: (account: string) => Promise<ProbeResult>;
  /** `fleet`: this instance and, through Redis, every other; `local`: this one (SIGHUP). */
  reload?: (scope: 'fleet' | 'local') => Promise<ReloadOutcome>;
  audit: AuditLog;
  log: Logger;
  /** Settles an in-doubt shipment an operator checked by hand (src/shipments/in-doubt-resolver.ts). */
  shipments?: {
    settle(
      id: string,
      outcome: 'created' | 'failed',
      by: string,
      trackingNumbers?: string[],
    ): Promise<object>;
  };
  now?: () => number;
}

export interface OverrideAnswer {
  account: string;
  override: AccountOverride;
  version: number;
}

interface Timed {
  reason: string;
  ttlSeconds?: number;
  ifVersion?: number;
}

export class AdminActions {
  readonly #accounts: Map<string, ConfiguredAccount>;
  readonly #now: () => number;

  constructor(private readonly options: AdminActionsOptions) {
    this.#accounts = new Map(options.accounts.map((account) => [account.id, account]));
    this.#now = options.now ?? Date.now;
  }

  /** Accounts change on a configuration reload; actions check against the new set. */
  replaceAccounts(accounts: readonly ConfiguredAccount[]): void {
    this.#accounts.clear();
    for (const account of accounts) this.#accounts.set(account.id, account);
  }

  failover(admin: AdminActor, id: string, input: Timed & { to?: string }): Promise<OverrideAnswer> {
    const params = { ...(input.to !== undefined ? { to: input.to } : {}), ...timing(input) };
    return this.#audited(admin, 'failover', id, input.reason, params, async () => {
      this.#account(id);
      if (input.to !== undefined) this.#checkTarget(id, input.to);
      return this.#override(admin, id, input, (current, part) => ({
        ...current,
        failover: input.to !== undefined ? { to: input.to } : {},
        parts: { ...current.parts, failover: part },
      }));
    });
  }

  restore(
    admin: AdminActor,
    id: string,
    input: { reason?: string; ifVersion?: number },
  ): Promise<OverrideAnswer> {
    return this.#audited(admin, 'restore', id, input.reason, {}, async () => {
      this.#account(id);
      return this.#override(admin, id, input, (current) => {
        const next: AccountOverride = { ...current, parts: { ...current.parts } };
        delete next.failover;
        delete next.parts!.failover;
        return next;
      });
    });
  }

  drain(admin: AdminActor, id: string, input: Timed): Promise<OverrideAnswer> {
    return this.#audited(admin, 'drain', id, input.reason, timing(input), async () => {
      this.#account(id);
      return this.#override(admin, id, input, (current, part) => ({
        ...current,
        drained: true,
        parts: { ...current.parts, drained: part },
      }));
    });
  }

  undrain(
    admin: AdminActor,
    id: string,
    input: { reason?: string; ifVersion?: number },
  ): Promise<OverrideAnswer> {
    return this.#audited(admin, 'undrain', id, input.reason, {}, async () => {
      this.#account(id);
      return this.#override(admin, id, input, (current) => {
        const next: AccountOverride = { ...current, drained: false, parts: { ...current.parts } };
        delete next.parts!.drained;
        return next;
      });
    });
  }

  breaker(admin: AdminActor, id: string, input: Timed & { mode: BreakerMode }): Promise<OverrideAnswer> {
    return this.#audited(
      admin,
      'breaker',
      id,
      input.reason,
      { mode: input.mode, ...timing(input) },
      async () => {
        this.#account(id);
        return this.#override(admin, id, input, (current, part) => {
          const next: AccountOverride = { ...current, breaker: input.mode, parts: { ...current.parts } };
          if (input.mode === 'auto') delete next.parts!.breaker;
          else next.parts!.breaker = part;
          return next;
        });
      },
    );
  }

  refresh(admin: AdminActor, id: string, input: { reason: string }) {
    return this.#audited(admin, 'refresh', id, input.reason, {}, async () => {
      this.#account(id);
      this.#requireTokens(id, 'refresh');
      const token = await this.options.tokens.refreshNow(id);
      return {
        account: id,
        token: { generation: token.generation, expiresAt: new Date(token.expiresAt).toISOString() },
      };
    });
  }

  purge(admin: AdminActor, id: string, input: { reason: string }) {
    return this.#audited(admin, 'purge', id, input.reason, {}, async () => {
      const account = this.#account(id);
      this.#requireTokens(id, 'purge');
      await this.options.tokens.purge(id);
      const keepsRefreshToken = account.kind === 'oauth' && account.token.usesRefreshToken;
      return {
        account: id,
        purged: true as const,
        ...(keepsRefreshToken
          ? {
              note: 'the refresh token went with the tokens: unless the configuration seeds one, the account needs re-authorization',
            }
          : {}),
      };
    });
  }

  probe(admin: AdminActor, id: string, input: { reason?: string }) {
    return this.#audited(admin, 'probe', id, input.reason, {}, async () => {
      this.#account(id);
      const probe = await this.options.probe(id);
      return { account: id, probe };
    });
  }

  reload(
    admin: AdminActor,
    input: { reason: string },
    scope: 'fleet' | 'local' = 'fleet',
  ): Promise<ReloadOutcome> {
    return this.#audited(admin, 'reload', undefined, input.reason, { scope }, async () => {
      const reload = this.options.reload;
      if (reload === undefined) {
        throw new GatewayError('ERR_CONFIG_RELOAD_REJECTED', undefined, {
          detail: 'this gateway was not started from a configuration file, so there is nothing to reload',
        });
      }
      return reload(scope);
    });
  }

  /** Starting authorization-code onboarding (`GET /v1/accounts/{id}/authorize`) is an admin action too. */
  authorize(admin: AdminActor, id: string, begin: () => Promise<string>): Promise<string> {
    return this.#audited(admin, 'authorize', id, undefined, {}, begin);
  }

  /** The carrier's callback completed an authorization an admin started: recorded under that admin. */
  async authorizationCompleted(startedBy: string, id: string, generation: number): Promise<void> {
    await this.#write({
      at: new Date(this.#now()).toISOString(),
      admin: startedBy,
      action: 'authorization_completed',
      account: id,
      params: { generation },
      result: { ok: true },
    });
  }

  /** Audits a request refused before it became an action (a body that did not validate). */
  /**
   * `carrier-gateway shipments resolve ID --created|--failed`: the operator found the label at the
   * carrier (or proved there is none); the shipment and its idempotency record are settled.
   */
  resolveShipment(
    admin: AdminActor,
    id: string,
    input: { outcome: 'created' | 'failed'; reason: string; trackingNumbers?: string[] },
  ): Promise<object> {
    const params = {
      shipment: id,
      outcome: input.outcome,
      ...(input.trackingNumbers !== undefined ? { trackingNumbers: input.trackingNumbers } : {}),
    };
    return this.#audited(admin, 'shipment_resolve', undefined, input.reason, params, async () => {
      const shipments = this.options.shipments;
      if (!shipments)
        throw new GatewayError('ERR_ACTION_NOT_APPLICABLE', undefined, { detail: 'no shipment records' });
      return shipments.settle(id, input.outcome, `admin:${admin.id}`, input.trackingNumbers ?? []);
    });
  }

  async refused(
    admin: AdminActor,
    action: string,
    account: string | undefined,
    error: GatewayError,
  ): Promise<void> {
    await this.#write({
      at: new Date(this.#now()).toISOString(),
      admin: admin.id,
      action,
      ...(account !== undefined ? { account } : {}),
      params: {},
      result: { ok: false, code: error.code, ...(error.detail ? { detail: error.detail } : {}) },
    });
  }

  list(query: Parameters<AuditLog['list']>[0]) {
    return this.options.audit.list(query);
  }

  #account(id: string): ConfiguredAccount {
    const account = this.#accounts.get(id);
    if (account === undefined) throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: id });
    return account;
  }

  #requireTokens(id: string, action: string): void {
    if (!this.options.tokens.issuesTokens(id)) {
      throw new GatewayError('ERR_ACTION_NOT_APPLICABLE', undefined, {
        account: id,
        detail: `${action}: the account authenticates with a static key; there is no token`,
      });
    }
  }

  /** A failover target must exist, be another account, be able to ship, and not send the shipments back. */
  #checkTarget(id: string, to: string): void {
    const target = this.#accounts.get(to);
    if (target === undefined) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, {
        account: to,
        detail: `failover target ${to} is not a configured account`,
      });
    }
    const conflict = (detail: string) =>
      new GatewayError('ERR_OVERRIDE_CONFLICT', undefined, { account: id, detail });
    if (to === id) throw conflict('an account cannot fail over to itself');
    if (target.shipping === undefined)
      throw conflict(`${to} has no shipping configured, so it cannot take shipments`);
    // Following the chain of failovers from the target must not come back here.
    const seen = new Set([id]);
    for (let next: string | undefined = to; next !== undefined;) {
      if (seen.has(next)) throw conflict(`${to} already fails over back to ${id}`);
      seen.add(next);
      next = this.options.overrides.current(next).failover?.to;
    }
  }

  async #override(
    admin: AdminActor,
    id: string,
    input: { reason?: string; ttlSeconds?: number; ifVersion?: number },
    change: (current: AccountOverride, part: OverridePart) => AccountOverride,
  ): Promise<OverrideAnswer> {
    const at = this.#now();
    const part: OverridePart = {
      reason: input.reason ?? '',
      by: admin.id,
      at,
      ...(input.ttlSeconds !== undefined ? { until: at + input.ttlSeconds * 1000 } : {}),
    };
    const written = await this.options.overrides.update(
      id,
      (current) => {
        const next = change(current, part);
        // The record-wide fields of the first overrides are kept out of the way of per-part ones.
        delete next.until;
        delete next.reason;
        return next;
      },
      input.ifVersion,
    );
    return { account: id, override: written.value, version: written.generation };
  }

  async #audited<T>(
    admin: AdminActor,
    action: string,
    account: string | undefined,
    reason: string | undefined,
    params: Record<string, unknown>,
    run: () => Promise<T>,
  ): Promise<T> {
    const record = (result: AuditRecord['result']): AuditRecord => ({
      at: new Date(this.#now()).toISOString(),
      admin: admin.id,
      action,
      ...(account !== undefined ? { account } : {}),
      ...(reason !== undefined ? { reason } : {}),
      params,
      result,
    });
    let outcome: T;
    try {
      outcome = await run();
    } catch (error) {
      const failure = isGatewayError(error) ? error : asGatewayError(error);
      await this.#write(
        record({ ok: false, code: failure.code, ...(failure.detail ? { detail: failure.detail } : {}) }),
      );
      throw failure;
    }
    await this.#write(record({ ok: true }));
    return outcome;
  }

  async #write(entry: AuditRecord): Promise<void> {
    try {
      await this.options.audit.append(entry);
      this.options.log.info({ audit: entry }, 'admin action');
    } catch (error) {
      this.options.log.error(
        { audit: entry, err: { message: (error as Error).message } },
        'admin action not written to the audit stream (redis); recorded here instead',
      );
    }
  }
}

function timing(input: { ttlSeconds?: number }): Record<string, unknown> {
  return input.ttlSeconds !== undefined ? { ttlSeconds: input.ttlSeconds } : {};
}

/** Redis failures reach here as plain errors; an operator should read them as Redis being away. */
function asGatewayError(error: unknown): GatewayError {
  const message = (error as Error | undefined)?.message ?? '';
  if (/redis|connection|ECONNREFUSED|Stream isn't writeable|max retries|timed out/i.test(message)) {
    return new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
      detail: 'the fleet-shared record could not be written; nothing changed',
    });
  }
  return new GatewayError('ERR_INTERNAL', undefined, { cause: error });
}
