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

import { beforeAll, expect, it } from 'vitest';

import {
  dhlExpressShipping,
  dhlExpressShippingSettingsSchema,
} from '../../../carriers/dhl-express/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import { shipmentRequestSchema } from '../../../src/core/shipment.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractRequest,
  type ContractResult,
  type ContractSpec,
} from '../../support/openapi-contract.js';

const SPEC_FILE = 'dhl/dpdhl-express-api-3.1.1_swagger.yaml';
const SETTINGS = dhlExpressShippingSettingsSchema.parse({ shipperAccountNumber: '123456789' });

const PRAGUE = {
  name: 'Jan Novak',
  company: 'Example Shop s.r.o.',
  street: ['V Parku 2308/10'],
  city: 'Prague',
  postalCode: '14800',
  countryCode: 'CZ',
  phone: '+420123456789',
  email: 'jan@example.com',
};
const BRNO = {
  name: 'Eva Svobodova',
  street: ['Kounicova 10', 'Building C', '3rd floor'],
  city: 'Brno',
  postalCode: '60200',
  countryCode: 'CZ',
  stateCode: 'JM',
  phone: '+420987654321',
};
const BERLIN = {
  name: 'Erika Mustermann',
  company: 'Example Kunde GmbH',
  street: ['Invalidenstr. 1'],
  city: 'Berlin',
  postalCode: '10115',
  countryCode: 'DE',
  phone: '+4930123456',
  email: 'erika@example.com',
};

const SHIPMENTS = {
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

function build(overrides: object, shipmentId = `shp_${randomUUID().slice(0, 26)}`): ShippingCall {
  return dhlExpressShipping.build({
    shipment: shipmentRequestSchema.parse({ shipper: PRAGUE, reference: 'order-2024-000001', ...overrides }),
    settings: SETTINGS,
    carrierIdempotencyKey: randomUUID(),
    shipmentId,
  });
}

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

function expectValid(result: ContractResult): void {
  expect(result.errors, `contract errors:\n${result.errors.join('\n')}`).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.operationId).toBe('exp-api-shipments');
}

type Body = Record<string, unknown> & {
  customerDetails: { receiverDetails: { contactInformation: Record<string, unknown> } };
  content: Record<string, unknown>;
};
function withBody(req: ContractRequest, edit: (body: Body) => void): ContractRequest {
  const body = JSON.parse(req.body as string) as Body;
  edit(body);
  return { ...req, body: JSON.stringify(body) };
}

describeContract(`DHL Express label requests against ${SPEC_FILE}`, () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec(SPEC_FILE);
  }, 30_000);

  it.each(Object.entries(SHIPMENTS))(
    '%s: valid exp-api-shipments request on both bases',
    (_name, overrides) => {
      const call = build(overrides);
      expectValid(validateRequest(spec, onTheWire(call)));
      expectValid(validateRequest(spec, onTheWire(call, '/mydhlapi')));
      expect(call.headers['x-version']).toBe('3.1.0');
    },
  );

  it('negative control: no productCode, no phone, no isCustomsDeclarable, an encoding outside the enum', () => {
    const req = onTheWire(build(SHIPMENTS['domestic standard PDF, one parcel with dimensions']));
    expect(
      validateRequest(
        spec,
        withBody(req, (body) => delete body['productCode']),
      ).errors,
    ).toEqual(["body: must have required property 'productCode'"]);
    const noPhone = withBody(
      req,
      (body) => delete body.customerDetails.receiverDetails.contactInformation['phone'],
    );
    expect(validateRequest(spec, noPhone).errors).toEqual([
      "body/customerDetails/receiverDetails/contactInformation: must have required property 'phone'",
    ]);
    expect(
      validateRequest(
        spec,
        withBody(req, (body) => delete body.content['isCustomsDeclarable']),
      ).errors,
    ).toEqual(["body/content: must have required property 'isCustomsDeclarable'"]);
    const png = withBody(req, (body) => (body['outputImageProperties'] = { encodingFormat: 'png' }));
    expect(validateRequest(spec, png).errors).toEqual([
      'body/outputImageProperties/encodingFormat: must be equal to one of the allowed values ["pdf","zpl","lp2","epl"]',
    ]);
  });

  it('negative control: no x-version, a 37-character Message-Reference, an extra key, a weight of 0', () => {
    const req = onTheWire(build(SHIPMENTS['EU express ZPL']));
    const noVersion = { ...req.headers };
    delete noVersion['x-version'];
    expect(validateRequest(spec, { ...req, headers: noVersion }).errors).toEqual([
      'header x-version: required by the spec but missing',
    ]);
    const long = { ...req, headers: { ...req.headers, 'message-reference': 'x'.repeat(37) } };
    expect(validateRequest(spec, long).errors).toEqual([
      'header Message-Reference: must NOT have more than 36 characters',
    ]);
    const extra = validateRequest(
      spec,
      withBody(req, (body) => (body['shipmentId'] = 'shp_1')),
    );
    expect(extra.errors).toEqual(["body: must NOT have additional properties 'shipmentId'"]);
    const zero = withBody(req, (body) => ((body.content['packages'] as { weight: number }[])[0]!.weight = 0));
    expect(validateRequest(spec, zero).errors).toEqual(['body/content/packages/0/weight: must be >= 0.001']);
  });
});
