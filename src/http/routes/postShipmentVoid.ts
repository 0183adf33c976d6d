/**
 * @module http/routes/postShipmentVoid
 * `POST /v1/shipments/{id}/void`: voids every piece of one of the client's shipments at its
 * carrier. 200 `{ id, status: "voided", voidedAt }`, the same again for a shipment already voided;
 * 409 when the carrier refuses (its reason in the problem) or the shipment has no label; 422 when
 * the carrier offers no void.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi-route.js';
import type { ShipmentDesk } from '../../shipments/shipment-desk.js';

export const postShipmentVoidDoc: RouteDoc = {
  method: 'post',
  path: '/v1/shipments/:id/void',
  operationId: 'voidShipment',
  tag: 'Shipments',
  summary: 'Void every piece of a shipment at its carrier (the same answer again when already voided)',
  auth: 'client',
  params: { id: 'The shipment id' },
  answers: {
    200: {
      description: 'Voided',
      schema: z.looseObject({ id: z.string(), status: z.literal('voided'), voidedAt: z.string() }),
      example: {
        id: 'shp_0f8e2d5c9b7a4e1f8c3b2a1d0e9f8c7b',
        status: 'voided',
        voidedAt: '2026-12-07T04:20:00.000Z',
      },
    },
  },
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_SHIPMENT_NOT_FOUND',
    'ERR_SHIPMENT_NOT_VOIDABLE',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_VOID_REFUSED',
    'ERR_VOID_NOT_OFFERED',
    'ERR_VOID_OUTCOME_UNKNOWN',
  ],
};

export function postShipmentVoid(deps: { desk: ShipmentDesk }) {
  return async function voidShipment(c: Context<AppEnv>) {
    const client = c.get('client');
    return c.json(await deps.desk.void(client.id, c.req.param('id') ?? '', `client:${client.id}`));
  };
}
