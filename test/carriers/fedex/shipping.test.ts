/**
 * @module test/carriers/fedex/shipping
 * The FedEx label adapter: the shipping-adapter conformance suite against the FedEx simulator (one
 * label per parcel in the format asked, the shipment id echoed, every shipment fault with its
 * status and FedEx code; a real token from the simulator, no mocks), then what only FedEx has: the
 * settings schema naming a bad account number, weights and references, and the answers read back.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  FEDEX_SHIP_PATH,
  fedexShipmentBody,
  fedexShipping,
  fedexShippingSettingsSchema,
} from '../../../carriers/fedex/shipping.js';
import { FEDEX_PATHS, startFedexSimulator } from '../../../carriers/fedex/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import {
  BERLIN_DAHLEM,
  GOETTINGEN,
  MEMPHIS,
  PITTSBURGH,
  RICHMOND_BC as RICHMOND_BC_BASE,
  shipmentWith,
} from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { describeShippingAdapter, type BuiltIds, type Reply } from '../../support/shipping-adapter-suite.js';
import { accessToken, clientFields, form } from '../../support/sim-http.js';

const CLIENT = { clientId: 'fedex-adapter-key', clientSecret: `fedex-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const SETTINGS = fedexShippingSettingsSchema.parse({ accountNumber: '740561073' });

const RICHMOND_BC = { ...RICHMOND_BC_BASE, company: 'Institute' };

const shipment = shipmentWith({
  shipper: MEMPHIS,
  recipient: PITTSBURGH,
  parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10.2 }, { weightKg: 1.1 }],
  reference: 'order-1042',
});

type FedexBody = { requestedShipment: Record<string, unknown> } & Record<string, unknown>;
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as FedexBody;

const routes = [
  { route: 'domestic', recipient: PITTSBURGH, service: 'standard', code: 'FEDEX_GROUND' },
  { route: 'domestic', recipient: PITTSBURGH, service: 'express', code: 'PRIORITY_OVERNIGHT' },
  {
    route: 'international',
    recipient: RICHMOND_BC,
    service: 'standard',
    code: 'INTERNATIONAL_ECONOMY',
    customs: CUSTOMS_USD,
  },
  {
    route: 'international',
    recipient: RICHMOND_BC,
    service: 'express',
    code: 'INTERNATIONAL_PRIORITY',
    customs: CUSTOMS_USD,
  },
] as const;
const formats = [
  { labelFormat: 'PDF', format: 'PDF', magic: '%PDF-' },
  { labelFormat: 'ZPL', format: 'ZPLII', magic: '^XA' },
] as const;

describeShippingAdapter('FedEx', {
  adapter: fedexShipping,
  settings: SETTINGS,
  shipment,
  async start() {
    const fedex = await startFedexSimulator({ clients: [CLIENT] });
    const token = await accessToken(`${fedex.url}${FEDEX_PATHS.token}`, form(clientFields(CLIENT)));
    // What the core does: the call as built, plus the Bearer token.
    return {
      sim: fedex,
      base: fedex.url,
      headers: (call) => ({ ...call.headers, authorization: `Bearer ${token}` }),
    };
  },
  path: FEDEX_SHIP_PATH,
  labels: routes.flatMap(({ route, recipient, service, code, ...customs }) =>
    formats.map(({ labelFormat, format, magic }) => ({
      name: `${route} ${service} (${code}), ${labelFormat}: one ${format} label per parcel`,
      shipment: { recipient, service, labelFormat, ...customs },
      call(call: ShippingCall, { shipmentId }: BuiltIds) {
        expect(call.headers).toEqual({
          'content-type': 'application/json',
          'x-customer-transaction-id': shipmentId,
        });
        const body = bodyOf(call);
        expect(body.requestedShipment['serviceType']).toBe(code);
        expect(body.requestedShipment['labelSpecification']).toMatchObject({ imageType: format });
      },
      status: 200,
      answered(reply: Reply, { shipmentId }: BuiltIds) {
        expect(JSON.parse(reply.body)).toMatchObject({ customerTransactionId: shipmentId });
      },
      trackingNumbers(numbers: string[]) {
        expect(numbers).toHaveLength(2);
        expect(new Set(numbers).size).toBe(2);
        for (const number of numbers) expect(number).toMatch(/^\d{12}$/);
      },
      labels: { count: 2, format, magic },
      labelsCreated: 1,
    })),
  ),
  successStatus: 200,
  faults: {
    validation_error: { status: 400, code: 'ACCOUNTNUMBER.REGISTRATION.REQUIRED' },
    forbidden: { status: 403, code: 'FORBIDDEN.ERROR' },
    server_error_after_create: { status: 500, code: 'INTERNAL.SERVER.ERROR' },
  },
  invalidBodies: [
    {
      what: 'no recipient phone number',
      change: (body: FedexBody) => {
        const recipients = body.requestedShipment['recipients'] as { contact: Record<string, unknown> }[];
        delete recipients[0]!.contact['phoneNumber'];
      },
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
      answer: {
        errors: [{ message: expect.stringContaining('requestedShipment.recipients[0].contact.phoneNumber') }],
      },
    },
    {
      what: 'no account number',
      change: (body: FedexBody) => delete body['accountNumber'],
      status: 400,
      code: 'ACCOUNTNUMBER.REGISTRATION.REQUIRED',
    },
    {
      what: 'another payor',
      change: (body: FedexBody) => {
        body.requestedShipment['shippingChargesPayment'] = {
          paymentType: 'SENDER',
          payor: { responsibleParty: { accountNumber: { value: '123456789' } } },
        };
      },
      status: 400,
      code: 'ACCOUNT.NUMBER.MISMATCH',
    },
  ],
  unauthenticated: {
    what: 'a request without a token',
    headers: (call) => call.headers,
    status: 401,
    code: 'NOT.AUTHORIZED.ERROR',
  },
  services: {
    standard: { domestic: 'FEDEX_GROUND', international: 'INTERNATIONAL_ECONOMY' },
    express: { domestic: 'PRIORITY_OVERNIGHT', international: 'INTERNATIONAL_PRIORITY' },
  },
});

describe('FedEx label adapter, pure parts', () => {
  it('settings: a 9-digit account number is required and named; pickupType defaults to drop-off', () => {
    expect(SETTINGS).toEqual({ accountNumber: '740561073', pickupType: 'DROPOFF_AT_FEDEX_LOCATION' });
    const missing = fedexShippingSettingsSchema.safeParse({});
    expect(missing.error?.issues[0]?.path).toEqual(['accountNumber']);
    for (const bad of ['74056107', '7405610730', 'A40561073', 740561073]) {
      const parsed = fedexShippingSettingsSchema.safeParse({ accountNumber: bad });
      expect(parsed.success).toBe(false);
    }
    expect(
      fedexShippingSettingsSchema.safeParse({ accountNumber: '7405610' }).error?.issues[0]?.message,
    ).toBe('the 9-digit FedEx account number, e.g. "740561073"');
    expect(
      fedexShippingSettingsSchema.safeParse({ accountNumber: '740561073', pickupType: 'LATER' }).success,
    ).toBe(false);
    expect(fedexShippingSettingsSchema.safeParse({ accountNumber: '740561073', meter: '1' }).success).toBe(
      false,
    );
  });

  it('maps parties, weights (KG per piece, LB total), dimensions, references and payment', () => {
    const body = fedexShipmentBody(shipment({ labelFormat: 'ZPL' }), SETTINGS) as FedexBody;
    expect(body['labelResponseOptions']).toBe('LABEL');
    expect(body['accountNumber']).toEqual({ value: '740561073' });
    expect(body.requestedShipment).toMatchObject({
      shipper: {
        address: {
          streetLines: ['3875 Airways Blvd', 'Module H'],
          city: 'Memphis',
          stateOrProvinceCode: 'TN',
          postalCode: '38116',
          countryCode: 'US',
        },
        contact: {
          personName: 'Ada Lovelace',
          companyName: 'Analytical Engines Inc',
          phoneNumber: '+19013693600',
          emailAddress: 'ada@example.com',
        },
      },
      recipients: [{ contact: { personName: 'Grace Hopper', phoneNumber: '4125550100' } }],
      pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
      packagingType: 'YOUR_PACKAGING',
      // 3.6 kg = 7.94 lb, rounded up to the tenth.
      totalWeight: 8,
      totalPackageCount: 2,
      shippingChargesPayment: {
        paymentType: 'SENDER',
        payor: { responsibleParty: { accountNumber: { value: '740561073' } } },
      },
      labelSpecification: { imageType: 'ZPLII', labelStockType: 'STOCK_4X6' },
    });
    const reference = [{ customerReferenceType: 'CUSTOMER_REFERENCE', value: 'order-1042' }];
    expect(body.requestedShipment['requestedPackageLineItems']).toEqual([
      {
        groupPackageCount: 1,
        weight: { units: 'KG', value: 2.5 },
        dimensions: { length: 30, width: 20, height: 11, units: 'CM' },
        customerReferences: reference,
      },
      { groupPackageCount: 1, weight: { units: 'KG', value: 1.1 }, customerReferences: reference },
    ]);
    const pdf = fedexShipmentBody(shipment(), SETTINGS) as FedexBody;
    expect(pdf.requestedShipment['labelSpecification']).toEqual({
      imageType: 'PDF',
      labelStockType: 'PAPER_4X6',
    });
  });

  it('international: customsClearanceDetail with one commodity per item, duties by incoterm', () => {
    const body = fedexShipmentBody(
      shipment({ recipient: RICHMOND_BC, customs: CUSTOMS_USD }),
      SETTINGS,
    ) as FedexBody;
    expect(body.requestedShipment['customsClearanceDetail']).toEqual({
      dutiesPayment: { paymentType: 'RECIPIENT' },
      isDocumentOnly: false,
      commercialInvoice: {
        shipmentPurpose: 'SOLD',
        termsOfSale: 'DAP',
        customerReferences: [{ customerReferenceType: 'INVOICE_NUMBER', value: 'INV-2026-0042' }],
      },
      totalCustomsValue: { amount: 45.5, currency: 'USD' },
      commodities: [
        {
          description: 'Cotton T-shirts',
          countryOfManufacture: 'US',
          quantity: 3,
          quantityUnits: 'PCS',
          unitPrice: { amount: 12.5, currency: 'USD' },
          customsValue: { amount: 37.5, currency: 'USD' },
          weight: { units: 'KG', value: 0.6 },
          harmonizedCode: '610910',
        },
        {
          description: 'Ceramic mug',
          countryOfManufacture: 'CN',
          quantity: 1,
          quantityUnits: 'PCS',
          unitPrice: { amount: 8, currency: 'USD' },
          customsValue: { amount: 8, currency: 'USD' },
          weight: { units: 'KG', value: 0.4 },
        },
      ],
    });
    const ddp = fedexShipmentBody(
      shipment({ recipient: RICHMOND_BC, customs: { ...CUSTOMS_USD, incoterm: 'DDP' } }),
      SETTINGS,
    ) as FedexBody;
    expect(ddp.requestedShipment['customsClearanceDetail']).toMatchObject({
      dutiesPayment: { paymentType: 'SENDER' },
    });
  });

  it('check: international without customs, or a party without a phone, is refused naming field, rule and source', () => {
    const crossBorder = fedexShipping.check!(shipment({ recipient: RICHMOND_BC }));
    expect(crossBorder).toEqual({
      kind: 'rules_unmet',
      violations: [
        {
          field: 'customs',
          rule: expect.stringContaining('customs declaration'),
          source: expect.stringContaining('CustomsClearanceDetail'),
        },
      ],
    });
    expect(fedexShipping.check!(shipment({ recipient: RICHMOND_BC, customs: CUSTOMS_USD }))).toBeUndefined();
    const phones = fedexShipping.check!(
      shipment({ shipper: without(MEMPHIS, 'phone'), recipient: without(PITTSBURGH, 'phone') }),
    );
    expect(phones).toEqual({
      kind: 'rules_unmet',
      violations: ['shipper.phone', 'recipient.phone'].map((field) => ({
        field,
        rule: 'FedEx requires a phone number for every party',
        source: expect.stringContaining('PartyContact/required'),
      })),
    });
  });

  it('FEDEX_GROUND and PRIORITY_OVERNIGHT only inside the US and Canada: other domestic lanes are not supported', () => {
    const deToDe = shipment({
      shipper: { ...GOETTINGEN, phone: '+49 551 0' },
      recipient: { ...BERLIN_DAHLEM },
    });
    for (const service of ['standard', 'express'] as const) {
      const unfit = fedexShipping.check!({ ...deToDe, service });
      expect(unfit).toMatchObject({
        kind: 'not_supported',
        reason: expect.stringContaining('outside the US and Canada'),
      });
      expect(() => fedexShipmentBody({ ...deToDe, service }, SETTINGS)).toThrow(/outside the US and Canada/);
    }
    const caToCa = shipment({ shipper: RICHMOND_BC, recipient: { ...RICHMOND_BC, name: 'Someone Else' } });
    expect(fedexShipping.check!(caToCa)).toBeUndefined();
    expect((fedexShipmentBody(caToCa, SETTINGS) as FedexBody).requestedShipment['serviceType']).toBe(
      'FEDEX_GROUND',
    );
  });

  it('a Ground reference is cut to 30 characters, an Express one kept', () => {
    const reference = 'R'.repeat(35);
    const items = (request: ShipmentRequest) =>
      (fedexShipmentBody(request, SETTINGS) as FedexBody).requestedShipment['requestedPackageLineItems'] as {
        customerReferences: { value: string }[];
      }[];
    expect(items(shipment({ reference }))[0]!.customerReferences[0]!.value).toBe('R'.repeat(30));
    expect(items(shipment({ reference, service: 'express' }))[0]!.customerReferences[0]!.value).toBe(
      reference,
    );
  });

  it('readSuccess: labels from the LABEL documents; a master number stands for pieces without one; URL_ONLY is unreadable', () => {
    const answer = (pieceResponses: unknown[], master?: string) =>
      JSON.stringify({
        transactionId: 't',
        output: { transactionShipments: [{ masterTrackingNumber: master, pieceResponses }] },
      });
    const label = { contentType: 'LABEL', docType: 'PDF', encodedLabel: 'JVBERi0xLjQK' };
    const invoice = { contentType: 'COMMERCIAL_INVOICE', docType: 'PDF', encodedLabel: 'JVBERi0xLjQK' };
    expect(
      fedexShipping.readSuccess(
        200,
        answer([{ trackingNumber: '794953535000', packageDocuments: [label, invoice] }]),
      ),
    ).toEqual({
      kind: 'created',
      trackingNumbers: ['794953535000'],
      labels: [{ format: 'PDF', data: 'JVBERi0xLjQK' }],
    });
    expect(
      fedexShipping.readSuccess(200, answer([{ packageDocuments: [label] }], '794953535001')),
    ).toMatchObject({
      kind: 'created',
      trackingNumbers: ['794953535001'],
    });
    const urlOnly = [
      { trackingNumber: '794953535000', packageDocuments: [{ contentType: 'LABEL', url: 'https://x' }] },
    ];
    expect(fedexShipping.readSuccess(200, answer(urlOnly))).toEqual({ kind: 'unreadable' });
    expect(fedexShipping.readSuccess(200, '{"output":{"transactionShipments":[]}}')).toEqual({
      kind: 'unreadable',
    });
    expect(fedexShipping.readSuccess(200, 'not json')).toEqual({ kind: 'unreadable' });
  });

  it('errorCode: the first code of a FedEx error body, never its message; nothing for other bodies', () => {
    const body = JSON.stringify({
      transactionId: '624deea6-b709-470c-8c39-4b5511281492',
      errors: [{ code: 'FORBIDDEN.ERROR', message: 'We could not authorize your credentials.' }],
    });
    expect(fedexShipping.errorCode(403, body)).toBe('FORBIDDEN.ERROR');
    expect(
      fedexShipping.errorCode(400, JSON.stringify({ response: { errors: [{ code: '1' }] } })),
    ).toBeUndefined();
    expect(fedexShipping.errorCode(503, '<html>busy</html>')).toBeUndefined();
  });
});
