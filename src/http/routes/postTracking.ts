/**
 * @module http/routes/postTracking
 * `POST /v1/tracking` `{ account?, trackingNumbers: [...] }` (at most 50): every number at one
 * account, answered together; a number that cannot be answered is an entry in `errors`.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { GatewayError } from '../../core/errors.js';
import { TrackingService } from '../../tracking/tracking-service.js';

/** Fifty numbers and an account id fit in a few kilobytes. */
const BODY_LIMIT_BYTES = 16 * 1024;

export function postTracking(deps: { tracking: TrackingService }) {
  return async function trackingBatch(c: Context<AppEnv>) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) {
      throw new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
        detail: `a tracking body is at most ${BODY_LIMIT_BYTES} bytes`,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError('ERR_REQUEST_INVALID', undefined, { detail: 'the body must be a JSON object' });
    }
    const batch = TrackingService.batch(body);
    const account = deps.tracking.account(c.get('client'), batch.account);
    return c.json(await deps.tracking.trackMany(account, batch.trackingNumbers), 200);
  };
}
