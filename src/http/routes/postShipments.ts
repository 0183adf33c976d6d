/**
 * @module http/routes/postShipments
 * `POST /v1/shipments`: one endpoint for labels at every carrier. The client's key and an
 * `Idempotency-Key` are required; the body is checked before anything is claimed or sent, so a
 * bad request changes no state. The answer is 201 with the label, or a problem naming what
 * happened at each account tried (`attempts`).
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { ShipmentService } from '../../shipments/shipment-service.js';
import { shipmentRequestSchema } from '../../core/shipment.js';
import { z } from 'zod';
import { readJsonBody } from '../json-body.js';
import type { RouteDoc } from '../openapi-route.js';

const attemptSchema = z.looseObject({
  account: z.string(),
  outcome: z.string(),
  failure: z.looseObject({ code: z.string() }).optional(),
});

export const postShipmentsDoc: RouteDoc = {
  method: 'post',
  path: '/v1/shipments',
  operationId: 'createShipment',
  tag: 'Shipments',
  summary: "A label at the first of the client's accounts that can take it",
  description:
    'The gateway moves to the next account only when no label can exist (drained, breaker open, no ' +
    'token, never sent, throttled). A timeout or 5xx after sending answers ' +
    '`ERR_SHIPMENT_OUTCOME_UNKNOWN`: retry with the same `Idempotency-Key` and it goes to that ' +
    'account again. A repeat of a completed key answers the stored 201 with `Idempotent-Replayed: true`. ' +
    'UPS answers a GIF label when PDF is asked for (its label API has no PDF output; the `format` ' +
    'member of each label says what was returned).',
  auth: 'client',
  headers: [
    {
      name: 'Idempotency-Key',
      required: true,
      description: 'Unique per shipment (kept 24 hours): a repeat returns the stored answer',
    },
  ],
  body: {
    schema: shipmentRequestSchema,
    description: "`accounts` is the preference order (default: the client's accounts in configuration order)",
    example: {
      accounts: ['ups-demo', 'fedex-demo'],
      service: 'standard',
      shipper: {
        name: 'Shop',
        street: ['1 Main St'],
        city: 'Atlanta',
        postalCode: '30301',
        countryCode: 'US',
        stateCode: 'GA',
        phone: '4045550100',
      },
      recipient: {
        name: 'Ann',
        street: ['2 Oak Ave'],
        city: 'Dallas',
        postalCode: '75201',
        countryCode: 'US',
        stateCode: 'TX',
        phone: '2145550100',
      },
      parcels: [{ weightKg: 1.2, lengthCm: 20, widthCm: 15, heightCm: 10 }],
      reference: 'order-1042',
      labelFormat: 'PDF',
    },
  },
  answers: {
    201: {
      description: 'The label',
      headers: {
        'X-Carrier-Account': 'The account that made the label',
        'X-Failover-From': 'The first account tried, when another one made the label',
        'Idempotent-Replayed': '`true` on a stored answer',
      },
      schema: z.looseObject({
        id: z.string(),
        account: z.string(),
        carrier: z.string(),
        trackingNumbers: z.array(z.string()),
        labels: z.array(z.object({ format: z.string(), data: z.string().describe('base64') })),
        attempts: z.array(attemptSchema),
      }),
      example: {
        id: 'shp_0f8e2d5c9b7a4e1f8c3b2a1d0e9f8c7b',
        account: 'ups-demo',
        carrier: 'ups',
        trackingNumbers: ['1Z12345E0205271688'],
        labels: [{ format: 'GIF', data: 'R0lGODlhAQABAAAAACw=' }],
        attempts: [{ account: 'ups-demo', outcome: 'created' }],
      },
    },
  },
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_ACCOUNT_FORBIDDEN',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_IDEMPOTENCY_KEY_INVALID',
    'ERR_IDEMPOTENCY_KEY_IN_USE',
    'ERR_IDEMPOTENCY_KEY_REUSED',
    'ERR_REQUEST_INVALID',
    'ERR_BODY_TOO_LARGE',
    'ERR_SHIPMENT_REJECTED',
    'ERR_SHIPMENT_OUTCOME_UNKNOWN',
    'ERR_NO_ACCOUNT_AVAILABLE',
    'ERR_CARRIER_THROTTLED',
    'ERR_SHIPMENT_RULES_UNMET',
    'ERR_SHIPMENT_NOT_SUPPORTED',
    'ERR_REQUEST_STREAM_INVALID',
    'ERR_REQUEST_TIMEOUT',
    'ERR_REDIS_UNAVAILABLE',
  ],
};

/** Label requests are small JSON documents; anything larger is refused before it is parsed. */
export const SHIPMENT_BODY_LIMIT_BYTES = 256 * 1024;

export function postShipments(deps: { shipments: ShipmentService }) {
  return async function shipments(c: Context<AppEnv>) {
    const client = c.get('client');
    const key = ShipmentService.idempotencyKey(c.req.header('idempotency-key'));
    const body = await readJsonBody(c, SHIPMENT_BODY_LIMIT_BYTES, 'a shipment body');
    const shipment = ShipmentService.parse(body);
    const answer = await deps.shipments.create(client, key, shipment, c.get('trace'));
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.replayed) headers['idempotent-replayed'] = 'true';
    return c.body(answer.body, answer.status as 201, headers);
  };
}
