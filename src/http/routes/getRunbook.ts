/**
 * @module http/routes/getRunbook
 * `GET /ops/runbooks/` and `GET /ops/runbooks/{name}`: docs/runbooks/ rendered by the gateway
 * (src/ops/runbooks.ts), linked from `/ops` and from the error reference. No key: they hold no
 * data, only what to do.
 */
import type { Context } from 'hono';

import { loadRunbooks } from '../../ops/runbooks.js';
import type { AppEnv } from '../env.js';
import type { RouteDoc } from '../openapi-route.js';

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

export const getRunbooksDoc: RouteDoc = {
  method: 'get',
  path: '/ops/runbooks/',
  operationId: 'getRunbooks',
  tag: 'Operations',
  summary: 'The runbooks: which one for which failure class',
  auth: 'none',
  answers: { 200: { description: 'An HTML page', contentType: 'text/html' } },
  problems: [],
};

export const getRunbookDoc: RouteDoc = {
  method: 'get',
  path: '/ops/runbooks/:name',
  operationId: 'getRunbook',
  tag: 'Operations',
  summary: 'One runbook (docs/runbooks/<name>.md) as a page',
  auth: 'none',
  params: { name: 'The runbook, e.g. `throttling` (as `/v1/health/carriers` names it)' },
  answers: { 200: { description: 'An HTML page', contentType: 'text/html' } },
  problems: ['ERR_ROUTE_NOT_FOUND'],
};

export function getRunbook() {
  const runbooks = loadRunbooks();
  return function runbook(c: Context<AppEnv>) {
    const page = runbooks.page(c.req.param('name') ?? '');
    if (page === undefined) return c.notFound();
    return c.html(page, 200, HEADERS);
  };
}
