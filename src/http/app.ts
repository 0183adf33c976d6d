/**
 * @module http/app
 * The hono application for everything but the proxy's hot path: liveness, readiness, the token
 * status of a client's accounts, and authorization-code onboarding (an admin route and the
 * carrier's callback). One `onError` renders every failure in the one envelope (RFC 9457
 * problem+json); nothing a carrier said reaches a client unmapped.
 *
 * Every route is registered with `documented(app, doc, handler)`: the doc, exported by the route's
 * own file, gives the method and path and goes into `/openapi.json` (src/http/openapi-route.ts).
 * test/http/openapi.test.ts fails for a route registered any other way.
 */
import { Hono } from 'hono';
import { matchedRoutes } from 'hono/route';

import {
  getHealthCarrier,
  getHealthCarrierDoc,
  getHealthCarriers,
  getHealthCarriersDoc,
} from './routes/getHealthCarriers.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { AppDependencies, AppEnv } from './env.js';
import { registerAdminRoutes } from './routes/admin.js';
import { getAccounts, getAccountsDoc } from './routes/getAccounts.js';
import { getAuthorize, getAuthorizeDoc } from './routes/getAuthorize.js';
import {
  getDocs,
  getDocsAsset,
  getDocsAssetDoc,
  getDocsDoc,
  getErrors,
  getErrorsDoc,
  getOpenApi,
  getOpenApiDoc,
} from './routes/getDocs.js';
import { getHealthz, getHealthzDoc, getReadyz, getReadyzDoc } from './routes/getHealth.js';
import { getMetrics, getMetricsDoc } from './routes/getMetrics.js';
import { getOAuthCallback, getOAuthCallbackDoc } from './routes/getOAuthCallback.js';
import { getOAuthStart, getOAuthStartDoc } from './routes/getOAuthStart.js';
import { getOps, getOpsDoc } from './routes/getOps.js';
import { getRunbook, getRunbookDoc, getRunbooksDoc } from './routes/getRunbook.js';
import { getShipment, getShipmentDoc } from './routes/getShipment.js';
import { getShipments, getShipmentsDoc } from './routes/getShipments.js';
import { postShipments, postShipmentsDoc } from './routes/postShipments.js';
import { postShipmentVoid, postShipmentVoidDoc } from './routes/postShipmentVoid.js';
import { documented, routeDocs, templatePath } from './openapi-route.js';
import { BearerKey } from './clients.js';
import { getTracking, getTrackingDoc } from './routes/getTracking.js';
import { postRates, postRatesDoc } from './routes/postRates.js';
import { postTracking, postTrackingDoc } from './routes/postTracking.js';
import { problemAnswer } from './problem.js';
import { REQUEST_ID_HEADER, RequestTrace, traceOf } from './request-trace.js';

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
  documented(app, getHealthzDoc, getHealthz());
  documented(
    app,
    getOpenApiDoc,
    getOpenApi(() => routeDocs(app)),
  );
  documented(app, getDocsDoc, getDocs());
  documented(app, getDocsAssetDoc, getDocsAsset());
  documented(app, getErrorsDoc, getErrors());
  const runbook = getRunbook();
  documented(app, getRunbooksDoc, runbook);
  documented(app, getRunbookDoc, runbook);
  const metrics = deps.metrics;
  if (metrics) {
    // Prometheus text format; account ids, states and codes only. Behind a key when one is set.
    const scrapeKey = deps.metricsKey !== undefined ? new BearerKey(deps.metricsKey) : undefined;
    documented(app, getMetricsDoc, getMetrics(metrics, scrapeKey));
    app.use('/v1/shipments', async function shipmentMetrics(c, next) {
      const started = performance.now();
      await next();
      metrics.shipmentAnswered(c.res.status, (performance.now() - started) / 1000);
    });
  }
  documented(app, getReadyzDoc, getReadyz(deps));

  // Registered before the client-key middleware: these answer (or refuse) before it runs, so a
  // shipping app's key never reaches them and the carrier's redirect needs none.
  if (deps.admins && deps.authorization) {
    documented(
      app,
      getAuthorizeDoc,
      getAuthorize({
        admins: deps.admins,
        authorization: deps.authorization,
        ...(deps.actions ? { actions: deps.actions } : {}),
      }),
    );
    documented(app, getOAuthStartDoc, getOAuthStart({ authorization: deps.authorization }));
    documented(
      app,
      getOAuthCallbackDoc,
      getOAuthCallback({
        authorization: deps.authorization,
        ...(deps.actions ? { actions: deps.actions } : {}),
      }),
    );
  }

  // Operators (admin key) or shipping apps (their own accounts): registered before the client-key middleware.
  if (deps.health && deps.admins) {
    const healthDeps = { health: deps.health, admins: deps.admins, clients: deps.clients };
    documented(app, getHealthCarriersDoc, getHealthCarriers(healthDeps));
    documented(app, getHealthCarrierDoc, getHealthCarrier(healthDeps));
    // The operations page holds no data: its script reads /v1/health/carriers with the operator's key.
    documented(
      app,
      getOpsDoc,
      getOps(deps.runbookBaseUrl !== undefined ? { runbookBaseUrl: deps.runbookBaseUrl } : {}),
    );
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
  documented(app, getAccountsDoc, getAccounts(deps));
  if (deps.shipments) {
    documented(app, postShipmentsDoc, postShipments({ shipments: deps.shipments }));
  }
  if (deps.rates) documented(app, postRatesDoc, postRates({ rates: deps.rates }));
  if (deps.tracking) {
    documented(app, getTrackingDoc, getTracking({ tracking: deps.tracking }));
    documented(app, postTrackingDoc, postTracking({ tracking: deps.tracking }));
  }
  if (deps.shipmentDesk) {
    const desk = { desk: deps.shipmentDesk };
    documented(app, getShipmentsDoc, getShipments(desk));
    documented(app, getShipmentDoc, getShipment(desk));
    documented(app, postShipmentVoidDoc, postShipmentVoid(desk));
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
