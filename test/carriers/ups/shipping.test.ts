/**
 * @module test/carriers/ups/shipping
 * The UPS label adapter against the UPS simulator on loopback: what `build` makes is accepted and
 * answered with one label per parcel in the format asked, `readSuccess` reads it back, every
 * shipment fault arrives with its status and UPS code, and the settings schema names a bad
 * shipper number. The simulator gets a real token from its own token endpoint; no mocks.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { decorateUpsRequest } from '../../../carriers/ups/api.js';
import { startUpsSimulator, UPS_PATHS, type UpsSimulatorHandle } from '../../../carriers/ups/simulator.js';
import {
  UPS_SHIP_PATH,
  upsServiceCode,
  upsShipmentBody,
  upsShipping,
  upsShippingSettingsSchema,
} from '../../../carriers/ups/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import { registerSecrets } from '../../support/log-capture.js';

const CLIENT = { clientId: 'ups-adapter-client', clientSecret: `ups-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const SETTINGS = { shipperNumber: 'A1B2C3' };

const NEW_YORK = {
  name: 'Ada Lovelace',
  company: 'Analytical Engines Inc',
  street: ['350 5th Ave', 'Floor 34'],
  city: 'New York',
  postalCode: '10118',
  countryCode: 'US',
  stateCode: 'NY',
  phone: '+1 (212) 736-3100',
  email: 'ada@example.com',
};
const LOS_ANGELES = {
  name: 'Grace Hopper',
  street: ['1 World Way'],
  city: 'Los Angeles',
  postalCode: '90045',
  countryCode: 'US',
  stateCode: 'CA',
  phone: '310-646-5252',
};
const GOETTINGEN = {
  name: 'Emmy Noether',
  company: 'Mathematisches Institut',
  street: ['Bunsenstrasse 3-5'],
  city: 'Goettingen',
  postalCode: '37073',
  countryCode: 'DE',
  phone: '+49 551 397766',
};

function shipment(overrides: Record<string, unknown> = {}): ShipmentRequest {
  return shipmentRequestSchema.parse({
    service: 'standard',
    shipper: NEW_YORK,
    recipient: LOS_ANGELES,
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }, { weightKg: 1.1 }],
    reference: 'order-1042',
    ...overrides,
  });
}

const build = (request: ShipmentRequest, settings = SETTINGS): ShippingCall =>
  upsShipping.build({
    shipment: request,
    settings,
    carrierIdempotencyKey: randomUUID(),
    shipmentId: `shp_${randomUUID()}`,
  });

type UpsBody = { ShipmentRequest: { Shipment: Record<string, unknown>; LabelSpecification: unknown } };
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as UpsBody;

describe('UPS label adapter against the UPS simulator', () => {
  let ups: UpsSimulatorHandle;
  let token: string;

  beforeAll(async () => {
    ups = await startUpsSimulator({ clients: [CLIENT] });
    const reply = await fetch(`${ups.url}${UPS_PATHS.token}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    token = ((await reply.json()) as { access_token: string }).access_token;
    registerSecrets(token);
  });
  afterAll(() => ups?.close());
  beforeEach(async () => {
    await ups.resetFaults();
    ups.resetStats();
  });

  /** What the core does: the call as built, plus the Bearer token and UPS's per-request headers. */
  async function send(call: ShippingCall, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const headers = { ...call.headers, authorization: `Bearer ${token}` };
    decorateUpsRequest({ method: call.method, path: `/${call.path}`, headers });
    const response = await fetch(`${ups.url}/${call.path}`, {
      method: call.method,
      headers,
      body: call.body,
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: await response.text() };
  }

  const cases = [
    { route: 'domestic', recipient: LOS_ANGELES, service: 'standard', code: '03' },
    { route: 'domestic', recipient: LOS_ANGELES, service: 'express', code: '01' },
    { route: 'international', recipient: GOETTINGEN, service: 'standard', code: '11' },
    { route: 'international', recipient: GOETTINGEN, service: 'express', code: '07' },
  ] as const;
  const formats = [
    { labelFormat: 'PDF', format: 'GIF', magic: 'GIF8' },
    { labelFormat: 'ZPL', format: 'ZPL', magic: '^XA' },
  ] as const;

  describe.each(cases)('$route $service (service code $code)', ({ recipient, service, code }) => {
    it.each(formats)(
      '$labelFormat: one $format label per parcel, read back with its tracking number',
      async ({ labelFormat, format, magic }) => {
        const call = build(shipment({ recipient, service, labelFormat }));
        expect(call.method).toBe('POST');
        expect(call.path).toBe(UPS_SHIP_PATH);
        expect(call.headers).toEqual({ 'content-type': 'application/json' });
        const body = bodyOf(call);
        expect(body.ShipmentRequest.Shipment['Service']).toEqual({ Code: code });
        expect(body.ShipmentRequest.LabelSpecification).toMatchObject({ LabelImageFormat: { Code: format } });

        const reply = await send(call);
        expect(reply.status, reply.body).toBe(200);
        const answer = upsShipping.readSuccess(reply.status, reply.body);
        if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
        expect(answer.trackingNumbers).toHaveLength(2);
        expect(new Set(answer.trackingNumbers).size).toBe(2);
        for (const number of answer.trackingNumbers) expect(number).toMatch(/^1ZA1B2C3[0-9A-Z]{10}$/);
        expect(answer.labels).toHaveLength(2);
        for (const label of answer.labels) {
          expect(label.format).toBe(format);
          expect(Buffer.from(label.data, 'base64').toString('latin1').startsWith(magic)).toBe(true);
        }
        expect(ups.stats().labelsCreated).toBe(1);
      },
    );
  });

  it('counts exactly the shipments made', async () => {
    for (let i = 0; i < 3; i++) expect((await send(build(shipment()))).status).toBe(200);
    expect(ups.stats().labelsCreated).toBe(3);
  });

  it('validation_error: 400 with UPS code 120100, nothing created', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(400);
    expect(upsShipping.errorCode(reply.status, reply.body)).toBe('120100');
    expect(ups.stats().labelsCreated).toBe(0);
    // The fault was for one request only.
    expect((await send(build(shipment()))).status).toBe(200);
  });

  it('forbidden: 403 in the UPS error shape, nothing created', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(403);
    expect(upsShipping.errorCode(reply.status, reply.body)).toBe('SIM403');
    expect(ups.stats().labelsCreated).toBe(0);
  });

  it('server_error_after_create: 500 with UPS code 20001, and the label exists', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(500);
    expect(upsShipping.errorCode(reply.status, reply.body)).toBe('20001');
    expect(ups.stats().labelsCreated).toBe(1);
  });

  it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    await expect(send(build(shipment()), AbortSignal.timeout(300))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(ups.stats().labelsCreated).toBe(1);
  });

  it('a body missing a required field gets the UPS 400 and no label', async () => {
    const call = build(shipment());
    const withoutShipperNumber = bodyOf(call);
    delete (withoutShipperNumber.ShipmentRequest.Shipment['Shipper'] as Record<string, unknown>)[
      'ShipperNumber'
    ];
    const first = await send({ ...call, body: JSON.stringify(withoutShipperNumber) });
    expect(first.status).toBe(400);
    expect(upsShipping.errorCode(first.status, first.body)).toBe('120100');

    const withoutShipTo = bodyOf(call);
    delete withoutShipTo.ShipmentRequest.Shipment['ShipTo'];
    const second = await send({ ...call, body: JSON.stringify(withoutShipTo) });
    expect(second.status).toBe(400);
    expect(upsShipping.errorCode(second.status, second.body)).toBe('20007');
    expect(JSON.parse(second.body)).toEqual({
      response: {
        errors: [{ code: '20007', message: 'Missing Required field, ShipmentRequest/Shipment/ShipTo.' }],
      },
    });
    expect(ups.stats().labelsCreated).toBe(0);
  });

  it('a request without a valid token gets 401 250002, read as the carrier code', async () => {
    const call = build(shipment());
    const response = await fetch(`${ups.url}/${call.path}`, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
    });
    const body = await response.text();
    expect(response.status).toBe(401);
    expect(upsShipping.errorCode(response.status, body)).toBe('250002');
    expect(ups.stats().labelsCreated).toBe(0);
  });
});

describe('UPS label adapter, pure parts', () => {
  it('services: 03 Ground / 11 Standard, 01 Next Day Air / 07 Express; domestic codes only inside the US and PR', () => {
    expect(upsShipping.services).toEqual({
      standard: { domestic: '03', international: '11' },
      express: { domestic: '01', international: '07' },
    });
    expect(upsServiceCode(shipment())).toBe('03');
    expect(upsServiceCode(shipment({ service: 'express' }))).toBe('01');
    expect(upsServiceCode(shipment({ recipient: GOETTINGEN }))).toBe('11');
    const berlin = { ...GOETTINGEN, city: 'Berlin', postalCode: '10117' };
    expect(upsServiceCode(shipment({ shipper: GOETTINGEN, recipient: berlin }))).toBe('11');
    expect(upsServiceCode(shipment({ shipper: GOETTINGEN, recipient: berlin, service: 'express' }))).toBe(
      '07',
    );
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
