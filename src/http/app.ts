/**
 * @module http/app
 * The hono application for everything but the proxy's hot path: liveness, readiness, the token
 * status of a client's accounts, and authorization-code onboarding (an admin route and the
 * carrier's callback). One `onError` renders every failure in the one envelope (RFC 9457
 * problem+json); nothing a carrier said reaches a client unmapped.
 */
import { Hono } from 'hono';
import { matchedRoutes } from 'hono/route';

import { OAUTH_CALLBACK_PATH } from '../core/account.js';
import { getHealthCarrier, getHealthCarriers } from './routes/getHealthCarriers.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { AppDependencies, AppEnv } from './env.js';
import { registerAdminRoutes } from './routes/admin.js';
import { getAccounts } from './routes/getAccounts.js';
import { getAuthorize } from './routes/getAuthorize.js';
import { getHealthz, getReadyz } from './routes/getHealth.js';
import { getOAuthCallback } from './routes/getOAuthCallback.js';
import { getOps } from './routes/getOps.js';
import { getShipment } from './routes/getShipment.js';
import { getShipments } from './routes/getShipments.js';
import { postShipments } from './routes/postShipments.js';
import { BearerKey } from './clients.js';
import { postShipmentVoid } from './routes/postShipmentVoid.js';
import { problemAnswer } from './problem.js';
import { REQUEST_ID_HEADER, RequestTrace, traceOf } from './request-trace.js';

/** `/v1/health/carriers/:id` as the OpenAPI document and the access log write it: `{id}`. */
export const templatePath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function createApp(deps: AppDependencies): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async function requestTrace(c, next) {
    // The listener made the trace (src/gateway.ts); an in-process request (tests) gets its own.
    const trace =
      traceOf(c.env?.incoming) ??
      RequestTrace.fromHeaders({
        [REQUEST_ID_HEADER]: c.req.header(REQUEST_ID_HEADER),
        traceparent: c.req.header('traceparent'),
      });
    c.set('trace', trace);
    await next();
    // The handler's own route (middleware is registered for every method as ALL).
    const route = matchedRoutes(c).findLast((entry) => entry.method !== 'ALL');
    if (route !== undefined) trace.route = templatePath(route.path);
    trace.account ??= c.res.headers.get('x-carrier-account') ?? c.req.param('id');
    c.res.headers.set(REQUEST_ID_HEADER, trace.id);
  });
  app.get('/healthz', getHealthz());
  const metrics = deps.metrics;
  if (metrics) {
    // Prometheus text format; account ids, states and codes only.
    const scrapeKey = deps.metricsKey !== undefined ? new BearerKey(deps.metricsKey) : undefined;
    app.get('/metrics', async (c) => {
      scrapeKey?.check(c.req.header('authorization'));
      return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
    });
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
    c.get('trace').client = client.id;
    // The node adapter puts the raw request in env; its socket says where the key was used from.
    deps.alerts?.clientKeyUsed(
      client.id,
      c.env?.incoming?.socket?.remoteAddress,
      c.env?.incoming?.headers['x-forwarded-for'],
    );
    await next();
  });
  app.get('/v1/accounts', getAccounts(deps));
  if (deps.shipments) {
    app.post('/v1/shipments', postShipments({ shipments: deps.shipments }));
  }
  if (deps.shipmentDesk) {
    const desk = { desk: deps.shipmentDesk };
    app.get('/v1/shipments', getShipments(desk));
    app.get('/v1/shipments/:id', getShipment(desk));
    app.post('/v1/shipments/:id/void', postShipmentVoid(desk));
  }

  app.notFound(() => {
    throw new GatewayError('ERR_ROUTE_NOT_FOUND');
  });
  app.onError((error, c) => {
    if (!isGatewayError(error)) deps.log.error({ err: { message: error.message } }, 'unhandled error');
    const answer = problemAnswer(error, c.get('trace')?.id);
    return c.body(answer.body, answer.problem.status as 400, answer.headers);
  });
  return app;
}
