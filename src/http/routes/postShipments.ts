/**
 * @module http/routes/postShipments
 * `POST /v1/shipments`: one endpoint for labels at every carrier. The client's key and an
 * `Idempotency-Key` are required; the body is checked before anything is claimed or sent, so a
 * bad request changes no state. The answer is 201 with the label, or a problem naming what
 * happened at each account tried (`attempts`).
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { GatewayError } from '../../core/errors.js';
import { ShipmentService } from '../../shipments/shipment-service.js';

/** Label requests are small JSON documents; anything larger is refused before it is parsed. */
export const SHIPMENT_BODY_LIMIT_BYTES = 256 * 1024;

export function postShipments(deps: { shipments: ShipmentService }) {
  return async function shipments(c: Context<AppEnv>) {
    const client = c.get('client');
    const key = ShipmentService.idempotencyKey(c.req.header('idempotency-key'));
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text()) as unknown;
    } catch {
      throw new GatewayError('ERR_REQUEST_INVALID', undefined, { detail: 'the body must be a JSON object' });
    }
    const shipment = ShipmentService.parse(body);
    const answer = await deps.shipments.create(client, key, shipment);
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.replayed) headers['idempotent-replayed'] = 'true';
    return c.body(answer.body, answer.status as 201, headers);
  };
}
