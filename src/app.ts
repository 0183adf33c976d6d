/**
 * @module app
 * The hono application for everything but the proxy's hot path: liveness, readiness, the token
 * status of a client's accounts, and authorization-code onboarding (an admin route and the
 * carrier's callback). One `onError` renders every failure in the one envelope (RFC 9457
 * problem+json); nothing a carrier said reaches a client unmapped.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { OAUTH_CALLBACK_PATH } from '../carriers/registry.js';
import type { AdminActions } from './admin/admin-actions.js';
import type { AdminRegistry } from './admins.js';
import type { AuthorizationFlow } from './auth/authorization-flow.js';
import type { AuthBreakers } from './breaker/auth-breaker.js';
import type { HealthService } from './health/health-service.js';
import type { GatewayMetrics } from './metrics/registry.js';
import { getHealthCarrier, getHealthCarriers } from './routes/getHealthCarriers.js';
import type { AccountOverrides } from './routing/overrides.js';
import type { TokenEngine } from './auth/token-engine.js';
import type { AuthenticatedClient, ClientRegistry } from './clients.js';
import { GatewayError, isGatewayError, PROBLEM_CONTENT_TYPE, toProblem } from './errors.js';
import type { Readiness } from './lifecycle/readiness.js';
import type { Logger } from './log.js';
import type { RedisConnection } from './redis.js';
import { registerAdminRoutes } from './routes/admin.js';
import { getAccounts } from './routes/getAccounts.js';
import { getAuthorize } from './routes/getAuthorize.js';
import { getHealthz, getReadyz } from './routes/getHealth.js';
import { getOAuthCallback } from './routes/getOAuthCallback.js';
import { getOps } from './routes/getOps.js';
import { postShipments, SHIPMENT_BODY_LIMIT_BYTES } from './routes/postShipments.js';
import type { ShipmentService } from './shipments/shipment-service.js';

export interface AppVariables {
  client: AuthenticatedClient;
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
  breakers?: AuthBreakers;
  overrides?: AccountOverrides;
  metrics?: GatewayMetrics;
  health?: HealthService;
  /** Told where each client key is used from (the new-network alert). */
  alerts?: { clientKeyUsed(clientId: string, remoteAddress: string | undefined): void };
  /** Where runbook links point (`alerts.runbookBaseUrl`); the repository paths otherwise. */
  runbookBaseUrl?: string;
  /** What `/readyz` answers (src/lifecycle/readiness.ts). */
  readiness?: () => Readiness;
}

export type AppEnv = { Variables: AppVariables };

export function createApp(deps: AppDependencies): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/healthz', getHealthz());
  const metrics = deps.metrics;
  if (metrics) {
    // Prometheus text format; account ids, states and codes only.
    app.get('/metrics', async (c) =>
      c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
    );
    app.use('/v1/shipments', async function shipmentMetrics(c, next) {
      const started = performance.now();
      await next();
      metrics.shipmentAnswered(c.res.status, (performance.now() - started) / 1000);
    });
  }
  app.get('/readyz', getReadyz(deps));

  // Registered before the client-key middleware: these answer (or refuse) before it runs, so a
  // shipping app's key never reaches them and the carrier's redirect needs none.
  if (deps.admins && deps.authorization) {
    app.get(
      '/v1/accounts/:id/authorize',
      getAuthorize({
        admins: deps.admins,
        authorization: deps.authorization,
        ...(deps.actions ? { actions: deps.actions } : {}),
      }),
    );
    app.get(
      OAUTH_CALLBACK_PATH,
      getOAuthCallback({
        authorization: deps.authorization,
        ...(deps.actions ? { actions: deps.actions } : {}),
      }),
    );
  }

  // Operators (admin key) or shipping apps (their own accounts): registered before the client-key middleware.
  if (deps.health && deps.admins) {
    const healthDeps = { health: deps.health, admins: deps.admins, clients: deps.clients };
    app.get('/v1/health/carriers', getHealthCarriers(healthDeps));
    app.get('/v1/health/carriers/:id', getHealthCarrier(healthDeps));
    // The operations page holds no data: its script reads /v1/health/carriers with the operator's key.
    app.get('/ops', getOps(deps.runbookBaseUrl !== undefined ? { runbookBaseUrl: deps.runbookBaseUrl } : {}));
  }

  if (deps.admins && deps.actions) registerAdminRoutes(app, { admins: deps.admins, actions: deps.actions });

  app.use('/v1/*', async function clientAuthentication(c, next) {
    const client = deps.clients.authenticate(c.req.header('authorization'));
    c.set('client', client);
    // The node adapter puts the raw request in env; its socket says where the key was used from.
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    deps.alerts?.clientKeyUsed(client.id, incoming?.socket?.remoteAddress);
    await next();
  });
  app.get('/v1/accounts', getAccounts(deps));
  if (deps.shipments) {
    app.post(
      '/v1/shipments',
      bodyLimit({
        maxSize: SHIPMENT_BODY_LIMIT_BYTES,
        onError: () => {
          throw new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
            detail: `a shipment body is at most ${SHIPMENT_BODY_LIMIT_BYTES} bytes`,
          });
        },
      }),
      postShipments({ shipments: deps.shipments }),
    );
  }

  app.notFound(() => {
    throw new GatewayError('ERR_ROUTE_NOT_FOUND');
  });
  app.onError((error, c) => {
    if (!isGatewayError(error)) deps.log.error({ err: { message: error.message } }, 'unhandled error');
    const problem = toProblem(error);
    const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
    if (problem.retryAfterSeconds !== undefined) headers['retry-after'] = String(problem.retryAfterSeconds);
    return c.body(JSON.stringify(problem), problem.status as 400, headers);
  });
  return app;
}
