/**
 * @module http/routes/getShipment
 * `GET /v1/shipments/{id}`: one of the client's shipments, with its status (created, voided,
 * unknown, resolving, failed), tracking numbers, labels while they are kept, the attempts and how
 * an in-doubt outcome was resolved. Another client's id answers the same 404 as an unknown one.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import type { RouteDoc } from '../openapi-route.js';
import { SHIPMENT_VIEW_EXAMPLE, shipmentViewSchema } from '../openapi-schemas.js';
import type { ShipmentDesk } from '../../shipments/shipment-desk.js';

export const getShipmentDoc: RouteDoc = {
  method: 'get',
  path: '/v1/shipments/:id',
  operationId: 'getShipment',
  tag: 'Shipments',
  summary: "One of the client's shipments: status, tracking numbers, labels while kept, attempts",
  auth: 'client',
  params: { id: 'The shipment id (`shp_...`) the 201 answered' },
  answers: {
    200: { description: 'The shipment', schema: shipmentViewSchema, example: SHIPMENT_VIEW_EXAMPLE },
  },
  problems: ['ERR_UNAUTHENTICATED', 'ERR_SHIPMENT_NOT_FOUND'],
};

export function getShipment(deps: { desk: ShipmentDesk }) {
  return async function shipment(c: Context<AppEnv>) {
    return c.json(await deps.desk.get(c.get('client').id, c.req.param('id') ?? ''));
  };
}
