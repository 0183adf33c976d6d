/**
 * @module test/carriers/dhl-express/shipping
 * The DHL Express (MyDHL API) label adapter: the shipping-adapter conformance suite against the
 * MyDHL simulator (the test base with HTTP Basic, one waybill, piece IDs and a label in the format
 * asked, every shipment fault with its status and DHL code, dutiable or incomplete shipments
 * refused before anything is sent; no mocks), then what only MyDHL has: the contact mapping, the
 * planned shipping date, the answers read back and the settings schema naming a bad account number.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { decorateDhlExpressRequest } from '../../../carriers/dhl-express/api.js';
import {
  dhlExpressShipmentRequest,
  dhlExpressShipping,
  dhlExpressShippingSettingsSchema,
  dhlExpressUnsupported,
  plannedShippingDateAndTime,
} from '../../../carriers/dhl-express/shipping.js';
import {
  DHL_EXPRESS_BASE_PATHS,
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../../carriers/dhl-express/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { BERLIN_MITTE, BRNO, PRAGUE, shipmentWith } from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { CUSTOMS_EUR } from '../customs-fixtures.js';
import { describeShippingAdapter, type BuiltIds, type Reply } from '../../support/shipping-adapter-suite.js';

const CLIENT = { clientId: 'mydhl-adapter-key', clientSecret: `mydhl-adapter-secret-${randomUUID()}` };
const BASIC = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
registerSecrets(CLIENT.clientSecret, BASIC.slice('Basic '.length));
const SETTINGS = dhlExpressShippingSettingsSchema.parse({ shipperAccountNumber: '123456789' });

const shipment = shipmentWith({
  shipper: PRAGUE,
  recipient: BRNO,
  parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 9.5 }, { weightKg: 1.1 }],
  reference: 'order-1042-cz',
});

const build = (request: ShipmentRequest, shipmentId = `shp_${randomUUID().slice(0, 20)}`): ShippingCall =>
  dhlExpressShipping.build({
    shipment: request,
    settings: SETTINGS,
    carrierIdempotencyKey: randomUUID(),
    shipmentId,
  });
type DhlBody = Record<string, unknown> & {
  customerDetails: { receiverDetails: { contactInformation: Record<string, unknown> } };
};
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as DhlBody;
const US_DOMESTIC = { ...BERLIN_MITTE, countryCode: 'US', postalCode: '10118' };

const routes = [
  { route: 'domestic', recipient: BRNO, service: 'standard', product: 'N' },
  { route: 'domestic', recipient: BRNO, service: 'express', product: '1' },
  { route: 'international', recipient: BERLIN_MITTE, service: 'standard', product: 'U' },
  { route: 'international', recipient: BERLIN_MITTE, service: 'express', product: 'T' },
] as const;
const formats = [
  { labelFormat: 'PDF', encodingFormat: 'pdf', format: 'PDF', magic: '%PDF-' },
  { labelFormat: 'ZPL', encodingFormat: 'zpl', format: 'ZPL', magic: '^XA' },
] as const;

let dhl: DhlExpressSimulatorHandle;

describeShippingAdapter('DHL Express', {
  adapter: dhlExpressShipping,
  settings: SETTINGS,
  shipment,
  shipmentId: () => `shp_${randomUUID().slice(0, 20)}`,
  async start() {
    dhl = await startDhlExpressSimulator({ clients: [CLIENT] });
    return {
      sim: dhl,
      // What the core does: the call under the account's test base, plus Basic credentials and the carrier hook.
      base: `${dhl.url}${DHL_EXPRESS_BASE_PATHS.test}`,
      headers(call) {
        const headers = { ...call.headers, authorization: BASIC };
        decorateDhlExpressRequest({ method: call.method, path: `/${call.path}`, headers });
        return headers;
      },
    };
  },
  path: 'shipments',
  labels: routes.flatMap(({ route, recipient, service, product }) =>
    formats.map(({ labelFormat, encodingFormat, format, magic }) => ({
      name: `${route} ${service} (product ${product}), ${labelFormat}: one waybill, a piece ID per parcel and a ${format} label`,
      shipment: { recipient, service, labelFormat },
      call(call: ShippingCall, { shipmentId }: BuiltIds) {
        expect(call.headers).toMatchObject({
          'content-type': 'application/json',
          'x-version': '3.1.0',
          'message-reference': shipmentId,
        });
        const body = bodyOf(call);
        expect(body).toMatchObject({
          pickup: { isRequested: false },
          productCode: product,
          accounts: [{ typeCode: 'shipper', number: '123456789' }],
          outputImageProperties: { encodingFormat, imageOptions: [{ typeCode: 'label' }] },
          customerReferences: [{ value: 'order-1042-cz', typeCode: 'CU' }],
          content: {
            packages: [{ weight: 2.5, dimensions: { length: 30, width: 20, height: 9.5 } }, { weight: 1.1 }],
            isCustomsDeclarable: false,
            description: 'Goods',
            incoterm: 'DAP',
            unitOfMeasurement: 'metric',
          },
        });
        expect(body['plannedShippingDateAndTime']).toMatch(
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} GMT\+00:00$/,
        );
      },
      status: 201,
      answered(_reply: Reply, { shipmentId }: BuiltIds) {
        expect(dhl.requests().at(-1)).toMatchObject({
          environment: 'test',
          messageReference: shipmentId,
          status: 201,
        });
      },
      trackingNumbers([waybill, ...pieces]: string[]) {
        expect(waybill).toMatch(/^\d{10}$/);
        expect(pieces).toHaveLength(2);
        for (const piece of pieces) expect(piece).toMatch(/^JD\d{18}$/);
      },
      labels: { count: 1, format, magic },
      labelsCreated: 1,
    })),
  ),
  // One label per waybill, whatever the parcels.
  successStatus: 201,
  faults: {
    validation_error: { status: 400, code: '998' },
    // In the MyDHL error shape, its status as the code.
    forbidden: { status: 403, code: '403' },
    server_error_after_create: { status: 500, code: '999' },
  },
  invalidBodies: [
    {
      what: 'no recipient phone',
      change: (body: DhlBody) => delete body.customerDetails.receiverDetails.contactInformation['phone'],
      status: 422,
      code: '422',
      answer: {
        title: 'Validation error',
        detail: '#/customerDetails/receiverDetails/contactInformation: required key [phone] not found',
      },
    },
    { what: 'no productCode', change: (body: DhlBody) => delete body['productCode'], status: 422 },
    {
      what: 'a png label',
      change: (body: DhlBody) => (body['outputImageProperties'] = { encodingFormat: 'png' }),
      status: 422,
    },
  ],
  services: {
    standard: { domestic: 'N', international: 'U' },
    express: { domestic: '1', international: 'T' },
  },
  refusals: {
    reasonOf: dhlExpressUnsupported,
    buildError: 'reason',
    cases: [
      {
        shipment: { recipient: { ...BERLIN_MITTE, countryCode: 'US' }, service: 'express' },
        reason: 'no MyDHL time-definite product for dutiable goods',
      },
      {
        shipment: { recipient: { ...BRNO, street: ['Kounicova 10', 'x'.repeat(46)] } },
        reason: 'recipient.street[1] is longer than 45',
      },
      {
        shipment: { recipient: { ...BRNO, postalCode: '1234567890123' } },
        reason: 'recipient.postalCode is longer than 12',
      },
    ],
    // Domestic shipments outside the EU are not dutiable; dutiable standard is P.
    supported: [
      { shipper: US_DOMESTIC, recipient: US_DOMESTIC },
      { recipient: { ...BERLIN_MITTE, countryCode: 'US' }, customs: CUSTOMS_EUR },
    ],
  },
});

describe('DHL Express label adapter: customs and rules', () => {
  const toUs = { ...BERLIN_MITTE, countryCode: 'US', stateCode: 'NY', postalCode: '10118', city: 'New York' };

  it('dutiable goods: isCustomsDeclarable, declared value and an export declaration line per item, product P', () => {
    const body = dhlExpressShipmentRequest(
      shipment({ recipient: toUs, customs: { ...CUSTOMS_EUR, invoiceNumber: 'RE-7' } }),
      SETTINGS,
      'shp_1',
      Date.parse('2026-12-07T10:00:00Z'),
    );
    expect(body.productCode).toBe('P');
    expect(body.content).toMatchObject({
      isCustomsDeclarable: true,
      declaredValue: 25,
      declaredValueCurrency: 'EUR',
      description: 'Steel screws 9 mm',
      incoterm: 'DAP',
      exportDeclaration: {
        lineItems: [
          {
            number: 1,
            description: 'Steel screws 9 mm',
            price: 0.25,
            quantity: { value: 100, unitOfMeasurement: 'PCS' },
            commodityCodes: [{ typeCode: 'outbound', value: '731815' }],
            exportReasonType: 'commercial_purpose_or_sale',
            manufacturerCountry: 'DE',
            weight: { netValue: 0.5 },
          },
        ],
        invoice: { number: 'RE-7', date: '2026-12-07' },
        shipmentType: 'commercial',
      },
    });
  });

  it('check: a dutiable shipment without customs, or a party without a phone, names the field and the rule', () => {
    expect(dhlExpressShipping.check!(shipment({ recipient: toUs }))).toEqual({
      kind: 'rules_unmet',
      violations: [
        {
          field: 'customs',
          rule: 'MyDHL requires an export declaration for dutiable shipments',
          source: expect.stringContaining('isCustomsDeclarable'),
        },
      ],
    });
    expect(dhlExpressShipping.check!(shipment({ recipient: { ...BRNO, phone: undefined } }))).toMatchObject({
      kind: 'rules_unmet',
      violations: [
        { field: 'recipient.phone', source: expect.stringContaining('supermodelIoLogisticsExpressContact') },
      ],
    });
    // Between EU states nothing is dutiable: no declaration needed.
    expect(dhlExpressShipping.check!(shipment())).toBeUndefined();
  });
});

describe('DHL Express label adapter: mapping', () => {
  it('contact: the person stands in for a missing company; address lines and province as given', () => {
    const body = bodyOf(build(shipment({ recipient: { ...BRNO, stateCode: 'JM' } }))) as {
      customerDetails: { receiverDetails: unknown; shipperDetails: unknown };
    };
    expect(body.customerDetails.receiverDetails).toEqual({
      postalAddress: {
        postalCode: '60200',
        cityName: 'Brno',
        countryCode: 'CZ',
        provinceCode: 'JM',
        addressLine1: 'Kounicova 10',
        addressLine2: 'Building C',
        addressLine3: '3rd floor',
      },
      contactInformation: { phone: '+420987654321', companyName: 'Eva Svobodova', fullName: 'Eva Svobodova' },
    });
    expect(body.customerDetails.shipperDetails).toMatchObject({
      contactInformation: {
        email: 'jan@example.com',
        companyName: 'Example Shop s.r.o.',
        fullName: 'Jan Novak',
      },
    });
  });

  it('customer reference: the reference, else the shipment id; plannedShippingDateAndTime an hour ahead in UTC', () => {
    expect(bodyOf(build(shipment({ reference: undefined }), 'shp_abc'))['customerReferences']).toEqual([
      { value: 'shp_abc', typeCode: 'CU' },
    ]);
    expect(plannedShippingDateAndTime(Date.UTC(2026, 0, 18, 16, 0, 0))).toBe('2026-01-18T17:00:00 GMT+00:00');
    expect(plannedShippingDateAndTime(Date.UTC(2026, 0, 18, 23, 30, 0))).toBe(
      '2026-01-19T00:30:00 GMT+00:00',
    );
  });

  it('readSuccess needs a waybill and a label document; errorCode prefers the code in detail', () => {
    const created = { shipmentTrackingNumber: '1103733901', packages: [], documents: [] };
    expect(dhlExpressShipping.readSuccess(201, JSON.stringify(created))).toEqual({ kind: 'unreadable' });
    const waybillOnly = {
      ...created,
      documents: [{ imageFormat: 'PDF', content: 'JVBERi0=', typeCode: 'waybillDoc' }],
    };
    expect(dhlExpressShipping.readSuccess(201, JSON.stringify(waybillOnly))).toEqual({ kind: 'unreadable' });
    expect(dhlExpressShipping.readSuccess(201, '{')).toEqual({ kind: 'unreadable' });
    const error = {
      instance: '/expressapi/shipments',
      title: 'Bad request',
      message: 'Bad request',
      status: '400',
    };
    const detail = '7008: The requested Special Service Code is not available';
    expect(dhlExpressShipping.errorCode(400, JSON.stringify({ ...error, detail }))).toBe('7008');
    expect(dhlExpressShipping.errorCode(400, JSON.stringify({ ...error, detail: 'no code here' }))).toBe(
      '400',
    );
    expect(dhlExpressShipping.errorCode(502, '<html>')).toBeUndefined();
  });
});

describe('DHL Express shipping settings', () => {
  const messages = (settings: unknown) => {
    const result = dhlExpressShippingSettingsSchema.safeParse(settings);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes the shipper account number; the content description defaults', () => {
    expect(dhlExpressShippingSettingsSchema.parse({ shipperAccountNumber: '950000002' })).toEqual({
      shipperAccountNumber: '950000002',
      contentDescription: 'Goods',
    });
  });

  it('refuses bad settings with a message naming the field', () => {
    expect(messages({})).toEqual([
      'shipperAccountNumber: Invalid input: expected string, received undefined',
    ]);
    const accountMessage =
      'shipperAccountNumber: the DHL Express shipper account number: 1 to 12 letters or digits';
    expect(messages({ shipperAccountNumber: '1234567890123' })).toEqual([accountMessage]);
    expect(messages({ shipperAccountNumber: '12345 6789' })).toEqual([accountMessage]);
    expect(messages({ shipperAccountNumber: '123456789', contentDescription: 'x'.repeat(71) })[0]).toMatch(
      /^contentDescription: Too big/,
    );
    expect(messages({ shipperAccountNumber: '123456789', accounts: [] })[0]).toMatch(
      /Unrecognized key: "accounts"/,
    );
  });
});
