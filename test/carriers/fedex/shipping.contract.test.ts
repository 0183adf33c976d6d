/**
 * @module test/carriers/fedex/shipping.contract.test
 *
 * Owns the proof that the FedEx label adapter's request (carriers/fedex/shipping.ts) is what
 * ../shared/carrier-specs/fedex/Shipment-Resource.json accepts for `POST /ship/v1/shipments`
 * (operationId `Create Shipment`, body `Full_Schema_Ship`): `build(...)` for several shipments,
 * with the Bearer token the core adds, validated as it would go on the wire. Negative controls
 * break one thing each and must fail. Shaped like ups-shipping.contract.test.ts.
 */
import { randomUUID } from 'node:crypto';

import { beforeAll, expect, it } from 'vitest';

import { fedexShipping, fedexShippingSettingsSchema } from '../../../carriers/fedex/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractRequest,
  type ContractResult,
  type ContractSpec,
} from '../../support/openapi-contract.js';

const SETTINGS = fedexShippingSettingsSchema.parse({ accountNumber: '740561073' });
const US = {
  name: 'Ada Lovelace',
  company: 'Analytical Engines Inc',
  street: ['3875 Airways Blvd', 'Module H'],
  city: 'Memphis',
  postalCode: '38116',
  countryCode: 'US',
  stateCode: 'TN',
  phone: '901-369-3600',
  email: 'ada@example.com',
};
const US_EAST = {
  name: 'Grace Hopper',
  street: ['45 Noblestown Rd'],
  city: 'Pittsburgh',
  postalCode: '15220',
  countryCode: 'US',
  stateCode: 'PA',
  phone: '412-555-0100',
};
const CA = {
  name: 'Emmy Noether',
  street: ['5300 No. 3 Rd'],
  city: 'Richmond',
  postalCode: 'V6X 2X9',
  countryCode: 'CA',
  stateCode: 'BC',
  phone: '604-555-0199',
};

const shipment = (fields: Record<string, unknown>): ShipmentRequest =>
  shipmentRequestSchema.parse({
    service: 'standard',
    shipper: US,
    recipient: US_EAST,
    parcels: [{ weightKg: 1 }],
    ...fields,
  });

const SHIPMENTS: Record<string, ShipmentRequest> = {
  'US Ground, PDF, two parcels with dimensions and a reference': shipment({
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }, { weightKg: 0.2 }],
    reference: 'order-1042',
  }),
  'US Priority Overnight, ZPL': shipment({ service: 'express', labelFormat: 'ZPL' }),
  'US to CA International Economy, PDF': shipment({ recipient: CA, reference: 'PO 77' }),
  'US to CA International Priority, ZPL, heavy parcel': shipment({
    recipient: CA,
    service: 'express',
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 68, lengthCm: 120, widthCm: 60, heightCm: 45.5 }],
  }),
};

/** The adapter's call as the core sends it: with a Bearer token. */
function onTheWire(call: ShippingCall): ContractRequest {
  return {
    method: call.method,
    url: `/${call.path}`,
    headers: { ...call.headers, authorization: 'Bearer fedex-contract-token' },
    body: call.body,
  };
}

const build = (request: ShipmentRequest) =>
  onTheWire(
    fedexShipping.build({
      shipment: request,
      settings: SETTINGS,
      carrierIdempotencyKey: randomUUID(),
      shipmentId: `shp_${randomUUID()}`,
    }),
  );

type Body = Record<string, unknown> & { requestedShipment: Record<string, unknown> };
function withBody(req: ContractRequest, change: (body: Body) => void): ContractRequest {
  const body = JSON.parse(req.body as string) as Body;
  change(body);
  return { ...req, body: JSON.stringify(body) };
}

function expectValid(result: ContractResult): void {
  expect(result.errors, `contract errors:\n${result.errors.join('\n')}`).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.operationId).toBe('Create Shipment');
}

describeContract('FedEx label requests against Shipment-Resource.json', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('fedex/Shipment-Resource.json');
  }, 30_000);

  it.each(Object.entries(SHIPMENTS))('%s: valid', (_name, request) => {
    const req = build(request);
    expect(req.url).toBe('/ship/v1/shipments');
    expectValid(validateRequest(spec, req));
  });

  it('negative control: no accountNumber, no totalWeight, no recipients, an unknown pickupType', () => {
    const req = build(Object.values(SHIPMENTS)[0]!);
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => delete b['accountNumber']),
      ).errors,
    ).toEqual(["body: must have required property 'accountNumber'"]);
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => delete b.requestedShipment['totalWeight']),
      ).errors,
    ).toEqual(["body/requestedShipment: must have required property 'totalWeight'"]);
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => delete b.requestedShipment['recipients']),
      ).errors,
    ).toEqual(["body/requestedShipment: must have required property 'recipients'"]);
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => (b.requestedShipment['pickupType'] = 'LATER')),
      ).errors,
    ).toEqual([
      expect.stringMatching(
        /^body\/requestedShipment\/pickupType: must be equal to one of the allowed values/,
      ),
    ]);
  });

  it('negative control: a GIF image type, a weight in grams, no labelResponseOptions, no Bearer token', () => {
    const req = build(Object.values(SHIPMENTS)[1]!);
    const label = (b: Body) => b.requestedShipment['labelSpecification'] as Record<string, unknown>;
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => (label(b)['imageType'] = 'GIF')),
      ).errors,
    ).toEqual([
      expect.stringMatching(
        /^body\/requestedShipment\/labelSpecification\/imageType: must be equal to one of/,
      ),
    ]);
    const items = (b: Body) =>
      b.requestedShipment['requestedPackageLineItems'] as { weight: { units: string } }[];
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => (items(b)[0]!.weight.units = 'G')),
      ).errors,
    ).toEqual([
      expect.stringMatching(
        /^body\/requestedShipment\/requestedPackageLineItems\/0\/weight\/units: must be equal to one of/,
      ),
    ]);
    expect(
      validateRequest(
        spec,
        withBody(req, (b) => delete b['labelResponseOptions']),
      ).errors,
    ).toEqual(["body: must have required property 'labelResponseOptions'"]);
    const headers = { ...req.headers };
    delete headers['authorization'];
    expect(validateRequest(spec, { ...req, headers }).errors).toEqual([
      'header authorization: required by the spec but missing',
    ]);
  });
});
