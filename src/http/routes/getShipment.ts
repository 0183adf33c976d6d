/**
 * @module http/routes/getShipment
 * `GET /v1/shipments/{id}`: one of the client's shipments, with its status (created, voided,
 * unknown, resolving, failed), tracking numbers, labels while they are kept, the attempts and how
 * an in-doubt outcome was resolved. Another client's id answers the same 404 as an unknown one.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import type { ShipmentDesk } from '../../shipments/shipment-desk.js';

export function getShipment(deps: { desk: ShipmentDesk }) {
  return async function shipment(c: Context<AppEnv>) {
    return c.json(await deps.desk.get(c.get('client').id, c.req.param('id') ?? ''));
  };
}
