/**
 * @module test/carriers/dhl-parcel-de/shipping
 * The DHL Parcel DE label adapter: the shipping-adapter conformance suite against the Parcel DE
 * simulator (one shipment number and label per parcel in the format asked, every shipment fault
 * with its status and code, what Parcel DE cannot carry refused before anything is sent; a real
 * token from the simulator's own ROPC endpoint, no mocks), then what only Parcel DE has: refNo and
 * address lines, multistatus answers read back, and the settings schema naming a bad billing number.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { decorateDhlParcelDeRequest } from '../../../carriers/dhl-parcel-de/api.js';
import {
  dhlParcelDeShipping,
  dhlParcelDeShippingSettingsSchema,
  dhlParcelDeUnsupported,
} from '../../../carriers/dhl-parcel-de/shipping.js';
import {
  DHL_PARCEL_DE_PATHS,
  DHL_PARCEL_DE_SANDBOX_USER,
  startDhlParcelDeSimulator,
} from '../../../carriers/dhl-parcel-de/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import {
  AMSTERDAM as AMSTERDAM_BASE,
  BERLIN_KREUZBERG,
  BONN as BONN_BASE,
  shipmentWith,
  ZURICH,
} from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { describeShippingAdapter } from '../../support/shipping-adapter-suite.js';
import { accessToken, form } from '../../support/sim-http.js';
import { CUSTOMS_EUR, CUSTOMS_USD } from '../customs-fixtures.js';

const CLIENT = { clientId: 'dhl-de-adapter-key', clientSecret: `dhl-de-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
// parcel-de-shipping-v2_2.yaml examples: 33333333330102 (V01PAK), 33333333335301 (V53WPAK).
const SETTINGS = dhlParcelDeShippingSettingsSchema.parse({
  billingNumbers: { V01PAK: '33333333330102', V53WPAK: '33333333335301' },
});

const BONN = { ...BONN_BASE, phone: '+49 123456789' };
const AMSTERDAM = { ...AMSTERDAM_BASE, email: 'jan@example.com' };

const shipment = shipmentWith({
  shipper: BONN,
  recipient: BERLIN_KREUZBERG,
  parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 9.5 }, { weightKg: 1.1 }],
  reference: 'order-1042-de',
});

const build = (request: ShipmentRequest, shipmentId = `shp_${randomUUID().slice(0, 20)}`): ShippingCall =>
  dhlParcelDeShipping.build({
    shipment: request,
    settings: SETTINGS,
    carrierIdempotencyKey: randomUUID(),
    shipmentId,
  });

interface OrderBody {
  profile: string;
  shipments: Record<string, unknown>[];
}
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as OrderBody;

const routes = [
  {
    route: 'domestic',
    recipient: BERLIN_KREUZBERG,
    service: 'standard',
    product: 'V01PAK',
    billing: '33333333330102',
  },
  {
    route: 'international',
    recipient: AMSTERDAM,
    service: 'standard',
    product: 'V53WPAK',
    billing: '33333333335301',
  },
  {
    route: 'international',
    recipient: AMSTERDAM,
    service: 'express',
    product: 'V53WPAK',
    billing: '33333333335301',
  },
] as const;
const formats = [
  { labelFormat: 'PDF', docFormat: 'PDF', format: 'PDF', magic: '%PDF-' },
  { labelFormat: 'ZPL', docFormat: 'ZPL2', format: 'ZPL2', magic: '^XA' },
] as const;

describeShippingAdapter('DHL Parcel DE', {
  adapter: dhlParcelDeShipping,
  settings: SETTINGS,
  shipment,
  shipmentId: () => `shp_${randomUUID().slice(0, 20)}`,
  async start() {
    const dhl = await startDhlParcelDeSimulator({ clients: [CLIENT] });
    const token = await accessToken(
      `${dhl.url}${DHL_PARCEL_DE_PATHS.token}`,
      form({
        grant_type: 'password',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        ...DHL_PARCEL_DE_SANDBOX_USER,
      }),
    );
    return {
      sim: dhl,
      // What the core does: the call as built under the host root, plus the Bearer token and the carrier hook.
      base: dhl.url,
      headers(call) {
        const headers = { ...call.headers, authorization: `Bearer ${token}` };
        decorateDhlParcelDeRequest({ method: call.method, path: `/${call.path}`, headers });
        return headers;
      },
    };
  },
  labels: routes.flatMap(({ route, recipient, service, product, billing }) =>
    formats.map(({ labelFormat, docFormat, format, magic }) => ({
      name: `${route} ${service} (${product}), ${labelFormat}: one shipment and ${format} label per parcel`,
      shipment: { recipient, service, labelFormat },
      path: `parcel/de/shipping/v2/orders?includeDocs=include&docFormat=${docFormat}`,
      call(call: ShippingCall) {
        expect(call.headers).toEqual({ 'content-type': 'application/json' });
        const body = bodyOf(call);
        expect(body.profile).toBe('STANDARD_GRUPPENPROFIL');
        expect(body.shipments).toHaveLength(2);
        for (const item of body.shipments) {
          expect(item).toMatchObject({ product, billingNumber: billing, refNo: 'order-1042-de' });
          expect(item['shipper']).toMatchObject({
            name1: 'My Online Shop GmbH',
            name2: 'Max Mustermann',
            country: 'DEU',
          });
          // Express abroad is the premium parcel; at home there is none (refused below).
          expect(item['services']).toEqual(
            service === 'express' && route === 'international' ? { premium: true } : undefined,
          );
        }
        const consignee = body.shipments[0]!['consignee'] as Record<string, unknown>;
        expect(consignee['country']).toBe(route === 'domestic' ? 'DEU' : 'NLD');
        // No phone number for German consignees (ContactAddress.phone).
        expect(consignee['phone']).toBe(route === 'domestic' ? undefined : '+31 888888888');
        expect(body.shipments[0]!['details']).toEqual({
          weight: { uom: 'kg', value: 2.5 },
          dim: { uom: 'cm', length: 30, width: 20, height: 10 },
        });
        expect(body.shipments[1]!['details']).toEqual({ weight: { uom: 'kg', value: 1.1 } });
      },
      status: 207, // two shipments: multistatus
      trackingNumbers(numbers: string[]) {
        expect(numbers).toHaveLength(2);
        expect(new Set(numbers).size).toBe(2);
        for (const number of numbers) expect(number).toMatch(/^\d{18}$/);
      },
      labels: { count: 2, format, magic },
      // One shipment per parcel.
      labelsCreated: 2,
    })),
  ),
  plainShipment: { parcels: [{ weightKg: 1 }] },
  successStatus: 200,
  faults: {
    // LabelDataResponse, its status as the code.
    validation_error: { status: 400, code: '400' },
    // RequestStatus, its status as the code.
    forbidden: { status: 403, code: '403' },
    server_error_after_create: { status: 500, code: '500' },
  },
  invalidBodies: [
    {
      what: 'no consignee country',
      change: (body: OrderBody) =>
        delete (body.shipments[0]!['consignee'] as Record<string, unknown>)['country'],
      status: 400,
      code: '400',
      answer: {
        items: [
          { validationMessages: [{ property: 'shipments[0].consignee.country', validationState: 'Error' }] },
        ],
      },
    },
    {
      what: 'an alpha-2 country',
      change: (body: OrderBody) =>
        ((body.shipments[0]!['consignee'] as Record<string, unknown>)['country'] = 'DE'),
      status: 400,
    },
    { what: 'no profile', change: (body: Partial<OrderBody>) => delete body.profile, status: 400 },
  ],
  unauthenticated: {
    what: 'a request without a token (401 RequestStatus)',
    headers: (call) => call.headers,
    status: 401,
    code: '401',
  },
  moreCases({ sut, build, send }) {
    it('counts one shipment per parcel', async () => {
      expect((await send(build(shipment({ parcels: [{ weightKg: 1 }] })).call)).status).toBe(200);
      expect((await send(build(shipment()).call)).status).toBe(207);
      expect(sut().sim.stats().labelsCreated).toBe(3);
    });

    it('outside the EU: the customs block as CustomsDetails, and the simulator makes the label', async () => {
      const swiss = shipment({ recipient: ZURICH, customs: CUSTOMS_USD, parcels: [{ weightKg: 1 }] });
      expect(dhlParcelDeShipping.check!(swiss)).toBeUndefined();
      const { call } = build(swiss);
      const order = bodyOf(call).shipments[0]!;
      expect(order).toMatchObject({ product: 'V53WPAK', consignee: { country: 'CHE' } });
      expect(order['customs']).toEqual({
        invoiceNo: 'INV-2026-0042',
        exportType: 'COMMERCIAL_GOODS',
        postalCharges: { currency: 'USD', value: 0 },
        items: [
          {
            itemDescription: 'Cotton T-shirts',
            packagedQuantity: 3,
            hsCode: '610910',
            countryOfOrigin: 'USA',
            itemValue: { currency: 'USD', value: 12.5 },
            itemWeight: { uom: 'kg', value: 0.2 },
          },
          {
            itemDescription: 'Ceramic mug',
            packagedQuantity: 1,
            countryOfOrigin: 'CHN',
            itemValue: { currency: 'USD', value: 8 },
            itemWeight: { uom: 'kg', value: 0.4 },
          },
        ],
      });
      const reply = await send(call);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(sut().sim.stats().labelsCreated).toBeGreaterThan(0);
    });

    it('inside the EU no customs details are sent, even with a customs block', () => {
      const order = bodyOf(build(shipment({ recipient: AMSTERDAM, customs: CUSTOMS_EUR })).call);
      for (const item of order.shipments) expect(item['customs']).toBeUndefined();
    });

    it('each contents is its exportType; without customs outside the EU the rule names the field', () => {
      const exportTypes = (['merchandise', 'documents', 'gift', 'sample', 'return'] as const).map(
        (contents) =>
          bodyOf(
            build(
              shipment({
                recipient: ZURICH,
                customs: { ...CUSTOMS_EUR, contents },
                parcels: [{ weightKg: 1 }],
              }),
            ).call,
          ).shipments[0]!['customs'] as { exportType: string },
      );
      expect(exportTypes.map((customs) => customs.exportType)).toEqual([
        'COMMERCIAL_GOODS',
        'DOCUMENT',
        'PRESENT',
        'COMMERCIAL_SAMPLE',
        'RETURN_OF_GOODS',
      ]);
      expect(
        dhlParcelDeShipping.check!(shipment({ recipient: ZURICH, parcels: [{ weightKg: 1 }] })),
      ).toMatchObject({
        kind: 'rules_unmet',
        violations: [{ field: 'customs', source: expect.stringContaining('CustomsDetails') }],
      });
    });
  },
  services: {
    standard: { domestic: 'V01PAK', international: 'V53WPAK' },
    express: { domestic: 'V01PAK', international: 'V53WPAK' },
  },
  refusals: {
    reasonOf: dhlParcelDeUnsupported,
    buildError: 'reason',
    cases: [
      {
        shipment: {
          shipper: { ...BONN, countryCode: 'AT' },
          recipient: { ...BERLIN_KREUZBERG, countryCode: 'AT' },
        },
        reason: 'ships from Germany',
      },
      // Kosovo's XK is user-assigned, not in ISO 3166-1 nor in the spec's Country list.
      {
        shipment: { recipient: { ...AMSTERDAM, countryCode: 'XK' } },
        reason: "recipient country XK is not in DHL Parcel DE's country list",
      },
      // One declaration, two parcels: it cannot be split per Parcel DE shipment.
      {
        shipment: { recipient: ZURICH, customs: CUSTOMS_EUR },
        reason: 'declares customs per parcel',
      },
      { shipment: { parcels: [{ weightKg: 31.6 }] }, reason: 'more than 31.5 kg' },
      // No domestic express product: V01PAK is the standard parcel, never booked as express.
      { shipment: { service: 'express' }, reason: 'no domestic express product' },
      {
        shipment: { recipient: { ...BERLIN_KREUZBERG, street: ['x'.repeat(51)] } },
        reason: 'recipient.street[0] is longer than 50',
      },
      {
        shipment: { recipient: { ...BERLIN_KREUZBERG, city: 'y'.repeat(41) } },
        reason: 'recipient.city is longer than 40',
      },
      {
        shipment: { recipient: { ...BERLIN_KREUZBERG, postalCode: '12#45' } },
        reason: 'recipient.postalCode',
      },
    ],
    supported: [
      { recipient: AMSTERDAM },
      { recipient: ZURICH, customs: CUSTOMS_EUR, parcels: [{ weightKg: 1 }] },
    ],
  },
});

describe('DHL Parcel DE label adapter: mapping', () => {
  it('domestic express answers not_supported with the reason before any call; international express is premium', () => {
    expect(dhlParcelDeShipping.check!(shipment({ service: 'express' }))).toEqual({
      kind: 'not_supported',
      reason: 'DHL Parcel DE has no domestic express product (V01PAK is its standard parcel)',
    });
    expect(
      dhlParcelDeShipping.check!(shipment({ service: 'express', recipient: AMSTERDAM })),
    ).toBeUndefined();
    expect(dhlParcelDeShipping.check!(shipment())).toBeUndefined();
  });

  it('refNo is the reference when it has 8 to 35 characters, else the shipment id', () => {
    const short = bodyOf(build(shipment({ reference: 'A-17' }), 'shp_0123456789'));
    expect(short.shipments[0]!['refNo']).toBe('shp_0123456789');
    const none = bodyOf(build(shipment({ reference: undefined }), 'shp_1'));
    expect(none.shipments[0]!['refNo']).toBeUndefined();
  });

  it('the shipper street lines share addressStreet; the consignee has additional address lines', () => {
    const body = bodyOf(
      build(shipment({ shipper: { ...BONN, street: ['Hauptstr. 1', 'Hinterhaus'] }, recipient: AMSTERDAM })),
    );
    expect(body.shipments[0]!['shipper']).toMatchObject({ addressStreet: 'Hauptstr. 1, Hinterhaus' });
    expect(body.shipments[0]!['consignee']).toMatchObject({
      name1: 'Rijksmuseum',
      name2: 'Jan Vermeer',
      addressStreet: 'Museumstraat 1',
      additionalAddressInformation1: '2. Floor',
      additionalAddressInformation2: 'Entrance B',
      postalCode: '1071 XX',
    });
  });

  it('readSuccess: mixed or refused items and URL-only labels are not taken as created', () => {
    const ok = {
      shipmentNo: '340434310428091700',
      sstatus: { title: 'OK', status: 200 },
      label: { b64: 'JVBERi0=' },
    };
    const bad = { sstatus: { title: 'Bad Request', status: 400 }, validationMessages: [] };
    const read = (items: unknown[]) => dhlParcelDeShipping.readSuccess(207, JSON.stringify({ items }));
    expect(read([ok, ok])).toMatchObject({ kind: 'created', labels: [{ format: 'PDF' }, { format: 'PDF' }] });
    expect(read([ok, bad])).toEqual({ kind: 'unreadable' });
    expect(read([bad])).toEqual({ kind: 'rejected', carrierCode: '400' });
    expect(read([{ ...ok, label: { url: 'https://example.invalid/label' } }])).toEqual({
      kind: 'unreadable',
    });
    expect(dhlParcelDeShipping.readSuccess(200, 'not json')).toEqual({ kind: 'unreadable' });
  });
});

describe('DHL Parcel DE shipping settings', () => {
  const parse = (settings: unknown) => dhlParcelDeShippingSettingsSchema.safeParse(settings);
  const messages = (settings: unknown) => {
    const result = parse(settings);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };
  const numbers = { V01PAK: '33333333330102', V53WPAK: '33333333335301' };

  it('takes one billing number per product; profile defaults, printFormat from the spec enum', () => {
    expect(parse({ billingNumbers: numbers }).data).toEqual({
      billingNumbers: numbers,
      profile: 'STANDARD_GRUPPENPROFIL',
    });
    expect(
      parse({ billingNumbers: numbers, profile: 'MY_PROFILE', printFormat: '910-300-700' }).success,
    ).toBe(true);
  });

  it('refuses bad settings with a message naming the field', () => {
    expect(messages({})).toEqual(['billingNumbers: Invalid input: expected object, received undefined']);
    expect(messages({ billingNumbers: { V01PAK: numbers.V01PAK } })).toEqual([
      'billingNumbers.V53WPAK: Invalid input: expected string, received undefined',
    ]);
    expect(messages({ billingNumbers: { ...numbers, V53WPAK: '33333333330101' } })).toEqual([
      'billingNumbers.V53WPAK: V53WPAK: digits 11-12 must be 53',
    ]);
    expect(messages({ billingNumbers: { ...numbers, V01PAK: '3333333333' } })).toEqual([
      'billingNumbers.V01PAK: V01PAK: 14 characters, EKP (10) + procedure (2 digits) + participation (2)',
    ]);
    expect(messages({ billingNumbers: numbers, printFormat: 'A5' })[0]).toMatch(
      /^printFormat: Invalid option/,
    );
    expect(messages({ billingNumbers: numbers, ekp: '3333333333' })[0]).toMatch(/^: Unrecognized key: "ekp"/);
  });
});
