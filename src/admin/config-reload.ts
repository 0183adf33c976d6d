/**
 * @module admin/config-reload
 * Reloads the configuration file without a restart. The new file is read and checked whole
 * (schema, cross-references, every account resolved) before anything changes: a file that does
 * not pass is refused with its first error and the running configuration stays. What can change
 * live is applied: client keys and their accounts, admin keys, and per account its credentials
 * (secret rotation: a next secret, a secret read again from a mounted `file:`), secret expiry date
 * and token quota. Anything else that differs (listen address, Redis, accounts added, removed or
 * re-pointed, breaker, probes, alerts, log, shutdown) is reported as needing a restart and left as it runs.
 *
 * `POST /v1/admin/config/reload` reloads the whole fleet: the instance that takes it reloads its
 * own file, then asks the others over Redis pub/sub to reload theirs, and gathers their answers
 * for a moment (each instance reads its own file: they are expected to be the same). SIGHUP
 * reloads the one process that receives it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { loadConfigFile } from '../../config/load.js';
import type { AccountConfig, GatewayConfig } from '../../config/schema.js';
import { resolveAccount } from '../accounts/resolve.js';
import { type ConfiguredAccount } from '../core/account.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { Logger } from '../platform/log.js';
import type { RedisConnection } from '../platform/redis.js';

/** What one instance did with a reload. */
export interface InstanceReload {
  instance: string;
  ok: boolean;
  applied: string[];
  restartRequired: string[];
  code?: string;
  detail?: string;
}

/** Where a reload puts what it may change live. */
export interface ReloadTargets {
  replaceClients(clients: GatewayConfig['clients']): void;
  replaceAdmins(admins: NonNullable<GatewayConfig['admins']>): void;
  /** The account keeps its id, carrier and endpoints; its credentials (and expiry, quota) change. */
  updateAccount(next: ConfiguredAccount): void | Promise<void>;
}

export interface ConfigReloaderOptions {
  file: string;
  config: GatewayConfig;
  /** Applied to every loaded file as at start (command-line port and host overrides). */
  adjust?: (config: GatewayConfig) => void;
  targets: ReloadTargets;
  log: Logger;
  redis?: RedisConnection;
  /** How long the instance that took a fleet reload waits for the others' answers. */
  gatherMs?: number;
}

/** Settings read once at start: a change to them takes a restart. */
const RESTART_KEYS = [
  'listen',
  'redis',
  'publicUrl',
  'breaker',
  'probes',
  'alerts',
  'log',
  'shutdown',
] as const;
/** Account settings a reload applies live. */
const LIVE_ACCOUNT_KEYS = ['credentials', 'secretExpiresAt', 'tokenQuotaPerHour'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function withoutLiveKeys(account: AccountConfig): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...account };
  for (const key of LIVE_ACCOUNT_KEYS) delete rest[key];
  return rest;
}

export class ConfigReloader {
  readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  #config: GatewayConfig;
  #running: Promise<unknown> = Promise.resolve();
  #onMessage: ((channel: string, message: string) => void) | undefined;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.#config = options.config;
  }

  get #channel(): string {
    return `${this.options.redis!.keyPrefix}config-reload`;
  }

  #resultsKey(id: string): string {
    return `${this.options.redis!.keyPrefix}config-reload:${id}`;
  }

  /** Listens for fleet reloads started on other instances. */
  start(): void {
    const redis = this.options.redis;
    if (redis === undefined || this.#onMessage) return;
    this.#onMessage = (channel, message) => {
      if (channel !== this.#channel) return;
      let request: { id?: string; origin?: string };
      try {
        request = JSON.parse(message) as { id?: string; origin?: string };
      } catch {
        return;
      }
      if (request.origin === this.instance || typeof request.id !== 'string') return;
      const id = request.id;
      void this.reloadHere('fleet reload').then(async (result) => {
        const key = this.#resultsKey(id);
        await redis.client
          .multi()
          .hset(key, this.instance, JSON.stringify(result))
          .pexpire(key, 60_000)
          .exec()
          .catch(() => undefined);
      });
    };
    redis.subscriber.on('message', this.#onMessage);
    redis.subscriber.subscribe(this.#channel).catch((error: Error) => {
      this.options.log.warn({ err: { message: error.message } }, 'config reload subscription failed');
    });
  }

  stop(): void {
    const redis = this.options.redis;
    if (redis && this.#onMessage) {
      redis.subscriber.off('message', this.#onMessage);
      redis.subscriber.unsubscribe(this.#channel).catch(() => undefined);
    }
    this.#onMessage = undefined;
  }

  /**
   * Reloads here, then (with Redis) tells the other instances and gathers what they did. Throws
   * ERR_CONFIG_RELOAD_REJECTED when this instance refused the file: the others are then not asked.
   */
  async reloadFleet(why: string): Promise<{
    applied: string[];
    restartRequired: string[];
    instances: number;
    fleet: InstanceReload[];
  }> {
    const here = await this.reloadHere(why);
    if (!here.ok) {
      throw new GatewayError('ERR_CONFIG_RELOAD_REJECTED', undefined, {
        ...(here.detail !== undefined ? { detail: here.detail } : {}),
      });
    }
    const fleet: InstanceReload[] = [here];
    const redis = this.options.redis;
    if (redis !== undefined && redis.available) {
      const id = randomUUID();
      // Subscribers count this instance too (on a Cluster, summed over the nodes).
      const told = await redis
        .publish(this.#channel, JSON.stringify({ id, origin: this.instance }))
        .catch(() => 0);
      const others = Math.max(0, told - 1);
      const deadline = Date.now() + (this.options.gatherMs ?? 2_000);
      let answers: Record<string, string> = {};
      while (others > 0 && Date.now() < deadline) {
        answers = await redis.client.hgetall(this.#resultsKey(id)).catch(() => ({}));
        if (Object.keys(answers).length >= others) break;
        await sleep(25);
      }
      for (const text of Object.values(answers)) fleet.push(JSON.parse(text) as InstanceReload);
      return { applied: here.applied, restartRequired: here.restartRequired, instances: 1 + others, fleet };
    }
    return { applied: here.applied, restartRequired: here.restartRequired, instances: 1, fleet };
  }

  /** Reloads this instance's file; one reload at a time. Never throws: the outcome says. */
  reloadHere(why: string): Promise<InstanceReload> {
    const run = this.#running.then(() => this.#reload(why));
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #reload(why: string): Promise<InstanceReload> {
    const { log } = this.options;
    let next: GatewayConfig;
    const accounts = new Map<string, ConfiguredAccount>();
    try {
      next = loadConfigFile(this.options.file);
      this.options.adjust?.(next);
      next.accounts.forEach((account, index) => {
        accounts.set(
          account.id,
          resolveAccount(account, index, next.publicUrl !== undefined ? { publicUrl: next.publicUrl } : {}),
        );
      });
    } catch (error) {
      const failure = isGatewayError(error) ? error : new GatewayError('ERR_CONFIG_INVALID');
      // The loader's messages name key paths and variables, never values.
      const detail = failure.detail ?? failure.message;
      log.warn({ reason: why, detail }, 'configuration reload refused; the running configuration stays');
      return {
        instance: this.instance,
        ok: false,
        applied: [],
        restartRequired: [],
        code: 'ERR_CONFIG_RELOAD_REJECTED',
        detail,
      };
    }

    const current = this.#config;
    const applied: string[] = [];
    const restartRequired: string[] = [];
    for (const key of RESTART_KEYS) if (!same(current[key], next[key])) restartRequired.push(key);

    const before = new Map(current.accounts.map((account) => [account.id, account]));
    const kept: AccountConfig[] = [];
    for (const account of next.accounts) {
      const old = before.get(account.id);
      if (old === undefined) {
        restartRequired.push(`accounts.${account.id} (added)`);
      } else if (!same(withoutLiveKeys(old), withoutLiveKeys(account))) {
        restartRequired.push(`accounts.${account.id}`);
        kept.push(old);
      } else {
        if (LIVE_ACCOUNT_KEYS.some((key) => !same(old[key], account[key]))) {
          await this.options.targets.updateAccount(accounts.get(account.id)!);
          applied.push(`accounts.${account.id}`);
          kept.push(account);
        } else {
          kept.push(old);
        }
      }
    }
    const nextIds = new Set(next.accounts.map((account) => account.id));
    for (const account of current.accounts) {
      if (!nextIds.has(account.id)) {
        restartRequired.push(`accounts.${account.id} (removed)`);
        kept.push(account);
      }
    }
    if (!same(current.clients, next.clients)) {
      this.options.targets.replaceClients(next.clients);
      applied.push('clients');
    }
    if (!same(current.admins ?? [], next.admins ?? [])) {
      this.options.targets.replaceAdmins(next.admins ?? []);
      applied.push('admins');
    }
    // What runs now: the new live parts over the settings that wait for a restart.
    this.#config = { ...current, clients: next.clients, admins: next.admins ?? [], accounts: kept };
    log.info({ reason: why, applied, restartRequired }, 'configuration reloaded');
    return { instance: this.instance, ok: true, applied, restartRequired };
  }
}
