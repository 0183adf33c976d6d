/**
 * @module http/routes/getTracking
 * `GET /v1/tracking/{trackingNumber}?account=`: one number at one of the client's accounts,
 * in the gateway's statuses with the carrier's raw codes kept on every event.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { TrackingService } from '../../tracking/tracking-service.js';
import type { RouteDoc } from '../openapi-route.js';

export function getTracking(deps: { tracking: TrackingService }) {
  return async function tracking(c: Context<AppEnv>) {
    const number = TrackingService.number(c.req.param('trackingNumber') ?? '');
    const account = deps.tracking.account(c.get('client'), c.req.query('account'));
    const trace = c.get('trace');
    trace.account = account.id;
    return c.json(await deps.tracking.track(account, number, trace), 200);
  };
}

export const getTrackingDoc: RouteDoc = {
  method: 'get',
  path: '/v1/tracking/:trackingNumber',
  operationId: 'trackOne',
  tag: 'Rates and tracking',
  summary: 'Where a parcel is, from the carrier of the account given',
  description:
    '`?account=` names the account (optional when the client has one that tracks). `status` is one of ' +
    '`pre_transit`, `in_transit`, `out_for_delivery`, `delivered`, `available_for_pickup`, `returned`, ' +
    "`exception`, `unknown`; events come newest first with the carrier's own codes. A status never goes " +
    'backwards for a number already seen.',
  auth: 'client',
  params: { trackingNumber: "The carrier's tracking number" },
  answers: {
    200: {
      description:
        '`{ trackingNumber, account, carrier, status, events: [{ at, status, description, location?, carrierCode }], estimatedDelivery?, signedBy? }`',
    },
  },
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_ACCOUNT_FORBIDDEN',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_REQUEST_INVALID',
    'ERR_TRACKING_NOT_FOUND',
    'ERR_TRACKING_UNAVAILABLE',
    'ERR_TRACKING_NOT_SUPPORTED',
  ],
};
