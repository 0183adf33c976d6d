/**
 * @module http/routes/getOps
 * `GET /ops`: the operations page (src/ops/page.ts). It needs no key to load because it holds no
 * data; its script asks the operator for one and reads `GET /v1/health/carriers` with it.
 */
import type { Context } from 'hono';

import { buildOpsPage, type OpsPageOptions } from '../../ops/page.js';
import type { RouteDoc } from '../openapi-route.js';

export const getOpsDoc: RouteDoc = {
  method: 'get',
  path: '/ops',
  operationId: 'getOps',
  tag: 'Operations',
  summary: "The operators' page (holds no data; its script asks for a key)",
  auth: 'none',
  answers: { 200: { description: 'An HTML page', contentType: 'text/html' } },
  problems: [],
};

/**
 * @example
 * app.get('/ops', getOps({ refreshSeconds: 5 }));
 */
export function getOps(options: OpsPageOptions = {}) {
  const page = buildOpsPage(options);
  return function ops(c: Context) {
    return c.body(page.html, 200, page.headers);
  };
}
