/**
 * @module http/env
 * The hono app's typed context (what the client-key middleware puts on `c.var`) and the
 * dependencies the routes are built from.
 */
import type { HttpBindings } from '@hono/node-server';

import type { AdminActions } from '../admin/admin-actions.js';
import type { AuthorizationFlow } from '../auth/authorization-flow.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { AuthBreakers } from '../breaker/auth-breaker.js';
import type { Readiness } from '../lifecycle/readiness.js';
import type { HealthService } from '../health/health-service.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { AccountOverrides } from '../overrides/overrides.js';
import type { Logger } from '../platform/log.js';
import type { RedisConnection } from '../platform/redis.js';
import type { RatesService } from '../rates/rates-service.js';
import type { ShipmentDesk } from '../shipments/shipment-desk.js';
import type { ShipmentService } from '../shipments/shipment-service.js';
import type { TrackingService } from '../tracking/tracking-service.js';
import type { AdminRegistry } from './admins.js';
import type { AuthenticatedClient, ClientRegistry } from './clients.js';
import type { RequestTrace } from './request-trace.js';

export interface AppVariables {
  client: AuthenticatedClient;
  /** The request's id and trace context (src/http/request-trace.ts); set before any route runs. */
  trace: RequestTrace;
}

export interface AppDependencies {
  engine: TokenEngine;
  clients: ClientRegistry;
  redis?: RedisConnection;
  log: Logger;
  /** Onboarding: operators' keys and the authorization-code flow. Without them the routes are absent. */
  admins?: AdminRegistry;
  authorization?: AuthorizationFlow;
  /** The operators' actions behind `/v1/admin` (with `admins`). */
  actions?: AdminActions;
  /** `POST /v1/shipments`; absent in apps built for a single concern in tests. */
  shipments?: ShipmentService;
  /** `POST /v1/rates`. */
  rates?: RatesService;
  /** `GET /v1/tracking/{number}`, `POST /v1/tracking`. */
  tracking?: TrackingService;
  /** `GET /v1/shipments/{id}`, `?reference=`, `POST /v1/shipments/{id}/void`. */
  shipmentDesk?: ShipmentDesk;
  breakers?: AuthBreakers;
  overrides?: AccountOverrides;
  metrics?: GatewayMetrics;
  /** The bearer key `/metrics` asks for (`metrics.key`); open without it. */
  metricsKey?: string;
  health?: HealthService;
  /** Told where each client key is used from (the new-network alert). */
  alerts?: { clientKeyUsed(clientId: string, remoteAddress: string | undefined): void };
  /** Where runbook links point (`alerts.runbookBaseUrl`); the repository paths otherwise. */
  runbookBaseUrl?: string;
  /** What `/readyz` answers (src/lifecycle/readiness.ts). */
  readiness?: () => Readiness;
}

/**
 * The node request and response behind a request (absent when the app is called in-process with
 * `app.request`, as route tests do).
 */
export type AppBindings = Partial<HttpBindings>;

export type AppEnv = { Variables: AppVariables; Bindings: AppBindings };
