/**
 * @module test/carriers/dhl-parcel-de/shipping.contract.test
 *
 * Owns the proof that the DHL Parcel DE label adapter's requests are what DHL's published Shipping
 * API document (dhl/parcel-de-shipping-v2_2.yaml) accepts for `POST /orders` (createOrders):
 * method, path, query (docFormat, includeDocs, printFormat), headers and the ShipmentOrderRequest
 * body, for domestic, EU and non-EU shipments (with CustomsDetails), both service levels and both label formats. The Bearer
 * token is added here as the core adds it (the spec's OAuth2 alternative). Each validation has a
 * negative control, so a pass means something.
 */
import { randomUUID } from 'node:crypto';

import { expect } from 'vitest';

import {
  dhlParcelDeShipping,
  dhlParcelDeShippingSettingsSchema,
} from '../../../carriers/dhl-parcel-de/shipping.js';
import {
  AMSTERDAM as AMSTERDAM_BASE,
  BERLIN_KREUZBERG,
  BONN as BONN_BASE,
  shipmentWith,
  ZURICH,
} from '../../support/addresses.js';
import { describeShippingContract, sentWith } from '../../support/shipping-contract.js';
import { CUSTOMS_USD } from '../customs-fixtures.js';

const SPEC_FILE = 'dhl/parcel-de-shipping-v2_2.yaml';
const SETTINGS = dhlParcelDeShippingSettingsSchema.parse({
  billingNumbers: { V01PAK: '33333333330102', V53WPAK: '33333333335301' },
  printFormat: '910-300-600',
});

const BONN = { ...BONN_BASE, street: ['Sträßchensweg 10', 'Hinterhaus'] };
const BERLIN = { ...BERLIN_KREUZBERG, email: 'maria@example.com' };
const AMSTERDAM = { ...AMSTERDAM_BASE, stateCode: 'NH' };

const SHIPMENTS = {
  'domestic standard PDF, one parcel with dimensions': {
    service: 'standard',
    recipient: BERLIN,
    parcels: [{ weightKg: 0.5, lengthCm: 20, widthCm: 15, heightCm: 10 }],
  },
  'domestic standard ZPL, two parcels': {
    service: 'standard',
    recipient: BERLIN,
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 31.5 }, { weightKg: 0.001, lengthCm: 1, widthCm: 1, heightCm: 1 }],
  },
  'EU standard PDF, three street lines and a state': {
    service: 'standard',
    recipient: AMSTERDAM,
    reference: 'order-2024-000001',
    parcels: [{ weightKg: 2 }],
  },
  'outside the EU (CH) with customs details, one parcel': {
    service: 'standard',
    recipient: ZURICH,
    customs: CUSTOMS_USD,
    parcels: [{ weightKg: 1 }],
  },
  'EU express ZPL (premium)': {
    service: 'express',
    recipient: AMSTERDAM,
    labelFormat: 'ZPL',
    parcels: [{ weightKg: 5 }],
  },
} as const;

type Body = { profile?: string; shipments: Record<string, unknown>[] };

describeShippingContract<Body>({
  title: `DHL Parcel DE label requests against ${SPEC_FILE}`,
  specFile: SPEC_FILE,
  operationId: 'createOrders',
  // The call as it leaves the gateway: under the host root, with the Bearer token the core adds.
  onTheWire: sentWith(() => ({ authorization: `Bearer ${randomUUID()}` })),
  valid: Object.entries(SHIPMENTS).map(([name, overrides]) => ({
    name,
    call: () =>
      dhlParcelDeShipping.build({
        shipment: shipmentWith({ shipper: BONN, reference: 'ref-1' })(overrides),
        settings: SETTINGS,
        carrierIdempotencyKey: randomUUID(),
        shipmentId: `shp_${randomUUID().slice(0, 20)}`,
      }),
  })),
  check(_call, req) {
    const url = new URL(req.url, 'http://wire.invalid');
    expect(url.pathname).toBe('/parcel/de/shipping/v2/orders');
    expect(url.searchParams.get('printFormat')).toBe('910-300-600');
  },
  negatives: [
    {
      name: 'no profile, no shipments, an unknown product, a weight in lb',
      from: 'domestic standard PDF, one parcel with dimensions',
      controls: [
        { body: (body) => delete body.profile, errors: ["body: must have required property 'profile'"] },
        {
          request: (req) => ({ ...req, body: JSON.stringify({ profile: 'STANDARD_GRUPPENPROFIL' }) }),
          errors: ["body: must have required property 'shipments'"],
        },
        {
          body: (body) => (body.shipments[0]!['product'] = 'V99XX'),
          errors: [
            'body/shipments/0/product: must be equal to one of the allowed values ["V01PAK","V53WPAK","V54EPAK","V62WP","V62KP","V66WPI"]',
          ],
        },
        {
          body: (body) => ((body.shipments[0]!['details'] as { weight: { uom: string } }).weight.uom = 'lb'),
          errors: [
            'body/shipments/0/details/weight/uom: must be equal to one of the allowed values ["g","kg"]',
          ],
        },
      ],
    },
    {
      name: 'an alpha-2 country, a consignee without addressStreet, a bad billing number, a bad docFormat',
      from: 'EU standard PDF, three street lines and a state',
      controls: [
        {
          body: (body) => ((body.shipments[0]!['shipper'] as { country: string }).country = 'DE'),
          mentions: 'body/shipments/0/shipper/country: must be equal to one of the allowed values',
        },
        {
          body: (body) =>
            delete (body.shipments[0]!['consignee'] as Record<string, unknown>)['addressStreet'],
          mentions: "must have required property 'addressStreet'",
        },
        {
          body: (body) => (body.shipments[0]!['billingNumber'] = '3333333333'),
          errors: ['body/shipments/0/billingNumber: must match pattern "\\w{10}\\d{2}\\w{2}"'],
        },
        {
          request: (req) => ({ ...req, url: req.url.replace('docFormat=PDF', 'docFormat=ZPL') }),
          errors: ['query docFormat: must be equal to one of the allowed values ["ZPL2","PDF"]'],
        },
      ],
    },
    {
      name: 'customs details without postalCharges, with an unknown exportType, an item without a value',
      from: 'outside the EU (CH) with customs details, one parcel',
      controls: [
        {
          body: (body) => delete (body.shipments[0]!['customs'] as Record<string, unknown>)['postalCharges'],
          errors: ["body/shipments/0/customs: must have required property 'postalCharges'"],
        },
        {
          body: (body) => ((body.shipments[0]!['customs'] as Record<string, unknown>)['exportType'] = 'GIFT'),
          mentions: 'body/shipments/0/customs/exportType: must be equal to one of the allowed values',
        },
        {
          body: (body) =>
            delete (body.shipments[0]!['customs'] as { items: Record<string, unknown>[] }).items[0]![
              'itemValue'
            ],
          errors: ["body/shipments/0/customs/items/0: must have required property 'itemValue'"],
        },
      ],
    },
  ],
});
