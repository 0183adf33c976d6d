/**
 * @module test/carriers/ups/shipping
 * The UPS label adapter: the shipping-adapter conformance suite against the UPS simulator (one
 * label per parcel in the format asked, every shipment fault with its status and UPS code; the
 * simulator gets a real token from its own token endpoint, no mocks), then what only UPS has:
 * service codes by route, the settings schema naming a bad shipper number, US units, the mapping
 * of parties, and the answers read back.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { decorateUpsRequest } from '../../../carriers/ups/api.js';
import { startUpsSimulator, UPS_PATHS } from '../../../carriers/ups/simulator.js';
import {
  UPS_SHIP_PATH,
  upsServiceCode,
  upsShipmentBody,
  upsShipping,
  upsShippingSettingsSchema,
} from '../../../carriers/ups/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import {
  GOETTINGEN as GOETTINGEN_BASE,
  LOS_ANGELES as LOS_ANGELES_BASE,
  NEW_YORK,
  PARIS,
  TORONTO,
  shipmentWith,
} from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { CUSTOMS_EUR, CUSTOMS_USD, without } from '../customs-fixtures.js';
import { describeShippingAdapter } from '../../support/shipping-adapter-suite.js';
import { accessToken, basic, form } from '../../support/sim-http.js';

const CLIENT = { clientId: 'ups-adapter-client', clientSecret: `ups-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const SETTINGS = { shipperNumber: 'A1B2C3' };

const LOS_ANGELES = { ...LOS_ANGELES_BASE, phone: '310-646-5252' };
const GOETTINGEN = { ...GOETTINGEN_BASE, company: 'Mathematisches Institut', phone: '+49 551 397766' };

const shipment = shipmentWith({
  shipper: NEW_YORK,
  recipient: LOS_ANGELES,
  parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }, { weightKg: 1.1 }],
  reference: 'order-1042',
});

type UpsBody = { ShipmentRequest: { Shipment: Record<string, unknown>; LabelSpecification: unknown } };
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as UpsBody;

const routes = [
  { route: 'domestic', recipient: LOS_ANGELES, service: 'standard', code: '03' },
  { route: 'domestic', recipient: LOS_ANGELES, service: 'express', code: '01' },
  { route: 'international', recipient: GOETTINGEN, service: 'standard', code: '08', customs: CUSTOMS_USD },
  { route: 'international', recipient: GOETTINGEN, service: 'express', code: '07', customs: CUSTOMS_USD },
] as const;
const formats = [
  { labelFormat: 'PDF', format: 'GIF', magic: 'GIF8' },
  { labelFormat: 'ZPL', format: 'ZPL', magic: '^XA' },
] as const;

describeShippingAdapter('UPS', {
  adapter: upsShipping,
  settings: SETTINGS,
  shipment,
  async start() {
    const ups = await startUpsSimulator({ clients: [CLIENT] });
    const token = await accessToken(
      `${ups.url}${UPS_PATHS.token}`,
      form(
        { grant_type: 'client_credentials' },
        { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      ),
    );
    return {
      sim: ups,
      base: ups.url,
      // What the core does: the call as built, plus the Bearer token and UPS's per-request headers.
      headers(call) {
        const headers = { ...call.headers, authorization: `Bearer ${token}` };
        decorateUpsRequest({ method: call.method, path: `/${call.path}`, headers });
        return headers;
      },
    };
  },
  path: UPS_SHIP_PATH,
  labels: routes.flatMap(({ route, recipient, service, code, ...customs }) =>
    formats.map(({ labelFormat, format, magic }) => ({
      name: `${route} ${service} (service code ${code}), ${labelFormat}: one ${format} label per parcel`,
      shipment: { recipient, service, labelFormat, ...customs },
      call(call: ShippingCall) {
        expect(call.headers).toEqual({ 'content-type': 'application/json' });
        const body = bodyOf(call);
        expect(body.ShipmentRequest.Shipment['Service']).toEqual({ Code: code });
        expect(body.ShipmentRequest.LabelSpecification).toMatchObject({ LabelImageFormat: { Code: format } });
      },
      status: 200,
      trackingNumbers(numbers: string[]) {
        expect(numbers).toHaveLength(2);
        expect(new Set(numbers).size).toBe(2);
        for (const number of numbers) expect(number).toMatch(/^1ZA1B2C3[0-9A-Z]{10}$/);
      },
      labels: { count: 2, format, magic },
      labelsCreated: 1,
    })),
  ),
  successStatus: 200,
  faults: {
    validation_error: { status: 400, code: '120100' },
    forbidden: { status: 403, code: 'SIM403' },
    server_error_after_create: { status: 500, code: '20001' },
  },
  invalidBodies: [
    {
      what: 'no ShipperNumber',
      change: (body: UpsBody) =>
        delete (body.ShipmentRequest.Shipment['Shipper'] as Record<string, unknown>)['ShipperNumber'],
      status: 400,
      code: '120100',
    },
    {
      what: 'no ShipTo',
      change: (body: UpsBody) => delete body.ShipmentRequest.Shipment['ShipTo'],
      status: 400,
      code: '20007',
      answerEquals: {
        response: {
          errors: [{ code: '20007', message: 'Missing Required field, ShipmentRequest/Shipment/ShipTo.' }],
        },
      },
    },
  ],
  unauthenticated: {
    what: 'a request without a valid token',
    headers: (call) => call.headers,
    status: 401,
    code: '250002',
  },
  services: {
    standard: { domestic: '03', international: '11' },
    express: { domestic: '01', international: '07' },
  },
});

describe('UPS label adapter, pure parts', () => {
  it('service codes: 03 Ground / 11 Standard, 01 Next Day Air / 07 Express; domestic codes only inside the US and PR', () => {
    expect(upsServiceCode(shipment())).toBe('03');
    expect(upsServiceCode(shipment({ service: 'express' }))).toBe('01');
    // UPS Standard from the US serves Canada and Mexico; elsewhere the deferred product is 08.
    expect(upsServiceCode(shipment({ recipient: GOETTINGEN }))).toBe('08');
    expect(upsServiceCode(shipment({ recipient: TORONTO }))).toBe('11');
    const berlin = { ...GOETTINGEN, city: 'Berlin', postalCode: '10117' };
    expect(upsServiceCode(shipment({ shipper: GOETTINGEN, recipient: berlin }))).toBe('11');
    expect(upsServiceCode(shipment({ shipper: GOETTINGEN, recipient: berlin, service: 'express' }))).toBe(
      '07',
    );
  });

  it('cross-border: Description, and a commercial invoice from the customs declaration', () => {
    const body = upsShipmentBody(
      shipment({ recipient: GOETTINGEN, customs: CUSTOMS_USD }),
      SETTINGS,
      'shp_ctx',
      new Date('2026-12-07T10:00:00Z'),
    ) as UpsBody;
    const sent = body.ShipmentRequest.Shipment;
    expect(sent['Description']).toBe('Cotton T-shirts, Ceramic mug');
    expect(sent['InvoiceLineTotal']).toBeUndefined();
    expect(sent['ShipmentServiceOptions']).toEqual({
      InternationalForms: {
        FormType: ['01'],
        InvoiceNumber: 'INV-2026-0042',
        InvoiceDate: '20261207',
        ReasonForExport: 'SALE',
        CurrencyCode: 'USD',
        TermsOfShipment: 'DAP',
        Product: [
          {
            Description: ['Cotton T-shirts'],
            Unit: { Number: '3', UnitOfMeasurement: { Code: 'PCS' }, Value: '12.50' },
            CommodityCode: '610910',
            PartNumber: '1',
            OriginCountryCode: 'US',
          },
          {
            Description: ['Ceramic mug'],
            Unit: { Number: '1', UnitOfMeasurement: { Code: 'PCS' }, Value: '8.00' },
            PartNumber: '2',
            OriginCountryCode: 'CN',
          },
        ],
      },
    });
    // US to Canada (and Puerto Rico): InvoiceLineTotal, whole units, never less than declared.
    const canada = upsShipmentBody(
      shipment({ recipient: TORONTO, customs: CUSTOMS_USD }),
      SETTINGS,
      'shp_ctx',
    ) as UpsBody;
    expect(canada.ShipmentRequest.Shipment['InvoiceLineTotal']).toEqual({
      CurrencyCode: 'USD',
      MonetaryValue: '46',
    });
    // Inside the EU: a description, no invoice.
    const intraEu = upsShipmentBody(
      shipment({ shipper: GOETTINGEN, recipient: PARIS, service: 'express', customs: CUSTOMS_EUR }),
      SETTINGS,
      'shp_ctx',
    ) as UpsBody;
    expect(intraEu.ShipmentRequest.Shipment['Description']).toBe('Steel screws 9 mm');
    expect(intraEu.ShipmentRequest.Shipment['ShipmentServiceOptions']).toBeUndefined();
  });

  it('check: cross-border phones, US/CA states and the description of goods are required before any call', () => {
    const bare = upsShipping.check!(
      shipment({ shipper: without(NEW_YORK, 'phone'), recipient: GOETTINGEN_BASE }),
    );
    expect(bare).toEqual({
      kind: 'rules_unmet',
      violations: [
        {
          field: 'shipper.phone',
          rule: expect.any(String),
          source: expect.stringContaining('Shipper_Phone'),
        },
        {
          field: 'recipient.phone',
          rule: expect.any(String),
          source: expect.stringContaining('ShipTo_Phone'),
        },
        {
          field: 'customs',
          rule: expect.any(String),
          source: expect.stringContaining('ShipmentRequest_Shipment/properties/Description'),
        },
      ],
    });
    expect(upsShipping.check!(shipment({ recipient: GOETTINGEN, customs: CUSTOMS_USD }))).toBeUndefined();
    // Domestic US: no customs, no recipient phone needed, but the state is.
    expect(upsShipping.check!(shipment({ recipient: without(LOS_ANGELES, 'phone') }))).toBeUndefined();
    expect(upsShipping.check!(shipment({ recipient: without(LOS_ANGELES, 'stateCode') }))).toEqual({
      kind: 'rules_unmet',
      violations: [
        {
          field: 'recipient.stateCode',
          rule: expect.stringContaining('state or province'),
          source: expect.stringContaining('ShipTo_Address/properties/StateProvinceCode'),
        },
      ],
    });
    expect(
      upsShipping.check!(shipment({ recipient: without(TORONTO, 'stateCode'), customs: CUSTOMS_USD })),
    ).toMatchObject({ violations: [{ field: 'recipient.phone' }, { field: 'recipient.stateCode' }] });
    // EU to EU: Standard needs no description, Express does.
    const intraEu = { shipper: GOETTINGEN, recipient: PARIS };
    expect(upsShipping.check!(shipment(intraEu))).toBeUndefined();
    expect(upsShipping.check!(shipment({ ...intraEu, service: 'express' }))).toMatchObject({
      violations: [{ field: 'customs' }],
    });
  });

  it('settings: a 6-character shipper number is required, and a bad one is named', () => {
    expect(upsShippingSettingsSchema.parse({ shipperNumber: 'A1B2C3' })).toEqual({ shipperNumber: 'A1B2C3' });
    const missing = upsShippingSettingsSchema.safeParse({});
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.path).toEqual(['shipperNumber']);
    for (const bad of ['A1B2C', 'A1B2C3D', 'a1b2c3', 'A1 B2C']) {
      const parsed = upsShippingSettingsSchema.safeParse({ shipperNumber: bad });
      expect(parsed.error?.issues[0]?.message).toBe(
        'the 6-character UPS account (shipper) number in capitals, e.g. "A1B2C3"',
      );
    }
    expect(upsShippingSettingsSchema.safeParse({ shipperNumber: 'A1B2C3', extra: 1 }).success).toBe(false);
  });

  it('US shippers send pounds and inches (rounded up); others kilograms and centimetres', () => {
    const us = upsShipmentBody(shipment(), SETTINGS, 'shp_1') as UpsBody;
    expect(us.ShipmentRequest.Shipment['Package']).toEqual([
      {
        Packaging: { Code: '02' },
        Dimensions: { UnitOfMeasurement: { Code: 'IN' }, Length: '12', Width: '8', Height: '4' },
        PackageWeight: { UnitOfMeasurement: { Code: 'LBS' }, Weight: '5.6' },
        ReferenceNumber: [{ Value: 'order-1042' }],
      },
      {
        Packaging: { Code: '02' },
        PackageWeight: { UnitOfMeasurement: { Code: 'LBS' }, Weight: '2.5' },
        ReferenceNumber: [{ Value: 'order-1042' }],
      },
    ]);
    const de = upsShipmentBody(
      shipment({ shipper: GOETTINGEN, recipient: NEW_YORK }),
      SETTINGS,
      'shp_2',
    ) as UpsBody;
    expect(de.ShipmentRequest.Shipment['Package']).toEqual([
      {
        Packaging: { Code: '02' },
        Dimensions: { UnitOfMeasurement: { Code: 'CM' }, Length: '30', Width: '20', Height: '10' },
        PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: '2.5' },
      },
      { Packaging: { Code: '02' }, PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: '1.1' } },
    ]);
    // Outside US/US and PR/PR the reference belongs to the shipment, not the package.
    expect(de.ShipmentRequest.Shipment['ReferenceNumber']).toEqual([{ Value: 'order-1042' }]);
  });

  it('maps parties, payment, the customer context and the GIF user agent', () => {
    const body = upsShipmentBody(shipment({ recipient: GOETTINGEN }), SETTINGS, 'shp_ctx') as {
      ShipmentRequest: Record<string, Record<string, unknown>>;
    };
    expect(body.ShipmentRequest['Request']).toEqual({
      RequestOption: 'validate',
      TransactionReference: { CustomerContext: 'shp_ctx' },
    });
    expect(body.ShipmentRequest['Shipment']).toMatchObject({
      Shipper: {
        Name: 'Analytical Engines Inc',
        AttentionName: 'Ada Lovelace',
        ShipperNumber: 'A1B2C3',
        Phone: { Number: '+12127363100' },
        EMailAddress: 'ada@example.com',
        Address: {
          AddressLine: ['350 5th Ave', 'Floor 34'],
          City: 'New York',
          StateProvinceCode: 'NY',
          PostalCode: '10118',
          CountryCode: 'US',
        },
      },
      ShipTo: { Name: 'Mathematisches Institut', AttentionName: 'Emmy Noether' },
      PaymentInformation: { ShipmentCharge: [{ Type: '01', BillShipper: { AccountNumber: 'A1B2C3' } }] },
    });
    expect(body.ShipmentRequest['LabelSpecification']).toEqual({
      LabelImageFormat: { Code: 'GIF' },
      LabelStockSize: { Height: '6', Width: '4' },
      HTTPUserAgent: 'Mozilla/4.5',
    });
    const longName = 'N'.repeat(60);
    const long = upsShipmentBody(
      shipment({ recipient: { ...LOS_ANGELES, name: longName } }),
      SETTINGS,
      'shp_long',
    ) as UpsBody;
    expect(long.ShipmentRequest.Shipment['ShipTo']).toMatchObject({ Name: 'N'.repeat(35) });
  });

  it('readSuccess: PackageResults as one object (before v2403) or an array; anything else is unreadable', () => {
    const label = { ImageFormat: { Code: 'GIF' }, GraphicImage: 'R0lGODlhAQABAAAAACw=' };
    const single = JSON.stringify({
      ShipmentResponse: {
        Response: { ResponseStatus: { Code: '1' } },
        ShipmentResults: {
          BillingWeight: {},
          PackageResults: { TrackingNumber: '1ZA1B2C30312345678', ShippingLabel: label },
        },
      },
    });
    expect(upsShipping.readSuccess(200, single)).toEqual({
      kind: 'created',
      trackingNumbers: ['1ZA1B2C30312345678'],
      labels: [{ format: 'GIF', data: 'R0lGODlhAQABAAAAACw=' }],
    });
    expect(upsShipping.readSuccess(200, '<html>')).toEqual({ kind: 'unreadable' });
    expect(upsShipping.readSuccess(200, JSON.stringify({ ShipmentResponse: {} }))).toEqual({
      kind: 'unreadable',
    });
    const notBase64 = single.replace('R0lGODlhAQABAAAAACw=', 'not base64!');
    expect(upsShipping.readSuccess(200, notBase64)).toEqual({ kind: 'unreadable' });
  });

  it('errorCode: the first code of a UPS error body, never its message; nothing for other bodies', () => {
    const body = JSON.stringify({
      response: { errors: [{ code: '120100', message: 'Missing or invalid shipper number' }] },
    });
    expect(upsShipping.errorCode(400, body)).toBe('120100');
    expect(upsShipping.errorCode(400, JSON.stringify({ errors: [{ code: 'X' }] }))).toBeUndefined();
    expect(upsShipping.errorCode(502, 'Bad Gateway')).toBeUndefined();
  });
});
