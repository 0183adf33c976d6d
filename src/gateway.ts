/**
 * @module gateway
 * Assembles one gateway instance from a validated configuration: Redis (or embedded mode),
 * the token engine, the proxy's hot path and the hono app, behind one node:http server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { getRequestListener } from '@hono/node-server';

import type { GatewayConfig } from '../config/schema.js';
import { resolveAccount, validateCarrierData, type ConfiguredAccount } from '../carriers/registry.js';
import { AdminRegistry } from './admins.js';
import { createApp } from './app.js';
import { AuthorizationFlow } from './auth/authorization-flow.js';
import type { TokenSealer } from './auth/crypto.js';
import { TokenEngine, type TokenEngineOptions } from './auth/token-engine.js';
import { ClientRegistry } from './clients.js';
import { GatewayError } from './errors.js';
import type { Logger } from './log.js';
import { CarrierProxy, PROXY_PREFIX } from './proxy/proxy-handler.js';
import { RedisConnection } from './redis.js';
import { AuthBreakers, type BreakerPolicy, type BreakerState } from './breaker/auth-breaker.js';
import { MemoryTrialLease, RedisTrialLease } from './breaker/trial-lease.js';
import { Alerter } from './health/alerts.js';
import { HealthService } from './health/health-service.js';
import { Prober } from './health/probes.js';
import { MemoryHistoryStore, RedisHistoryStore } from './health/history.js';
import { HealthRecorder } from './health/recorder.js';
import { classifyError } from './health/taxonomy.js';
import { GatewayMetrics } from './metrics/registry.js';
import { AccountOverrides } from './routing/overrides.js';
import { VersionedState } from './shared/versioned-state.js';
import { CarrierCaller } from './shipments/carrier-call.js';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from './shipments/idempotency-store.js';
import { ShipmentService } from './shipments/shipment-service.js';

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
}

export interface Gateway {
  server: Server;
  engine: TokenEngine;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  health: HealthService;
  recorder: HealthRecorder;
  prober?: Prober;
  accounts: ConfiguredAccount[];
  redis?: RedisConnection;
  /** Listens on the configured host and port; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
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
      detail: 'GATEWAY_ENCRYPTION_KEY must be set when redis is configured (tokens are encrypted at rest)',
    });
  }
  if (config.redis) {
    redis = new RedisConnection({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }, log);
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
  // The alerter needs the health service, built last; the request paths reach it through this.
  const late: { alerter?: Alerter } = {};
  const proxy = new CarrierProxy({
    accounts,
    engine,
    clients,
    log,
    health: recorder,
    alerts: { clientKeyUsed: (id, address) => late.alerter?.clientKeyUsed(id, address) },
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
  const breakers = new AuthBreakers({
    accounts: accountIds,
    state: new VersionedState<BreakerState>({ namespace: 'breaker', ...shared }),
    trials: redis ? new RedisTrialLease(redis) : new MemoryTrialLease(),
    overrides,
    log,
    policy: { ...stripUndefined(config.breaker ?? {}), ...options.breaker },
  });
  const metrics = new GatewayMetrics(accountIds, breakers, recorder);
  const caller = new CarrierCaller();
  const shipments = new ShipmentService({
    accounts,
    engine,
    breakers,
    overrides,
    idempotency: redis ? new RedisIdempotencyStore(redis) : new MemoryIdempotencyStore(),
    caller,
    log,
    metrics,
    health: recorder,
    alerts: { shipmentCreated: (attempts) => late.alerter?.shipmentCreated(attempts) },
  });
  // Probes run only where the configuration has a `probes:` block: each one is a carrier call.
  const prober =
    config.probes?.enabled === true
      ? new Prober({
          accounts,
          engine,
          breakers,
          recorder,
          log,
          intervalMs: config.probes.intervalSeconds * 1000,
          jitterMs: config.probes.jitterSeconds * 1000,
          ...(redis ? { redis } : {}),
        })
      : undefined;
  const health = new HealthService({
    accounts,
    engine,
    breakers,
    overrides,
    recorder,
    ...(prober ? { probes: prober } : {}),
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
  }
  overrides.start();
  breakers.start();
  prober?.start();
  const app = createApp({
    engine,
    clients,
    log,
    admins,
    authorization,
    shipments,
    breakers,
    overrides,
    metrics,
    health,
    alerts: { clientKeyUsed: (id, address) => late.alerter?.clientKeyUsed(id, address) },
    ...(config.alerts?.runbookBaseUrl !== undefined ? { runbookBaseUrl: config.alerts.runbookBaseUrl } : {}),
    ...(redis ? { redis } : {}),
  });
  const honoListener = getRequestListener(app.fetch);

  const server = createServer((req, res) => {
    if (req.url !== undefined && req.url.startsWith(PROXY_PREFIX)) proxy.handle(req, res);
    else void honoListener(req, res);
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    engine,
    breakers,
    overrides,
    health,
    recorder,
    ...(prober ? { prober } : {}),
    accounts,
    ...(redis ? { redis } : {}),
    listen: (port = config.listen.port, host = config.listen.host) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: async () => {
      await prober?.stop();
      engine.stop();
      breakers.stop();
      overrides.stop();
      await late.alerter?.stop();
      await recorder.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await proxy.close();
      await caller.close();
      if (redis) await redis.close();
    },
  };
}
