/**
 * @module test/carriers/dhl-express/shipping
 * The DHL Express (MyDHL API) label adapter against the MyDHL simulator on loopback: what `build`
 * makes is accepted on the test base with HTTP Basic and answered with one waybill, piece IDs and
 * a label in the format asked, `readSuccess` reads it back, every shipment fault arrives with its
 * status and DHL code, dutiable or incomplete shipments are refused before anything is sent, and
 * the settings schema names a bad account number. No mocks.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { decorateDhlExpressRequest } from '../../../carriers/dhl-express/api.js';
import {
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
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import { registerSecrets } from '../../support/log-capture.js';

const CLIENT = { clientId: 'mydhl-adapter-key', clientSecret: `mydhl-adapter-secret-${randomUUID()}` };
const BASIC = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`;
registerSecrets(CLIENT.clientSecret, BASIC.slice('Basic '.length));
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
};

function shipment(overrides: Record<string, unknown> = {}): ShipmentRequest {
  return shipmentRequestSchema.parse({
    service: 'standard',
    shipper: PRAGUE,
    recipient: BRNO,
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 9.5 }, { weightKg: 1.1 }],
    reference: 'order-1042-cz',
    ...overrides,
  });
}

const build = (request: ShipmentRequest, shipmentId = `shp_${randomUUID().slice(0, 20)}`): ShippingCall =>
  dhlExpressShipping.build({
    shipment: request,
    settings: SETTINGS,
    carrierIdempotencyKey: randomUUID(),
    shipmentId,
  });
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as Record<string, unknown>;

describe('DHL Express label adapter against the MyDHL simulator', () => {
  let dhl: DhlExpressSimulatorHandle;

  beforeAll(async () => {
    dhl = await startDhlExpressSimulator({ clients: [CLIENT] });
  });
  afterAll(() => dhl?.close());
  beforeEach(async () => {
    await dhl.resetFaults();
    dhl.resetStats();
    dhl.clearRequests();
  });

  /** What the core does: the call under the account's test base, plus Basic credentials and the carrier hook. */
  async function send(call: ShippingCall, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const headers = { ...call.headers, authorization: BASIC };
    decorateDhlExpressRequest({ method: call.method, path: `/${call.path}`, headers });
    const response = await fetch(`${dhl.url}${DHL_EXPRESS_BASE_PATHS.test}/${call.path}`, {
      method: call.method,
      headers,
      body: call.body,
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: await response.text() };
  }

  const cases = [
    { route: 'domestic', recipient: BRNO, service: 'standard', product: 'N' },
    { route: 'domestic', recipient: BRNO, service: 'express', product: '1' },
    { route: 'international', recipient: BERLIN, service: 'standard', product: 'U' },
    { route: 'international', recipient: BERLIN, service: 'express', product: 'T' },
  ] as const;
  const formats = [
    { labelFormat: 'PDF', encodingFormat: 'pdf', format: 'PDF', magic: '%PDF-' },
    { labelFormat: 'ZPL', encodingFormat: 'zpl', format: 'ZPL', magic: '^XA' },
  ] as const;

  describe.each(cases)('$route $service (product $product)', ({ recipient, service, product }) => {
    it.each(formats)(
      '$labelFormat: one waybill, a piece ID per parcel and a $format label',
      async ({ labelFormat, encodingFormat, format, magic }) => {
        const shipmentId = `shp_${randomUUID().slice(0, 20)}`;
        const call = build(shipment({ recipient, service, labelFormat }), shipmentId);
        expect(call.method).toBe('POST');
        expect(call.path).toBe('shipments');
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

        const reply = await send(call);
        expect(reply.status, reply.body).toBe(201);
        const answer = dhlExpressShipping.readSuccess(reply.status, reply.body);
        if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
        const [waybill, ...pieces] = answer.trackingNumbers;
        expect(waybill).toMatch(/^\d{10}$/);
        expect(pieces).toHaveLength(2);
        for (const piece of pieces) expect(piece).toMatch(/^JD\d{18}$/);
        expect(answer.labels).toHaveLength(1);
        expect(answer.labels[0]!.format).toBe(format);
        expect(Buffer.from(answer.labels[0]!.data, 'base64').toString('latin1').startsWith(magic)).toBe(true);
        expect(dhl.stats().labelsCreated).toBe(1);
        expect(dhl.requests().at(-1)).toMatchObject({
          environment: 'test',
          messageReference: shipmentId,
          status: 201,
        });
      },
    );
  });

  it('counts exactly the shipments made: one per waybill, whatever the parcels', async () => {
    for (let i = 0; i < 3; i++) expect((await send(build(shipment()))).status).toBe(201);
    expect(dhl.stats().labelsCreated).toBe(3);
  });

  it('validation_error: 400 with DHL code 998, nothing created', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(400);
    expect(dhlExpressShipping.errorCode(reply.status, reply.body)).toBe('998');
    expect(dhl.stats().labelsCreated).toBe(0);
    expect((await send(build(shipment()))).status).toBe(201);
  });

  it('forbidden: 403 in the MyDHL error shape, its status as the code, nothing created', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(403);
    expect(dhlExpressShipping.errorCode(reply.status, reply.body)).toBe('403');
    expect(dhl.stats().labelsCreated).toBe(0);
  });

  it('server_error_after_create: 500 with DHL code 999, and the label exists', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(500);
    expect(dhlExpressShipping.errorCode(reply.status, reply.body)).toBe('999');
    expect(dhl.stats().labelsCreated).toBe(1);
  });

  it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    await expect(send(build(shipment()), AbortSignal.timeout(300))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(dhl.stats().labelsCreated).toBe(1);
  });

  it('a body missing a required field gets the MyDHL 422 and no label', async () => {
    const call = build(shipment());
    const noPhone = bodyOf(call) as {
      customerDetails: { receiverDetails: { contactInformation: Record<string, unknown> } };
    };
    delete noPhone.customerDetails.receiverDetails.contactInformation['phone'];
    const refused = await send({ ...call, body: JSON.stringify(noPhone) });
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.body)).toMatchObject({
      title: 'Validation error',
      detail: '#/customerDetails/receiverDetails/contactInformation: required key [phone] not found',
    });
    expect(dhlExpressShipping.errorCode(refused.status, refused.body)).toBe('422');
    const noProduct = bodyOf(call);
    delete noProduct['productCode'];
    expect((await send({ ...call, body: JSON.stringify(noProduct) })).status).toBe(422);
    const badEncoding = bodyOf(call);
    badEncoding['outputImageProperties'] = { encodingFormat: 'png' };
    expect((await send({ ...call, body: JSON.stringify(badEncoding) })).status).toBe(422);
    expect(dhl.stats().labelsCreated).toBe(0);
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

  it('refuses what MyDHL cannot carry without customs data or contacts, and says why', () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{ recipient: { ...BERLIN, countryCode: 'US' } }, 'CZ to US is dutiable'],
      [{ shipper: { ...BERLIN, countryCode: 'GB' }, recipient: BERLIN }, 'GB to DE is dutiable'],
      [{ recipient: { ...BRNO, phone: undefined } }, "needs the recipient's phone number"],
      [{ shipper: { ...PRAGUE, phone: undefined } }, "needs the shipper's phone number"],
      [
        { recipient: { ...BRNO, street: ['Kounicova 10', 'x'.repeat(46)] } },
        'recipient.street[1] is longer than 45',
      ],
      [{ recipient: { ...BRNO, postalCode: '1234567890123' } }, 'recipient.postalCode is longer than 12'],
    ];
    for (const [overrides, reason] of refusals) {
      const request = shipment(overrides);
      expect(dhlExpressShipping.supports!(request)).toBe(false);
      expect(dhlExpressUnsupported(request)).toContain(reason);
      expect(() => build(request)).toThrow(reason);
    }
    // Domestic shipments outside the EU are not dutiable.
    const usDomestic = { ...BERLIN, countryCode: 'US', postalCode: '10118' };
    expect(dhlExpressShipping.supports!(shipment({ shipper: usDomestic, recipient: usDomestic }))).toBe(true);
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
