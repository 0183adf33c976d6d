/**
 * @module test/carriers/ups/shipping.contract.test
 *
 * Owns the proof that the UPS label adapter's request (carriers/ups/shipping.ts) is what
 * ../shared/carrier-specs/ups/Shipping.yaml accepts for `POST /shipments/{version}/ship`
 * (operationId `Shipment`): `build(...)` for several shipments, with the headers the core adds
 * (Bearer token, transId/transactionSrc from decorateUpsRequest), validated as it would go on the
 * wire. Negative controls break one thing each and must fail, so a pass means something.
 */
import { expect } from 'vitest';

import { decorateUpsRequest } from '../../../carriers/ups/api.js';
import { upsShipping } from '../../../carriers/ups/shipping.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import {
  BERLIN_DAHLEM,
  GOETTINGEN,
  LOS_ANGELES,
  NEW_YORK,
  shipmentWith,
  TORONTO,
} from '../../support/addresses.js';
import { CUSTOMS_USD } from '../customs-fixtures.js';
import { withoutHeaders } from '../../support/contract-checks.js';
import { checkedBuilds, describeShippingContract } from '../../support/shipping-contract.js';

const SETTINGS = { shipperNumber: 'A1B2C3' };
const DE_RECIPIENT = { ...GOETTINGEN, phone: '+49 551 397766' };
const US = { ...NEW_YORK, phone: '212-736-3100' };

const shipment = shipmentWith({
  shipper: US,
  recipient: LOS_ANGELES,
  parcels: [{ weightKg: 1 }],
});

const SHIPMENTS: Record<string, ShipmentRequest> = {
  'US domestic standard, PDF (as GIF), two parcels with dimensions and a reference': shipment({
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }, { weightKg: 0.2 }],
    reference: 'order-1042',
  }),
  'US domestic express, ZPL': shipment({ service: 'express', labelFormat: 'ZPL' }),
  'US to DE standard, reference at shipment level, commercial invoice': shipment({
    recipient: DE_RECIPIENT,
    reference: 'PO 77',
    customs: CUSTOMS_USD,
  }),
  'US to CA standard, InvoiceLineTotal': shipment({
    recipient: { ...TORONTO, phone: '416-555-0100' },
    customs: CUSTOMS_USD,
  }),
  'US to DE express, ZPL, heavy parcel, documents': shipment({
    recipient: DE_RECIPIENT,
    customs: { ...CUSTOMS_USD, contents: 'documents' },
    service: 'express',
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 68 }],
  }),
  'DE domestic express, metric units, all contact fields': shipment({
    shipper: GOETTINGEN,
    recipient: BERLIN_DAHLEM,
    service: 'express',
    parcels: [{ weightKg: 12.34, lengthCm: 120, widthCm: 60, heightCm: 45.5 }],
  }),
};
const [FIRST, SECOND] = Object.keys(SHIPMENTS) as [string, string];

type Body = { ShipmentRequest: Record<string, Record<string, unknown>> };
const shipper = (body: Body) => body.ShipmentRequest['Shipment']!['Shipper'] as Record<string, unknown>;

describeShippingContract<Body>({
  title: 'UPS label requests against Shipping.yaml',
  specFile: 'ups/Shipping.yaml',
  operationId: 'Shipment',
  // The adapter's call as the core sends it: a Bearer token and UPS's per-request headers added.
  onTheWire(call) {
    const headers = { ...call.headers, authorization: 'Bearer ups-contract-token' };
    decorateUpsRequest({ method: call.method, path: `/${call.path}`, headers });
    return { method: call.method, url: `/${call.path}`, headers, body: call.body };
  },
  // Valid for the spec and for the prose rules it cannot express (carriers/ups/rules.ts).
  valid: checkedBuilds(upsShipping, SETTINGS, SHIPMENTS),
  check: (_call, req) => expect(req.url).toBe('/api/shipments/v2409/ship'),
  negatives: [
    {
      name: 'no ShipperNumber, a 5-character one, no Package, no ShipTo',
      from: FIRST,
      controls: [
        {
          body: (b) => delete shipper(b)['ShipperNumber'],
          errors: ["body/ShipmentRequest/Shipment/Shipper: must have required property 'ShipperNumber'"],
        },
        {
          body: (b) => (shipper(b)['ShipperNumber'] = 'A1B2C'),
          errors: [
            'body/ShipmentRequest/Shipment/Shipper/ShipperNumber: must NOT have fewer than 6 characters',
          ],
        },
        {
          body: (b) => delete b.ShipmentRequest['Shipment']!['Package'],
          errors: ["body/ShipmentRequest/Shipment: must have required property 'Package'"],
        },
        {
          body: (b) => delete b.ShipmentRequest['Shipment']!['ShipTo'],
          errors: ["body/ShipmentRequest/Shipment: must have required property 'ShipTo'"],
        },
      ],
    },
    {
      name: 'no RequestOption, no LabelStockSize, a 3-character service code, no Bearer token',
      from: SECOND,
      controls: [
        {
          body: (b) => delete b.ShipmentRequest['Request']!['RequestOption'],
          errors: ["body/ShipmentRequest/Request: must have required property 'RequestOption'"],
        },
        {
          body: (b) => delete b.ShipmentRequest['LabelSpecification']!['LabelStockSize'],
          errors: ["body/ShipmentRequest/LabelSpecification: must have required property 'LabelStockSize'"],
        },
        {
          body: (b) => (b.ShipmentRequest['Shipment']!['Service'] = { Code: '003' }),
          errors: ['body/ShipmentRequest/Shipment/Service/Code: must NOT have more than 2 characters'],
        },
        {
          request: (req) => withoutHeaders(req, 'authorization'),
          errors: [
            "security: no declared alternative is satisfied (OAuth2: expected 'authorization: Bearer <token>')",
          ],
        },
      ],
    },
    {
      name: 'without the /api prefix the request is no Shipping operation',
      from: FIRST,
      controls: [
        {
          request: (req) => ({ ...req, url: '/shipments/v2409/ship' }),
          first: /^no operation in ups\/Shipping\.yaml matches POST \/shipments\/v2409\/ship/,
        },
      ],
    },
  ],
});
