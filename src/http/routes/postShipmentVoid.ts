/**
 * @module http/routes/postShipmentVoid
 * `POST /v1/shipments/{id}/void`: voids every piece of one of the client's shipments at its
 * carrier. 200 `{ id, status: "voided", voidedAt }`, the same again for a shipment already voided;
 * 409 when the carrier refuses (its reason in the problem) or the shipment has no label; 422 when
 * the carrier offers no void.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import type { ShipmentDesk } from '../../shipments/shipment-desk.js';

export function postShipmentVoid(deps: { desk: ShipmentDesk }) {
  return async function voidShipment(c: Context<AppEnv>) {
    const client = c.get('client');
    return c.json(await deps.desk.void(client.id, c.req.param('id') ?? '', `client:${client.id}`));
  };
}
