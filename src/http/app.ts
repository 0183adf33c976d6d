/**
 * @module http/app
 * The hono application for everything but the proxy's hot path: liveness, readiness, the token
 * status of a client's accounts, and authorization-code onboarding (an admin route and the
 * carrier's callback). One `onError` renders every failure in the one envelope (RFC 9457
 * problem+json); nothing a carrier said reaches a client unmapped.
 */
import { Hono } from 'hono';

import { OAUTH_CALLBACK_PATH } from '../core/account.js';
import { getHealthCarrier, getHealthCarriers } from './routes/getHealthCarriers.js';
import { GatewayError, isGatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../core/errors.js';
import type { AppDependencies, AppEnv } from './env.js';
import { registerAdminRoutes } from './routes/admin.js';
import { getAccounts } from './routes/getAccounts.js';
import { getAuthorize } from './routes/getAuthorize.js';
import { getHealthz, getReadyz } from './routes/getHealth.js';
import { getOAuthCallback } from './routes/getOAuthCallback.js';
import { getOps } from './routes/getOps.js';
import { getTracking } from './routes/getTracking.js';
import { postRates } from './routes/postRates.js';
import { postTracking } from './routes/postTracking.js';
import { postShipments } from './routes/postShipments.js';

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
    deps.alerts?.clientKeyUsed(client.id, c.env?.incoming?.socket?.remoteAddress);
    await next();
  });
  app.get('/v1/accounts', getAccounts(deps));
  if (deps.shipments) {
    app.post('/v1/shipments', postShipments({ shipments: deps.shipments }));
  }
  if (deps.rates) app.post('/v1/rates', postRates({ rates: deps.rates }));
  if (deps.tracking) {
    app.get('/v1/tracking/:trackingNumber', getTracking({ tracking: deps.tracking }));
    app.post('/v1/tracking', postTracking({ tracking: deps.tracking }));
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
