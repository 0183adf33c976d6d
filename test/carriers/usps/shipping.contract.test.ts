/**
 * @module test/carriers/usps/shipping.contract.test
 *
 * Owns the proof that the label request the USPS shipping adapter builds is what the USPS Domestic
 * Labels OpenAPI document (../shared/carrier-specs/usps/domestic-labels.yaml) accepts: the output
 * of `uspsShipping.build` for several shipments, completed with what the gateway adds on the wire
 * (the Bearer token and the payment authorization token, dummies here), is validated as
 * `post-label`. Negative controls break the same request the way a faulty adapter would (a
 * required field gone, a value outside an enum, a malformed idempotency key) and must fail.
 */
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import { uspsShipping, uspsShippingSettingsSchema } from '../../../carriers/usps/shipping.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { HONOLULU, ST_LOUIS as ST_LOUIS_BASE, WASHINGTON, shipmentWith } from '../../support/addresses.js';
import { withoutHeaders } from '../../support/contract-checks.js';
import { describeShippingContract, sentWith } from '../../support/shipping-contract.js';

const ST_LOUIS = {
  ...ST_LOUIS_BASE,
  street: ['2700 S Jefferson Ave', 'STE 150', 'Building 3'],
  postalCode: '631042351',
  stateCode: 'MO',
};

const shipment = shipmentWith({ shipper: WASHINGTON, recipient: ST_LOUIS });

const SHIPMENTS: { name: string; request: ShipmentRequest; settings?: Record<string, unknown> }[] = [
  {
    name: 'Ground Advantage, PDF, reference, ZIP+4 and three street lines',
    request: shipment({
      parcels: [{ weightKg: 0.8, lengthCm: 23, widthCm: 15, heightCm: 1 }],
      reference: 'o-1',
    }),
  },
  {
    name: 'Priority Mail Express, ZPL at 203 dpi, phone and email, a firm clipped to 50',
    request: shipment({
      service: 'express',
      recipient: HONOLULU,
      parcels: [{ weightKg: 12.5, lengthCm: 60, widthCm: 40, heightCm: 35 }],
      labelFormat: 'ZPL',
    }),
  },
  {
    name: 'ZPL at 300 dpi, MACHINABLE, the heaviest parcel USPS takes, a clipped reference',
    request: shipment({
      shipper: HONOLULU,
      recipient: WASHINGTON,
      parcels: [{ weightKg: 31.7, lengthCm: 50, widthCm: 50, heightCm: 50 }],
      reference: 'R'.repeat(35),
      labelFormat: 'ZPL',
    }),
    settings: { zplDpi: 300, processingCategory: 'MACHINABLE' },
  },
];

type Body = Record<string, Record<string, unknown>>;
const FIRST = SHIPMENTS[0]!.name;

describeShippingContract<Body>({
  title: 'USPS shipping adapter requests against usps/domestic-labels.yaml',
  specFile: 'usps/domestic-labels.yaml',
  operationId: 'post-label',
  // The wire request: the adapter's call under the API base, plus what the gateway injects.
  onTheWire: sentWith({
    Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
    // Required by post-label; the gateway's dependent-token engine adds it, never the adapter.
    'X-Payment-Authorization-Token': 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjb250cmFjdCJ9.c2ln',
  }),
  valid: SHIPMENTS.map(({ name, request, settings = {} }) => ({
    name,
    call: () =>
      uspsShipping.build({
        shipment: request,
        settings: uspsShippingSettingsSchema.parse(settings),
        carrierIdempotencyKey: randomUUID(),
        shipmentId: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA',
      }),
  })),
  check: (call) => expect(call.headers).not.toHaveProperty('X-Payment-Authorization-Token'),
  negatives: [
    {
      name: 'without the payment token the request is not a USPS label request',
      from: FIRST,
      controls: [
        {
          request: (req) => withoutHeaders(req, 'X-Payment-Authorization-Token'),
          errors: ['header X-Payment-Authorization-Token: required by the spec but missing'],
        },
        {
          request: (req) => ({ ...req, headers: { ...req.headers, 'X-Idempotency-Key': 'shp_1-attempt-2' } }),
          errors: ['header X-Idempotency-Key: must match format "uuid"'],
        },
      ],
    },
    {
      name: 'a required field gone, an enum value USPS does not know, an unknown top-level field',
      from: FIRST,
      controls: [
        {
          body: (body) => delete body['fromAddress'],
          errors: ["body: must have required property 'fromAddress'"],
        },
        {
          body: (body) => delete body['packageDescription']!['mailClass'],
          mentions: /packageDescription.*mailClass/,
        },
        {
          body: (body) => (body['imageInfo']!['imageType'] = 'ZPL'),
          errors: [
            expect.stringMatching(/^body\/imageInfo\/imageType: must be equal to one of the allowed values/),
          ],
        },
        {
          body: (body) => (body['toAddress']!['ZIPCode'] = '63104-2351'),
          mentions: /toAddress\/ZIPCode: must match pattern/,
        },
        {
          body: (body) => (body['shipmentId'] = {}),
          errors: ["body: must NOT have additional properties 'shipmentId'"],
        },
      ],
    },
  ],
});
