/**
 * @module http/routes/getTracking
 * `GET /v1/tracking/{trackingNumber}?account=`: one number at one of the client's accounts,
 * in the gateway's statuses with the carrier's raw codes kept on every event.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { TrackingService } from '../../tracking/tracking-service.js';

export function getTracking(deps: { tracking: TrackingService }) {
  return async function tracking(c: Context<AppEnv>) {
    const number = TrackingService.number(c.req.param('trackingNumber') ?? '');
    const account = deps.tracking.account(c.get('client'), c.req.query('account'));
    return c.json(await deps.tracking.track(account, number), 200);
  };
}
