/**
 * @module gateway
 * Assembles one gateway instance from a validated configuration: Redis (or embedded mode),
 * the token engine, the proxy's hot path and the hono app, behind one node:http server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';

import type { GatewayConfig } from '../config/schema.js';
import { resolveAccount, validateCarrierData } from './accounts/resolve.js';
import { type ConfiguredAccount } from './core/account.js';
import { accountsById } from './core/account-index.js';
import { AdminActions } from './admin/admin-actions.js';
import { ConfigReloader, type InstanceReload } from './admin/config-reload.js';
import { MemoryAuditLog, RedisAuditLog } from './admin/audit-log.js';
import { tokenOperations } from './admin/token-operations.js';
import { AdminRegistry } from './http/admins.js';
import { createApp } from './http/app.js';
import type { AppEnv } from './http/env.js';
import { AuthorizationFlow } from './auth/authorization-flow.js';
import type { TokenSealer } from './auth/crypto.js';
import { TokenEngine, type TokenEngineOptions } from './auth/token-engine.js';
import { ClientAddresses, ClientRegistry } from './http/clients.js';
import { AccessLog } from './http/request-trace.js';
import { GatewayError, isGatewayError } from './core/errors.js';
import type { Logger } from './platform/log.js';
import { CarrierProxy, PROXY_PREFIX } from './proxy/proxy-handler.js';
import { MemoryRenewalBudget, RedisRenewalBudget, RejectionPolicy } from './upstream/rejection.js';
import { CarrierApi } from './upstream/carrier-api.js';
import { UpstreamObserver } from './upstream/observe.js';
import { CarrierTransport } from './upstream/transport.js';
import { RedisConnection } from './platform/redis.js';
import { AuthBreakers, type BreakerPolicy, type BreakerState } from './breaker/auth-breaker.js';
import { MemoryTrialLease, RedisTrialLease } from './breaker/trial-lease.js';
import { Alerter } from './alerts/alerter.js';
import { HealthService } from './health/health-service.js';
import { Prober } from './probes/prober.js';
import { MemoryHistoryStore, RedisHistoryStore } from './health/history.js';
import { HealthRecorder } from './health/recorder.js';
import { classifyError } from './core/failures.js';
import { answerClientError } from './lifecycle/client-errors.js';
import { ServerDrain } from './lifecycle/drain.js';
import { UnreadBodyAwareResponse } from './lifecycle/unread-body.js';
import { RequestTargets } from './http/request-target.js';
import { sendProblem } from './http/problem.js';
import { readiness, type Readiness } from './lifecycle/readiness.js';
import { GatewayMetrics } from './metrics/registry.js';
import { AccountOverrides } from './overrides/overrides.js';
import { VersionedState } from './fleet-state/versioned-state.js';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './shipments/idempotency-store.js';
import { InDoubtResolver } from './shipments/in-doubt-resolver.js';
import { ShipmentDesk } from './shipments/shipment-desk.js';
import { ShipmentMetrics } from './shipments/shipment-metrics.js';
import { ReadMetrics } from './metrics/read-metrics.js';
import { ShipmentService } from './shipments/shipment-service.js';
import { RatesCache } from './rates/rates-cache.js';
import { RatesService } from './rates/rates-service.js';
import { MemoryStatusStore, RedisStatusStore } from './tracking/status-store.js';
import { TrackingService } from './tracking/tracking-service.js';
import { MemoryShipmentStore, RedisShipmentStore } from './shipments/shipment-store.js';

export interface GatewayOptions {
  log: Logger;
  /** Seals tokens at rest in Redis; required when Redis is configured. */
  sealer?: TokenSealer;
  engine?: Omit<TokenEngineOptions, 'accounts' | 'log' | 'redis' | 'sealer'>;
  /** How long an authorization state is accepted (default 10 minutes); tests shorten it. */
  authorizationStateTtlMs?: number;
  /** Breaker thresholds and timings; tests shorten them. */
  breaker?: Partial<BreakerPolicy>;
  /** How often fleet-shared records (breakers, overrides) are re-read from Redis. */
  sharedStatePollMs?: number;
  /**
   * The file the configuration came from, so it can be reloaded (`POST /v1/admin/config/reload`,
   * SIGHUP); `adjust` re-applies the command line's overrides to every reloaded file.
   */
  configFile?: { path: string; adjust?: (config: GatewayConfig) => void };
}

export interface Gateway {
  server: Server;
  /** The hono app behind everything but the pass-through (its routes make /openapi.json). */
  app: Hono<AppEnv>;
  engine: TokenEngine;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  health: HealthService;
  recorder: HealthRecorder;
  prober: Prober;
  /** With an `alerts:` block. */
  alerter?: Alerter;
  accounts: ConfiguredAccount[];
  redis?: RedisConnection;
  /** Resolves shipments whose label outcome is unknown (src/shipments/in-doubt-resolver.ts). */
  resolver: InDoubtResolver;
  /** Reloads this instance's configuration file (SIGHUP); audited as the signal. Never rejects. */
  reloadConfig(signal: string): Promise<SignalReload>;
  /** Listens on the configured host and port; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** The graceful stop's hold on the server: readiness, `Connection: close`, refusals, work in flight. */
  drain: ServerDrain;
  /** What `/readyz` answers now (src/lifecycle/readiness.ts). */
  readiness(): Readiness;
  /** Stops the synthetic probes (carrier calls nobody waits for); the first step of a graceful stop. */
  stopProbes(): Promise<void>;
  /**
   * Stops everything now: background work (probes, alerts, reloads, shared-state polls, proactive
   * refreshes, health writes), the listener and every connection, pools and Redis. Whatever is in
   * flight is cut; the graceful stop (src/lifecycle/shutdown.ts) calls it once nothing is.
   */
  close(): Promise<void>;
}

/** What a signal-driven reload did, for the process's own log line. */
export type SignalReload =
  { ok: true; applied: string[]; restartRequired: string[] } | { ok: false; code: string; detail?: string };

/** A refused local reload is an error like a refused fleet one (it is audited with its code). */
function localOutcome(outcome: InstanceReload) {
  if (!outcome.ok) {
    throw new GatewayError('ERR_CONFIG_RELOAD_REJECTED', undefined, {
      ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
    });
  }
  return {
    applied: outcome.applied,
    restartRequired: outcome.restartRequired,
    instances: 1,
    fleet: [outcome],
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

export async function createGateway(config: GatewayConfig, options: GatewayOptions): Promise<Gateway> {
  validateCarrierData();
  const accounts = config.accounts.map((account, index) =>
    resolveAccount(account, index, config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
  );
  const { log } = options;

  let redis: RedisConnection | undefined;
  if (config.redis && !options.sealer) {
    throw new GatewayError('ERR_CONFIG_INVALID', 'invalid configuration: GATEWAY_ENCRYPTION_KEY', {
      detail:
        'GATEWAY_ENCRYPTION_KEY must be set when redis is configured: tokens are encrypted at rest with it. ' +
        'Make one with `openssl rand -hex 32` and give every instance the same (docs/deploy.md#the-encryption-key)',
    });
  }
  if (config.redis) {
    redis = new RedisConnection(config.redis, log);
    await redis.connect();
    if (!redis.available) log.warn('redis not reachable at start; serving in degraded mode until it is');
  } else {
    log.warn(
      'no redis configured: embedded single-instance mode (tokens are not shared with other instances)',
    );
  }

  const recorder = new HealthRecorder({
    history: redis ? new RedisHistoryStore(redis) : new MemoryHistoryStore(),
    log,
  });
  const engine = new TokenEngine({
    accounts,
    log,
    ...(redis && options.sealer ? { redis, sealer: options.sealer } : {}),
    ...options.engine,
    manager: {
      ...options.engine?.manager,
      observer: (event) =>
        recorder.record({
          account: event.account,
          source: 'token',
          ok: event.ok,
          latencyMs: event.latencyMs,
          ...(event.code !== undefined ? { failureClass: classifyError(event.code, event.detail) } : {}),
        }),
    },
  });
  const clients = new ClientRegistry(config.clients);
  const addresses = new ClientAddresses(config.trustedProxies);
  // The alerter needs the health service, built last; the request paths reach it through this.
  const late: { alerter?: Alerter } = {};
  const transport = new CarrierTransport();
  const rejections = new RejectionPolicy({
    settings: {
      youngTokenMs: (config.auth?.youngTokenSeconds ?? 30) * 1000,
      renewalIntervalMs: (config.auth?.rejectionRefreshIntervalSeconds ?? 30) * 1000,
    },
    budget: redis ? new RedisRenewalBudget(redis) : new MemoryRenewalBudget(),
  });
  const api = new CarrierApi({
    engine,
    transport,
    observer: new UpstreamObserver(recorder),
    log,
    rejections,
  });
  const proxy = new CarrierProxy({
    accounts,
    api,
    clients,
    log,
    bodyLimits: new Map(
      config.accounts.flatMap((account) =>
        account.passThrough?.maxBodyBytes !== undefined
          ? [[account.id, account.passThrough.maxBodyBytes] as const]
          : [],
      ),
    ),
    forwardHeaders: new Map(
      config.accounts.flatMap((account) =>
        account.passThrough?.forwardHeaders !== undefined
          ? [[account.id, account.passThrough.forwardHeaders] as const]
          : [],
      ),
    ),
    ...(config.passThrough !== undefined ? { limits: config.passThrough } : {}),
    alerts: {
      clientKeyUsed: (id, address, forwardedFor) =>
        late.alerter?.clientKeyUsed(id, addresses.of(address, forwardedFor)),
      behindProxy: (address) => addresses.trusts(address),
    },
  });
  const admins = new AdminRegistry(config.admins ?? []);
  const authorization = new AuthorizationFlow({
    accounts,
    engine,
    log,
    ...(options.authorizationStateTtlMs !== undefined ? { stateTtlMs: options.authorizationStateTtlMs } : {}),
  });
  const accountIds = accounts.map((account) => account.id);
  const shared = {
    log,
    accounts: accountIds,
    ...(redis ? { redis } : {}),
    ...(options.sharedStatePollMs !== undefined ? { pollMs: options.sharedStatePollMs } : {}),
  };
  const overrides = new AccountOverrides(shared);
  const breakerStates = new VersionedState<BreakerState>({ namespace: 'breaker', ...shared });
  const breakers = new AuthBreakers({
    accounts: accountIds,
    state: breakerStates,
    trials: redis ? new RedisTrialLease(redis) : new MemoryTrialLease(),
    overrides,
    log,
    policy: { ...stripUndefined(config.breaker ?? {}), ...options.breaker },
  });
  const metrics = new GatewayMetrics(breakers, recorder);
  // The request listener is attached once the app exists; the drain needs the server before that.
  const headersTimeout = config.server?.headersTimeoutMs ?? 15_000;
  const server = createServer({
    ServerResponse: UnreadBodyAwareResponse,
    headersTimeout,
    // node requires requestTimeout >= headersTimeout (0 would turn it off).
    requestTimeout: Math.max(headersTimeout, config.server?.requestTimeoutMs ?? 60_000),
    // How often node checks both; its default (30 s) would let a limit overrun by that much.
    connectionsCheckingInterval: 1_000,
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError(log));
  const drain = new ServerDrain(server);
  const DAY_MS = 24 * 3600 * 1000;
  const retentionMs = (config.shipments?.retentionDays ?? 30) * DAY_MS;
  const labelRetentionMs = (config.shipments?.labelRetentionDays ?? 7) * DAY_MS;
  const shipmentRecords = redis
    ? new RedisShipmentStore(redis, retentionMs, labelRetentionMs)
    : new MemoryShipmentStore(retentionMs, labelRetentionMs);
  const shipmentMetrics = new ShipmentMetrics(metrics.registry);
  const shipmentDesk = new ShipmentDesk({
    records: shipmentRecords,
    accounts,
    api,
    onVoid: (account, outcome) => shipmentMetrics.voided(account, outcome),
  });
  const idempotency = redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore();
  const resolution = config.shipments?.resolution;
  const resolver = new InDoubtResolver({
    records: shipmentRecords,
    idempotency,
    api,
    accounts,
    log,
    intervalMs: (resolution?.intervalSeconds ?? 30) * 1000,
    maxAttempts: resolution?.maxAttempts ?? 5,
    maxAgeMs: (resolution?.maxMinutes ?? 60) * 60_000,
    metrics: shipmentMetrics,
    alerts: {
      shipmentInDoubt: (account, id, reference) => late.alerter?.shipmentInDoubt(account, id, reference),
    },
  });
  const shipments = new ShipmentService({
    accounts,
    api,
    breakers,
    overrides,
    records: shipmentRecords,
    idempotency,
    log,
    metrics,
    alerts: { shipmentCreated: (attempts) => late.alerter?.shipmentCreated(attempts) },
    inFlight: drain,
  });
  const ratesCacheTtlSeconds = config.rates?.cacheTtlSeconds ?? 0;
  const readMetrics = new ReadMetrics(metrics.registry);
  const rates = new RatesService({
    accounts,
    api,
    breakers,
    overrides,
    log,
    ...(ratesCacheTtlSeconds > 0 ? { cache: new RatesCache(ratesCacheTtlSeconds * 1000) } : {}),
    metrics: readMetrics,
  });
  const tracking = new TrackingService({
    accounts,
    api,
    breakers,
    overrides,
    store: redis ? new RedisStatusStore(redis) : new MemoryStatusStore(),
    log,
    metrics: readMetrics,
  });
  // Probes run on their own only where the configuration has a `probes:` block (each one is a
  // carrier call); an operator can run one at any time (`POST /v1/admin/accounts/{id}/probe`).
  const probesEnabled = config.probes?.enabled === true;
  const prober = new Prober({
    accounts,
    engine,
    api,
    breakers,
    recorder,
    log,
    intervalMs: (config.probes?.intervalSeconds ?? 60) * 1000,
    jitterMs: (config.probes?.jitterSeconds ?? 10) * 1000,
    ...(config.probes?.tokenQuotaShare ? { tokenQuotaShare: config.probes.tokenQuotaShare } : {}),
    ...(redis ? { redis } : {}),
  });
  const health = new HealthService({
    accounts,
    engine,
    breakers,
    overrides,
    recorder,
    probes: prober,
  });
  metrics.readScoresFrom(health);
  if (config.alerts) {
    late.alerter = new Alerter({
      accounts,
      health,
      breakers,
      recorder,
      log,
      config: config.alerts,
      ...(redis ? { redis } : {}),
    });
    late.alerter.start();
    // A manual failover is alerted when it reaches this instance, not at the next periodic run;
    // the fleet's deduplication keeps it to one alert.
    const alerter = late.alerter;
    overrides.state.on('change', (account) => alerter.overrideChanged(account));
  }
  overrides.start();
  breakers.start();
  await Promise.all([overrides.state.adoptLegacy(accountIds), breakerStates.adoptLegacy(accountIds)]).catch(
    (error: Error) =>
      log.warn({ err: { message: error.message } }, 'shared records of the previous layout not moved'),
  );
  await Promise.all([overrides.state.load(), breakerStates.load()]).catch((error: Error) =>
    log.warn({ err: { message: error.message } }, 'shared overrides and breaker states not loaded at start'),
  );
  if (resolution?.enabled !== false) resolver.start();
  if (probesEnabled) prober.start();
  else prober.watch();
  const byId = accountsById(accounts);
  const reloader =
    options.configFile !== undefined
      ? new ConfigReloader({
          file: options.configFile.path,
          config,
          ...(options.configFile.adjust ? { adjust: options.configFile.adjust } : {}),
          log,
          ...(redis ? { redis } : {}),
          targets: {
            replaceClients: (next) => clients.replace(next),
            replaceAdmins: (next) => admins.replace(next),
            updateAccount: async (next) => {
              // Every component holds this same object: changing it in place changes them all.
              const running = byId.get(next.id);
              if (running === undefined) return;
              Object.assign(running, next);
              await engine.credentialsChanged(next.id);
            },
          },
        })
      : undefined;
  reloader?.start();
  const actions = new AdminActions({
    shipments: { settle: (id, outcome, by, numbers) => resolver.settle(id, outcome, by, numbers) },
    accounts,
    overrides,
    tokens: tokenOperations(engine),
    probe: (account) => prober.runOnce(account),
    ...(reloader
      ? {
          reload: (scope: 'fleet' | 'local') =>
            scope === 'fleet'
              ? reloader.reloadFleet('admin API')
              : reloader.reloadHere('signal').then(localOutcome),
        }
      : {}),
    audit: redis ? new RedisAuditLog(redis) : new MemoryAuditLog(),
    log,
  });
  const ready = () =>
    readiness({
      accounts,
      engine,
      ...(redis ? { redis } : {}),
      draining: () => drain.phase !== 'serving',
    });
  const app = createApp({
    engine,
    clients,
    log,
    admins,
    authorization,
    actions,
    shipments,
    rates,
    tracking,
    shipmentDesk,
    breakers,
    overrides,
    metrics,
    ...(config.metrics !== undefined ? { metricsKey: config.metrics.key } : {}),
    health,
    alerts: {
      clientKeyUsed: (id, address, forwardedFor) =>
        late.alerter?.clientKeyUsed(id, addresses.of(address, forwardedFor)),
    },
    ...(config.alerts?.runbookBaseUrl !== undefined ? { runbookBaseUrl: config.alerts.runbookBaseUrl } : {}),
    ...(redis ? { redis } : {}),
    readiness: ready,
  });
  const honoListener = getRequestListener(app.fetch);
  const accessLog = new AccessLog(log);
  const targets = new RequestTargets(config.publicUrl);

  server.on('request', (req, res) => {
    accessLog.begin(req, res);
    try {
      targets.admit(req);
    } catch (error) {
      sendProblem(res, error);
      return;
    }
    if (!drain.admit(req, res)) return;
    if (req.url !== undefined && req.url.startsWith(PROXY_PREFIX)) proxy.handle(req, res);
    else void honoListener(req, res);
  });
  let probesStopped: Promise<void> | undefined;
  const stopProbes = () => (probesStopped ??= prober.stop());

  return {
    resolver,
    server,
    app,
    engine,
    breakers,
    overrides,
    health,
    recorder,
    prober,
    ...(late.alerter ? { alerter: late.alerter } : {}),
    accounts,
    ...(redis ? { redis } : {}),
    reloadConfig: (signal) =>
      actions.reload({ id: `signal:${signal}` }, { reason: `${signal} received` }, 'local').then(
        (outcome): SignalReload => ({
          ok: true,
          applied: outcome.applied,
          restartRequired: outcome.restartRequired,
        }),
        (error: unknown): SignalReload => ({
          ok: false,
          code: isGatewayError(error) ? error.code : 'ERR_INTERNAL',
          ...(isGatewayError(error) && error.detail !== undefined ? { detail: error.detail } : {}),
        }),
      ),
    listen: (port = config.listen.port, host = config.listen.host) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    drain,
    readiness: ready,
    stopProbes,
    close: async () => {
      await stopProbes();
      engine.stop();
      breakers.stop();
      overrides.stop();
      reloader?.stop();
      await resolver.stop();
      await late.alerter?.stop();
      await recorder.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await transport.close();
      if (redis) await redis.close();
    },
  };
}
