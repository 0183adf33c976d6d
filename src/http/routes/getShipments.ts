/**
 * @module http/routes/getShipments
 * `GET /v1/shipments?reference=…`: the client's shipments carrying that reference, oldest first
 * (a reference may have been shipped more than once). The reference is required: shipments are
 * found by what the shipping app knows, not listed wholesale.
 */
import type { Context } from 'hono';

import { GatewayError } from '../../core/errors.js';
import type { AppEnv } from '../env.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi-route.js';
import { SHIPMENT_VIEW_EXAMPLE, shipmentViewSchema } from '../openapi-schemas.js';
import type { ShipmentDesk } from '../../shipments/shipment-desk.js';

export const getShipmentsDoc: RouteDoc = {
  method: 'get',
  path: '/v1/shipments',
  operationId: 'findShipments',
  tag: 'Shipments',
  summary: "The client's shipments carrying a reference, oldest first",
  auth: 'client',
  query: z.object({ reference: z.string().min(1).max(35) }),
  answers: {
    200: {
      description: 'Shipments with that reference (none is an empty list)',
      schema: z.object({ shipments: z.array(shipmentViewSchema) }),
      example: { shipments: [SHIPMENT_VIEW_EXAMPLE] },
    },
  },
  problems: ['ERR_UNAUTHENTICATED', 'ERR_REQUEST_INVALID'],
};

export function getShipments(deps: { desk: ShipmentDesk }) {
  return async function shipments(c: Context<AppEnv>) {
    const reference = c.req.query('reference')?.trim() ?? '';
    // The same bounds as the shipment's own `reference` field (src/core/shipment.ts).
    if (reference.length < 1 || reference.length > 35) {
      throw new GatewayError('ERR_REQUEST_INVALID', undefined, {
        detail: 'reference: a query parameter of 1 to 35 characters is required',
        extensions: { errors: [{ field: 'reference', message: 'required, 1 to 35 characters' }] },
      });
    }
    return c.json({ shipments: await deps.desk.findByReference(c.get('client').id, reference) });
  };
}
