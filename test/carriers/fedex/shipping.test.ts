/**
 * @module test/carriers/fedex/shipping
 * The FedEx label adapter against the FedEx simulator on loopback, in the shape of ups.test.ts:
 * what `build` makes is accepted and answered with one label per parcel in the format asked,
 * `readSuccess` reads it back, every shipment fault arrives with its status and FedEx code, and
 * the settings schema names a bad account number. Real token from the simulator; no mocks.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  FEDEX_SHIP_PATH,
  fedexShipmentBody,
  fedexShipping,
  fedexShippingSettingsSchema,
} from '../../../carriers/fedex/shipping.js';
import { FEDEX_PATHS, startFedexSimulator } from '../../../carriers/fedex/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { SimulatorHandle } from '../../../src/sim/index.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import { registerSecrets } from '../../support/log-capture.js';

const CLIENT = { clientId: 'fedex-adapter-key', clientSecret: `fedex-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const SETTINGS = fedexShippingSettingsSchema.parse({ accountNumber: '740561073' });

const MEMPHIS = {
  name: 'Ada Lovelace',
  company: 'Analytical Engines Inc',
  street: ['3875 Airways Blvd', 'Module H'],
  city: 'Memphis',
  postalCode: '38116',
  countryCode: 'US',
  stateCode: 'TN',
  phone: '+1 (901) 369-3600',
  email: 'ada@example.com',
};
const PITTSBURGH = {
  name: 'Grace Hopper',
  street: ['45 Noblestown Rd'],
  city: 'Pittsburgh',
  postalCode: '15220',
  countryCode: 'US',
  stateCode: 'PA',
  phone: '412-555-0100',
};
const RICHMOND_BC = {
  name: 'Emmy Noether',
  company: 'Institute',
  street: ['5300 No. 3 Rd'],
  city: 'Richmond',
  postalCode: 'V6X 2X9',
  countryCode: 'CA',
  stateCode: 'BC',
  phone: '604-555-0199',
};

function shipment(overrides: Record<string, unknown> = {}): ShipmentRequest {
  return shipmentRequestSchema.parse({
    service: 'standard',
    shipper: MEMPHIS,
    recipient: PITTSBURGH,
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10.2 }, { weightKg: 1.1 }],
    reference: 'order-1042',
    ...overrides,
  });
}

const build = (request: ShipmentRequest, shipmentId = `shp_${randomUUID()}`): ShippingCall =>
  fedexShipping.build({
    shipment: request,
    settings: SETTINGS,
    carrierIdempotencyKey: randomUUID(),
    shipmentId,
  });

type FedexBody = { requestedShipment: Record<string, unknown> } & Record<string, unknown>;
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as FedexBody;

describe('FedEx label adapter against the FedEx simulator', () => {
  let fedex: SimulatorHandle;
  let token: string;

  beforeAll(async () => {
    fedex = await startFedexSimulator({ clients: [CLIENT] });
    const reply = await fetch(`${fedex.url}${FEDEX_PATHS.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }).toString(),
    });
    token = ((await reply.json()) as { access_token: string }).access_token;
    registerSecrets(token);
  });
  afterAll(() => fedex?.close());
  beforeEach(async () => {
    await fedex.resetFaults();
    fedex.resetStats();
  });

  /** What the core does: the call as built, plus the Bearer token. */
  async function send(call: ShippingCall, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const response = await fetch(`${fedex.url}/${call.path}`, {
      method: call.method,
      headers: { ...call.headers, authorization: `Bearer ${token}` },
      body: call.body,
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: await response.text() };
  }

  const cases = [
    { route: 'domestic', recipient: PITTSBURGH, service: 'standard', code: 'FEDEX_GROUND' },
    { route: 'domestic', recipient: PITTSBURGH, service: 'express', code: 'PRIORITY_OVERNIGHT' },
    { route: 'international', recipient: RICHMOND_BC, service: 'standard', code: 'INTERNATIONAL_ECONOMY' },
    { route: 'international', recipient: RICHMOND_BC, service: 'express', code: 'INTERNATIONAL_PRIORITY' },
  ] as const;
  const formats = [
    { labelFormat: 'PDF', format: 'PDF', magic: '%PDF-' },
    { labelFormat: 'ZPL', format: 'ZPLII', magic: '^XA' },
  ] as const;

  describe.each(cases)('$route $service ($code)', ({ recipient, service, code }) => {
    it.each(formats)(
      '$labelFormat: one $format label per parcel, read back with its tracking number',
      async ({ labelFormat, format, magic }) => {
        const shipmentId = `shp_${randomUUID()}`;
        const call = build(shipment({ recipient, service, labelFormat }), shipmentId);
        expect(call.method).toBe('POST');
        expect(call.path).toBe(FEDEX_SHIP_PATH);
        expect(call.headers).toEqual({
          'content-type': 'application/json',
          'x-customer-transaction-id': shipmentId,
        });
        const body = bodyOf(call);
        expect(body.requestedShipment['serviceType']).toBe(code);
        expect(body.requestedShipment['labelSpecification']).toMatchObject({ imageType: format });

        const reply = await send(call);
        expect(reply.status, reply.body).toBe(200);
        expect(JSON.parse(reply.body)).toMatchObject({ customerTransactionId: shipmentId });
        const answer = fedexShipping.readSuccess(reply.status, reply.body);
        if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
        expect(answer.trackingNumbers).toHaveLength(2);
        expect(new Set(answer.trackingNumbers).size).toBe(2);
        for (const number of answer.trackingNumbers) expect(number).toMatch(/^\d{12}$/);
        expect(answer.labels).toHaveLength(2);
        for (const label of answer.labels) {
          expect(label.format).toBe(format);
          expect(Buffer.from(label.data, 'base64').toString('latin1').startsWith(magic)).toBe(true);
        }
        expect(fedex.stats().labelsCreated).toBe(1);
      },
    );
  });

  it('counts exactly the shipments made', async () => {
    for (let i = 0; i < 3; i++) expect((await send(build(shipment()))).status).toBe(200);
    expect(fedex.stats().labelsCreated).toBe(3);
  });

  it('validation_error: 400 ACCOUNTNUMBER.REGISTRATION.REQUIRED, nothing created', async () => {
    await fedex.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(400);
    expect(fedexShipping.errorCode(reply.status, reply.body)).toBe('ACCOUNTNUMBER.REGISTRATION.REQUIRED');
    expect(fedex.stats().labelsCreated).toBe(0);
    expect((await send(build(shipment()))).status).toBe(200);
  });

  it('forbidden: 403 FORBIDDEN.ERROR, nothing created', async () => {
    await fedex.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(403);
    expect(fedexShipping.errorCode(reply.status, reply.body)).toBe('FORBIDDEN.ERROR');
    expect(fedex.stats().labelsCreated).toBe(0);
  });

  it('server_error_after_create: 500 INTERNAL.SERVER.ERROR, and the label exists', async () => {
    await fedex.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(500);
    expect(fedexShipping.errorCode(reply.status, reply.body)).toBe('INTERNAL.SERVER.ERROR');
    expect(fedex.stats().labelsCreated).toBe(1);
  });

  it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
    await fedex.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    await expect(send(build(shipment()), AbortSignal.timeout(300))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(fedex.stats().labelsCreated).toBe(1);
  });

  it('a body missing a required field gets the FedEx 400 and no label', async () => {
    const call = build(shipment());
    const withoutPhone = bodyOf(call);
    const recipients = withoutPhone.requestedShipment['recipients'] as { contact: Record<string, unknown> }[];
    delete recipients[0]!.contact['phoneNumber'];
    const first = await send({ ...call, body: JSON.stringify(withoutPhone) });
    expect(first.status).toBe(400);
    expect(fedexShipping.errorCode(first.status, first.body)).toBe('SHIPMENT.VALIDATION.ERROR');
    expect(JSON.parse(first.body)).toMatchObject({
      errors: [{ message: expect.stringContaining('requestedShipment.recipients[0].contact.phoneNumber') }],
    });

    const withoutAccount = bodyOf(call);
    delete withoutAccount['accountNumber'];
    const second = await send({ ...call, body: JSON.stringify(withoutAccount) });
    expect(second.status).toBe(400);
    expect(fedexShipping.errorCode(second.status, second.body)).toBe('ACCOUNTNUMBER.REGISTRATION.REQUIRED');

    const otherPayor = bodyOf(call);
    otherPayor.requestedShipment['shippingChargesPayment'] = {
      paymentType: 'SENDER',
      payor: { responsibleParty: { accountNumber: { value: '123456789' } } },
    };
    const third = await send({ ...call, body: JSON.stringify(otherPayor) });
    expect(third.status).toBe(400);
    expect(fedexShipping.errorCode(third.status, third.body)).toBe('ACCOUNT.NUMBER.MISMATCH');
    expect(fedex.stats().labelsCreated).toBe(0);
  });

  it('a request without a token gets 401 NOT.AUTHORIZED.ERROR, read as the carrier code', async () => {
    const call = build(shipment());
    const response = await fetch(`${fedex.url}/${call.path}`, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
    });
    const body = await response.text();
    expect(response.status).toBe(401);
    expect(fedexShipping.errorCode(response.status, body)).toBe('NOT.AUTHORIZED.ERROR');
    expect(fedex.stats().labelsCreated).toBe(0);
  });
});

describe('FedEx label adapter, pure parts', () => {
  it('services: FEDEX_GROUND / INTERNATIONAL_ECONOMY, PRIORITY_OVERNIGHT / INTERNATIONAL_PRIORITY', () => {
    expect(fedexShipping.services).toEqual({
      standard: { domestic: 'FEDEX_GROUND', international: 'INTERNATIONAL_ECONOMY' },
      express: { domestic: 'PRIORITY_OVERNIGHT', international: 'INTERNATIONAL_PRIORITY' },
    });
  });

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
