/**
 * @module test/carriers/fedex/shipping.contract.test
 *
 * Owns the proof that the FedEx label adapter's request (carriers/fedex/shipping.ts) is what
 * ../shared/carrier-specs/fedex/Shipment-Resource.json accepts for `POST /ship/v1/shipments`
 * (operationId `Create Shipment`, body `Full_Schema_Ship`): `build(...)` for several shipments,
 * with the Bearer token the core adds, validated as it would go on the wire. Negative controls
 * break one thing each and must fail.
 */
import { expect } from 'vitest';

import { fedexShipping, fedexShippingSettingsSchema } from '../../../carriers/fedex/shipping.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { MEMPHIS, PITTSBURGH, RICHMOND_BC, shipmentWith } from '../../support/addresses.js';
import { withoutHeaders } from '../../support/contract-checks.js';
import { CUSTOMS_USD } from '../customs-fixtures.js';
import { checkedBuilds, describeShippingContract, sentWith } from '../../support/shipping-contract.js';

const SETTINGS = fedexShippingSettingsSchema.parse({ accountNumber: '740561073' });
const US = { ...MEMPHIS, phone: '901-369-3600' };

const shipment = shipmentWith({
  shipper: US,
  recipient: PITTSBURGH,
  parcels: [{ weightKg: 1 }],
});

const SHIPMENTS: Record<string, ShipmentRequest> = {
  'US Ground, PDF, two parcels with dimensions and a reference': shipment({
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }, { weightKg: 0.2 }],
    reference: 'order-1042',
  }),
  'US Priority Overnight, ZPL': shipment({ service: 'express', labelFormat: 'ZPL' }),
  'US to CA International Economy, PDF, customs': shipment({
    recipient: RICHMOND_BC,
    reference: 'PO 77',
    customs: CUSTOMS_USD,
  }),
  'US to CA International Priority, ZPL, heavy parcel, DDP documents': shipment({
    recipient: RICHMOND_BC,
    customs: { ...CUSTOMS_USD, contents: 'documents', incoterm: 'DDP' },
    service: 'express',
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 68, lengthCm: 120, widthCm: 60, heightCm: 45.5 }],
  }),
};

const [FIRST, SECOND] = Object.keys(SHIPMENTS) as [string, string];
type Body = Record<string, unknown> & { requestedShipment: Record<string, unknown> };
const label = (b: Body) => b.requestedShipment['labelSpecification'] as Record<string, unknown>;
const items = (b: Body) =>
  b.requestedShipment['requestedPackageLineItems'] as { weight: { units: string } }[];

describeShippingContract<Body>({
  title: 'FedEx label requests against Shipment-Resource.json',
  specFile: 'fedex/Shipment-Resource.json',
  operationId: 'Create Shipment',
  // The adapter's call as the core sends it: with a Bearer token.
  onTheWire: sentWith({ authorization: 'Bearer fedex-contract-token' }),
  // Valid for the spec and for the prose rules it cannot express (carriers/fedex/rules.ts).
  valid: checkedBuilds(fedexShipping, SETTINGS, SHIPMENTS),
  check: (_call, req) => expect(req.url).toBe('/ship/v1/shipments'),
  negatives: [
    {
      name: 'no accountNumber, no totalWeight, no recipients, an unknown pickupType',
      from: FIRST,
      controls: [
        {
          body: (b) => delete b['accountNumber'],
          errors: ["body: must have required property 'accountNumber'"],
        },
        {
          body: (b) => delete b.requestedShipment['totalWeight'],
          errors: ["body/requestedShipment: must have required property 'totalWeight'"],
        },
        {
          body: (b) => delete b.requestedShipment['recipients'],
          errors: ["body/requestedShipment: must have required property 'recipients'"],
        },
        {
          body: (b) => (b.requestedShipment['pickupType'] = 'LATER'),
          errors: [
            expect.stringMatching(
              /^body\/requestedShipment\/pickupType: must be equal to one of the allowed values/,
            ),
          ],
        },
      ],
    },
    {
      name: 'a GIF image type, a weight in grams, no labelResponseOptions, no Bearer token',
      from: SECOND,
      controls: [
        {
          body: (b) => (label(b)['imageType'] = 'GIF'),
          errors: [
            expect.stringMatching(
              /^body\/requestedShipment\/labelSpecification\/imageType: must be equal to one of/,
            ),
          ],
        },
        {
          body: (b) => (items(b)[0]!.weight.units = 'G'),
          errors: [
            expect.stringMatching(
              /^body\/requestedShipment\/requestedPackageLineItems\/0\/weight\/units: must be equal to one of/,
            ),
          ],
        },
        {
          body: (b) => delete b['labelResponseOptions'],
          errors: ["body: must have required property 'labelResponseOptions'"],
        },
        {
          request: (req) => withoutHeaders(req, 'authorization'),
          errors: ['header authorization: required by the spec but missing'],
        },
      ],
    },
  ],
});
