/**
 * @module http/routes/getMetrics
 * `GET /metrics`: Prometheus text format (src/metrics/registry.ts): the gateway's own series
 * (breakers, scores, shipments, attempts, failovers) and prom-client's process metrics. Label
 * values are account ids, states and codes only.
 */
import type { Context } from 'hono';

import type { GatewayMetrics } from '../../metrics/registry.js';
import type { BearerKey } from '../clients.js';
import type { RouteDoc } from '../openapi-route.js';

export const getMetricsDoc: RouteDoc = {
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tag: 'Health',
  summary: 'Prometheus metrics: breakers, scores, shipments, failovers, and the process',
  auth: 'none',
  description:
    'Open unless `metrics.key` is configured; then `Authorization: Bearer <metrics key>` is required.',
  answers: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
  problems: ['ERR_UNAUTHENTICATED'],
};

export function getMetrics(metrics: GatewayMetrics, scrapeKey?: BearerKey) {
  return async function prometheus(c: Context) {
    scrapeKey?.check(c.req.header('authorization'));
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  };
}
