/**
 * @module test/carriers/dhl-express/shipping.contract.test
 *
 * Owns the proof that the DHL Express label adapter's requests are what DHL's published MyDHL API
 * document (dhl/dpdhl-express-api-3.1.1_swagger.yaml) accepts for `POST /shipments`
 * (exp-api-shipments): method, path under both spec bases, headers (x-version, Message-Reference)
 * and the CreateShipmentRequest body, for domestic and EU shipments, both service levels and both
 * label formats. HTTP Basic is added here as the core adds it. Each validation has a negative
 * control, so a pass means something.
 */
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import {
  dhlExpressShipping,
  dhlExpressShippingSettingsSchema,
} from '../../../carriers/dhl-express/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import { shipmentRequestSchema } from '../../../src/core/shipment.js';
import { BERLIN_MITTE, BRNO as BRNO_BASE, PRAGUE } from '../../support/addresses.js';
import { expectValid, withoutHeaders } from '../../support/contract-checks.js';
import type { ContractRequest } from '../../support/openapi-contract.js';
import { describeShippingContract } from '../../support/shipping-contract.js';
import { CUSTOMS_EUR } from '../customs-fixtures.js';

const SPEC_FILE = 'dhl/dpdhl-express-api-3.1.1_swagger.yaml';
const SETTINGS = dhlExpressShippingSettingsSchema.parse({ shipperAccountNumber: '123456789' });

const BRNO = { ...BRNO_BASE, stateCode: 'JM' };
const BERLIN = { ...BERLIN_MITTE, email: 'erika@example.com' };

const SHIPMENTS = {
  'dutiable standard (CZ to US) with an export declaration': {
    service: 'standard',
    recipient: { ...BERLIN, countryCode: 'US', city: 'New York', postalCode: '10118', stateCode: 'NY' },
    customs: { ...CUSTOMS_EUR, invoiceNumber: 'RE-7' },
    parcels: [{ weightKg: 1 }],
  },
  'domestic standard PDF, one parcel with dimensions': {
    service: 'standard',
    recipient: BRNO,
    parcels: [{ weightKg: 0.5, lengthCm: 20, widthCm: 15.25, heightCm: 10 }],
  },
  'domestic express ZPL, two parcels': {
    service: 'express',
    recipient: BRNO,
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 70 }, { weightKg: 0.0004 }],
  },
  'EU standard PDF, no reference': {
    service: 'standard',
    recipient: BERLIN,
    reference: undefined,
    parcels: [{ weightKg: 2 }],
  },
  'EU express ZPL': {
    service: 'express',
    recipient: BERLIN,
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 5.1234 }],
  },
} as const;

/** The call as it leaves the gateway: under the account's base, with the Basic credentials the core adds. */
const onTheWire = (call: ShippingCall, base = '/mydhlapi/test'): ContractRequest => ({
  method: call.method,
  url: `${base}/${call.path}`,
  headers: {
    ...call.headers,
    authorization: `Basic ${Buffer.from(`key:${randomUUID()}`).toString('base64')}`,
  },
  body: call.body,
});

type Body = Record<string, unknown> & {
  customerDetails: { receiverDetails: { contactInformation: Record<string, unknown> } };
  content: Record<string, unknown>;
};

describeShippingContract<Body>({
  title: `DHL Express label requests against ${SPEC_FILE}`,
  specFile: SPEC_FILE,
  operationId: 'exp-api-shipments',
  onTheWire: (call) => onTheWire(call),
  valid: Object.entries(SHIPMENTS).map(([name, overrides]) => ({
    name: `${name}, on both bases`,
    call: () =>
      dhlExpressShipping.build({
        shipment: shipmentRequestSchema.parse({
          shipper: PRAGUE,
          reference: 'order-2024-000001',
          ...overrides,
        }),
        settings: SETTINGS,
        carrierIdempotencyKey: randomUUID(),
        shipmentId: `shp_${randomUUID().slice(0, 26)}`,
      }),
  })),
  check(call, _req, validate) {
    expectValid(validate(onTheWire(call, '/mydhlapi')), 'exp-api-shipments');
    expect(call.headers['x-version']).toBe('3.1.0');
  },
  negatives: [
    {
      name: 'no productCode, no phone, no isCustomsDeclarable, an encoding outside the enum',
      from: 'domestic standard PDF, one parcel with dimensions, on both bases',
      controls: [
        {
          body: (body) => delete body['productCode'],
          errors: ["body: must have required property 'productCode'"],
        },
        {
          body: (body) => delete body.customerDetails.receiverDetails.contactInformation['phone'],
          errors: [
            "body/customerDetails/receiverDetails/contactInformation: must have required property 'phone'",
          ],
        },
        {
          body: (body) => delete body.content['isCustomsDeclarable'],
          errors: ["body/content: must have required property 'isCustomsDeclarable'"],
        },
        {
          body: (body) => (body['outputImageProperties'] = { encodingFormat: 'png' }),
          errors: [
            'body/outputImageProperties/encodingFormat: must be equal to one of the allowed values ["pdf","zpl","lp2","epl"]',
          ],
        },
      ],
    },
    {
      name: 'no x-version, a 37-character Message-Reference, an extra key, a weight of 0',
      from: 'EU express ZPL, on both bases',
      controls: [
        {
          request: (req) => withoutHeaders(req, 'x-version'),
          errors: ['header x-version: required by the spec but missing'],
        },
        {
          request: (req) => ({ ...req, headers: { ...req.headers, 'message-reference': 'x'.repeat(37) } }),
          errors: ['header Message-Reference: must NOT have more than 36 characters'],
        },
        {
          body: (body) => (body['shipmentId'] = 'shp_1'),
          errors: ["body: must NOT have additional properties 'shipmentId'"],
        },
        {
          body: (body) => ((body.content['packages'] as { weight: number }[])[0]!.weight = 0),
          errors: ['body/content/packages/0/weight: must be >= 0.001'],
        },
      ],
    },
  ],
});
