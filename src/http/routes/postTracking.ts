/**
 * @module http/routes/postTracking
 * `POST /v1/tracking` `{ account?, trackingNumbers: [...] }` (at most 50): every number at one
 * account, answered together; a number that cannot be answered is an entry in `errors`.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { TrackingService, trackingBatchSchema } from '../../tracking/tracking-service.js';
import { readJsonBody } from '../json-body.js';
import type { RouteDoc } from '../openapi-route.js';

/** Fifty numbers and an account id fit in a few kilobytes. */
const BODY_LIMIT_BYTES = 16 * 1024;

export function postTracking(deps: { tracking: TrackingService }) {
  return async function trackingBatch(c: Context<AppEnv>) {
    const body = await readJsonBody(c, BODY_LIMIT_BYTES, 'a tracking body');
    const batch = TrackingService.batch(body);
    const account = deps.tracking.account(c.get('client'), batch.account);
    const trace = c.get('trace');
    trace.account = account.id;
    return c.json(await deps.tracking.trackMany(account, batch.trackingNumbers, trace), 200);
  };
}

export const postTrackingDoc: RouteDoc = {
  method: 'post',
  path: '/v1/tracking',
  operationId: 'trackMany',
  tag: 'Rates and tracking',
  summary: 'Up to 50 tracking numbers at one account',
  auth: 'client',
  body: {
    schema: trackingBatchSchema,
    example: { account: 'ups-demo', trackingNumbers: ['1Z12345E0205271688', '1Z12345E6605272234'] },
  },
  answers: {
    200: { description: 'One tracking answer (as `GET /v1/tracking/{trackingNumber}`) or error per number' },
  },
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_ACCOUNT_FORBIDDEN',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_REQUEST_INVALID',
    'ERR_BODY_TOO_LARGE',
  ],
};
