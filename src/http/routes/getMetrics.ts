/**
 * @module http/routes/getMetrics
 * `GET /metrics`: Prometheus text format (src/metrics/registry.ts): the gateway's own series
 * (breakers, scores, shipments, attempts, failovers) and prom-client's process metrics. Label
 * values are account ids, states and codes only.
 */
import type { Context } from 'hono';

import type { GatewayMetrics } from '../../metrics/registry.js';
import type { RouteDoc } from '../openapi-route.js';

export const getMetricsDoc: RouteDoc = {
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tag: 'Health',
  summary: 'Prometheus metrics: breakers, scores, shipments, failovers, and the process',
  auth: 'none',
  answers: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
  problems: [],
};

export function getMetrics(metrics: GatewayMetrics) {
  return async function prometheus(c: Context) {
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  };
}
