/**
 * @module test/carriers/usps/shipping
 * The USPS label adapter: the shipping-adapter conformance suite against the USPS simulator (a
 * label in the format asked, every shipment fault with its status and USPS code, a retry with the
 * same X-Idempotency-Key returning the label already made, `supports` keeping out what Domestic
 * Labels cannot carry; the simulator issues a real access token and payment authorization token,
 * added as the gateway would, no mocks), then what only USPS has: settings, the mapping to pounds,
 * inches and references, the mailing date, and the answers read back.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import {
  USPS_LABEL_PATH,
  uspsLabelRequest,
  uspsMailingDate,
  uspsShipping,
  uspsShippingSettingsSchema,
  uspsUnsupportedReason,
  type UspsShippingSettings,
} from '../../../carriers/usps/shipping.js';
import {
  startUspsSimulator,
  USPS_PATHS,
  type UspsSimulatorHandle,
} from '../../../carriers/usps/simulator.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { ST_LOUIS, TORONTO, WASHINGTON, shipmentWith } from '../../support/addresses.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { describeShippingAdapter, type BuiltIds } from '../../support/shipping-adapter-suite.js';
import { accessToken as simulatorToken, clientFields, form } from '../../support/sim-http.js';
import { USPS_PAYMENT_ROLES } from './fixtures.js';

const CLIENT = { clientId: 'usps-adapter-client', clientSecret: `usps-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const DEFAULTS = uspsShippingSettingsSchema.parse({});
const SHIPMENT_ID = 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA';

/** [USPS-PAY] MinimumPaymentAuthorizationRequest: what an account's `payment` block holds. */
const PAYMENT_REQUEST = {
  roles: USPS_PAYMENT_ROLES,
};

const shipment = shipmentWith({
  shipper: WASHINGTON,
  recipient: ST_LOUIS,
  parcels: [{ weightKg: 0.8, lengthCm: 23, widthCm: 15, heightCm: 1 }],
  reference: 'order-7',
});

const draft = (
  request: ShipmentRequest,
  settings: UspsShippingSettings = DEFAULTS,
  key: string = randomUUID(),
) => ({
  shipment: request,
  settings,
  carrierIdempotencyKey: key,
  shipmentId: SHIPMENT_ID,
});
type Body = Record<string, Record<string, unknown>>;
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as Body;

const services = [
  { service: 'standard', mailClass: 'USPS_GROUND_ADVANTAGE', rateIndicator: 'SP' },
  { service: 'express', mailClass: 'PRIORITY_MAIL_EXPRESS', rateIndicator: 'PA' },
] as const;
const formats = [
  { labelFormat: 'PDF', settings: {}, imageType: 'PDF', format: 'PDF', magic: '%PDF-' },
  { labelFormat: 'ZPL', settings: {}, imageType: 'ZPL203DPI', format: 'ZPL', magic: '^XA^PW812' },
  {
    labelFormat: 'ZPL',
    settings: { zplDpi: 300 },
    imageType: 'ZPL300DPI',
    format: 'ZPL',
    magic: '^XA^PW1200',
  },
] as const;

let usps: UspsSimulatorHandle;
let accessToken: string;

describeShippingAdapter('USPS', {
  adapter: uspsShipping,
  settings: DEFAULTS,
  shipment,
  shipmentId: () => SHIPMENT_ID,
  async start() {
    usps = await startUspsSimulator({ clients: [CLIENT] });
    accessToken = await simulatorToken(`${usps.url}${USPS_PATHS.token}`, form(clientFields(CLIENT)));
    const payment = await fetch(`${usps.url}${USPS_PATHS.paymentAuthorization}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(PAYMENT_REQUEST),
    });
    const paymentToken = ((await payment.json()) as { paymentAuthorizationToken: string })
      .paymentAuthorizationToken;
    return {
      sim: usps,
      base: usps.url,
      // What the core does: the call as built, plus the Bearer token and the dependent payment token.
      headers: (call) => ({
        ...call.headers,
        authorization: `Bearer ${accessToken}`,
        'X-Payment-Authorization-Token': paymentToken,
      }),
    };
  },
  beforeClose: (sim) => registerIssuedTokens(sim as UspsSimulatorHandle),
  path: USPS_LABEL_PATH,
  labels: services.flatMap(({ service, mailClass, rateIndicator }) =>
    formats.map(({ labelFormat, settings, imageType, format, magic }) => ({
      name: `${service} (${mailClass}), ${imageType}: a ${format} label read back with its tracking number`,
      shipment: { service, labelFormat },
      settings: uspsShippingSettingsSchema.parse(settings),
      call(call: ShippingCall, { key }: BuiltIds) {
        expect(call.headers).toEqual({
          'Content-Type': 'application/json',
          Accept: 'application/vnd.usps.labels+json',
          'X-Idempotency-Key': key,
        });
        const body = bodyOf(call);
        expect(body['imageInfo']).toEqual({ imageType, labelType: '4X6LABEL', receiptOption: 'NONE' });
        expect(body['packageDescription']).toMatchObject({ mailClass, rateIndicator });
      },
      status: 200,
      trackingNumbers: (numbers: string[]) => expect(numbers).toEqual([expect.stringMatching(/^92\d{20}$/)]),
      labels: { count: 1, format, magic },
      labelsCreated: 1,
    })),
  ),
  successStatus: 200,
  faults: {
    validation_error: {
      status: 400,
      code: 'invalid_request',
      answer: { apiVersion: '/labels/v3/', error: { code: '400' } },
    },
    forbidden: {
      status: 403,
      code: 'insufficient_scope',
      answer: { error: { code: '403', message: 'Access is denied.' } },
    },
    server_error_after_create: { status: 503, code: 'service_unavailable' },
  },
  // X-Idempotency-Key: a retry after an unknown outcome returns the label made, and makes no second.
  replaysWithSameKey: true,
  invalidBodies: [
    {
      what: 'no ZIP Code',
      change: (body: Body) => delete body['toAddress']!['ZIPCode'],
      status: 400,
      code: 'invalid_request',
      answer: {
        error: { errors: [{ code: 'invalid_request', source: { parameter: 'toAddress.ZIPCode' } }] },
      },
    },
    {
      what: 'no mailClass',
      change: (body: Body) => delete body['packageDescription']!['mailClass'],
      status: 400,
    },
  ],
  unauthenticated: {
    what: 'without the payment authorization token (the USPS 400 naming the header)',
    headers: (call) => ({ ...call.headers, authorization: `Bearer ${accessToken}` }),
    status: 400,
    code: 'invalid_request',
  },
  moreCases({ build, send }) {
    async function trackingNumberOf(call: ShippingCall): Promise<string | undefined> {
      const reply = await send(call);
      const answer = uspsShipping.readSuccess(reply.status, reply.body);
      return answer.kind === 'created' ? answer.trackingNumbers[0] : undefined;
    }

    it('counts the shipments made in the USPS counter too', async () => {
      const before = usps.labelsCreated();
      for (let i = 0; i < 3; i++) expect((await send(build(shipment()).call)).status).toBe(200);
      expect(usps.stats().labelsCreated).toBe(3);
      expect(usps.labelsCreated() - before).toBe(3);
    });

    it('the same X-Idempotency-Key and body twice: one label, the same tracking number', async () => {
      const key = randomUUID();
      const first = build(shipment(), { key }).call;
      // build is deterministic for one shipment and key (on one mailing date), so a retry repeats the payload.
      const again = build(shipment(), { key }).call;
      expect(again).toEqual(first);
      const a = await trackingNumberOf(first);
      expect(a).toMatch(/^92\d{20}$/);
      expect(await trackingNumberOf(again)).toBe(a);
      expect(usps.stats().labelsCreated).toBe(1);
      // Another key is another label.
      expect(await trackingNumberOf(build(shipment()).call)).not.toBe(a);
      expect(usps.stats().labelsCreated).toBe(2);
    });
  },
  services: {
    standard: { domestic: 'USPS_GROUND_ADVANTAGE', international: '' },
    express: { domestic: 'PRIORITY_MAIL_EXPRESS', international: '' },
  },
  refusals: {
    reasonOf: uspsUnsupportedReason,
    buildError: /check supports\(\) first/,
    // US to US, one parcel with its dimensions, 70 lb at most, states and ZIP Codes.
    cases: [
      { shipment: { recipient: TORONTO }, reason: /within the United States/ },
      {
        shipment: { shipper: TORONTO, recipient: { ...TORONTO, city: 'Ottawa' } },
        reason: /within the United States/,
      },
      {
        shipment: { parcels: [{ weightKg: 1, lengthCm: 1, widthCm: 1, heightCm: 1 }, { weightKg: 1 }] },
        reason: /one parcel/,
      },
      { shipment: { parcels: [{ weightKg: 1, lengthCm: 10 }] }, reason: /length, width and height/ },
      { shipment: { parcels: [{ weightKg: 32, lengthCm: 50, widthCm: 40, heightCm: 30 }] }, reason: /70 lb/ },
      { shipment: { recipient: { ...ST_LOUIS, stateCode: undefined } }, reason: /state code and a ZIP Code/ },
      { shipment: { recipient: { ...ST_LOUIS, postalCode: '6310' } }, reason: /state code and a ZIP Code/ },
    ],
    supported: [{}],
  },
});

describe('USPS label adapter, pure parts', () => {
  it('deduplicates by X-Idempotency-Key', () => {
    expect(uspsShipping.idempotencyHeader).toBe('X-Idempotency-Key');
  });

  it('settings: {} takes the defaults; a bad resolution, category or any other key is refused', () => {
    expect(uspsShippingSettingsSchema.parse({})).toEqual({ zplDpi: 203, processingCategory: 'NONSTANDARD' });
    expect(uspsShippingSettingsSchema.parse({ zplDpi: 300, processingCategory: 'MACHINABLE' })).toEqual({
      zplDpi: 300,
      processingCategory: 'MACHINABLE',
    });
    expect(uspsShippingSettingsSchema.safeParse({ zplDpi: 600 }).error?.issues[0]?.path).toEqual(['zplDpi']);
    expect(uspsShippingSettingsSchema.safeParse({ processingCategory: 'LETTERS' }).success).toBe(false);
    // Credentials are the gateway's business, never the shipping block's.
    expect(uspsShippingSettingsSchema.safeParse({ paymentAuthorizationToken: 'x' }).success).toBe(false);
  });

  it('maps addresses, pounds and inches (rounded up), references and the mailing date', () => {
    const body = uspsLabelRequest(draft(shipment()), '2026-03-02');
    expect(body.fromAddress).toEqual({
      firstName: 'Sam',
      lastName: 'Wilson',
      firm: 'Avengers Logistics',
      streetAddress: '45 L St SW',
      city: 'Washington',
      state: 'DC',
      ZIPCode: '20024',
      phone: '+12025550143',
      email: 'sam@example.com',
    });
    // ZIP+4 split, the second street line as secondaryAddress, the state in capitals.
    expect(JSON.parse(JSON.stringify(body.toAddress))).toEqual({
      firstName: 'Nick',
      lastName: 'Fury',
      streetAddress: '2700 S Jefferson Ave',
      secondaryAddress: 'STE 150',
      city: 'St. Louis',
      state: 'MO',
      ZIPCode: '63104',
      ZIPPlus4: '2351',
    });
    expect(body.packageDescription).toEqual({
      mailClass: 'USPS_GROUND_ADVANTAGE',
      rateIndicator: 'SP',
      weightUOM: 'lb',
      weight: 1.77, // 0.8 kg = 1.7637 lb
      dimensionsUOM: 'in',
      length: 9.06, // 23 cm
      height: 0.4, // 1 cm = 0.3937 in
      width: 5.91, // 15 cm
      processingCategory: 'NONSTANDARD',
      destinationEntryFacilityType: 'NONE',
      mailingDate: '2026-03-02',
      customerReference: [
        { referenceNumber: 'order-7', printReferenceNumber: true },
        { referenceNumber: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA' },
      ],
    });
    const single = uspsLabelRequest(
      draft(
        shipment({ recipient: { ...ST_LOUIS, name: 'Cher', phone: '555-01', email: "o'hara@example.com" } }),
      ),
      '2026-03-02',
    );
    expect(single.toAddress).toMatchObject({ lastName: 'Cher', phone: undefined, email: undefined });
    expect(single.toAddress).not.toHaveProperty('firstName');
    // A reference longer than 30 is clipped; an id that long is left out, not clipped.
    const long = uspsLabelRequest(
      { ...draft(shipment({ reference: 'R'.repeat(35) })), shipmentId: `shp_${'x'.repeat(40)}` },
      '2026-03-02',
    );
    expect(long.packageDescription.customerReference).toEqual([
      { referenceNumber: 'R'.repeat(30), printReferenceNumber: true },
    ]);
  });

  it('mailing date: UTC, or UTC+12 where the clocks run ahead of it, so never before the local date', () => {
    const eveningInWashington = Date.parse('2026-03-02T23:30:00-05:00'); // 04:30Z on 3 March
    expect(uspsMailingDate('DC', eveningInWashington)).toBe('2026-03-03');
    const morningInGuam = Date.parse('2026-03-03T08:00:00+10:00'); // 22:00Z on 2 March
    expect(uspsMailingDate('GU', morningInGuam)).toBe('2026-03-03');
    expect(uspsMailingDate(undefined, morningInGuam)).toBe('2026-03-02');
  });

  it('readSuccess: the vendor JSON answer; anything else is unreadable', () => {
    const pdf = Buffer.from('%PDF-1.4\n').toString('base64');
    const body = JSON.stringify({ trackingNumber: '9205590109769900012613', labelImage: pdf, postage: 7.64 });
    expect(uspsShipping.readSuccess(200, body)).toEqual({
      kind: 'created',
      trackingNumbers: ['9205590109769900012613'],
      labels: [{ format: 'PDF', data: pdf }],
    });
    expect(uspsShipping.readSuccess(200, '--726UYUDSQB6JWJXFDY\r\n')).toEqual({ kind: 'unreadable' });
    expect(uspsShipping.readSuccess(200, JSON.stringify({ trackingNumber: '92' }))).toEqual({
      kind: 'unreadable',
    });
    const png = Buffer.from('\x89PNG\r\n', 'latin1').toString('base64');
    expect(uspsShipping.readSuccess(200, body.replace(pdf, png))).toEqual({ kind: 'unreadable' });
    expect(uspsShipping.readSuccess(200, body.replace(pdf, 'not base64!'))).toEqual({ kind: 'unreadable' });
  });

  it('errorCode: the most specific code of each USPS error shape, never a message', () => {
    const apiError = (errors: unknown[]) =>
      JSON.stringify({ apiVersion: '/labels/v3/', error: { code: '400', message: 'Bad Request.', errors } });
    expect(uspsShipping.errorCode(400, apiError([{ title: 'x' }, { code: 'invalid_request' }]))).toBe(
      'invalid_request',
    );
    // [USPS-I36]: an empty errors list leaves the status code.
    expect(uspsShipping.errorCode(400, apiError([]))).toBe('400');
    expect(uspsShipping.errorCode(429, JSON.stringify({ error: 'invalid_request' }))).toBe('invalid_request');
    // [USPS-I18]: the API gateway's OpenAPI validation fault.
    const fault = {
      fault: { faultstring: 'OASValidation failed', detail: { errorcode: 'steps.oasvalidation.Failed' } },
    };
    expect(uspsShipping.errorCode(400, JSON.stringify(fault))).toBe('steps.oasvalidation.Failed');
    expect(uspsShipping.errorCode(502, '<html>Bad Gateway</html>')).toBeUndefined();
    expect(uspsShipping.errorCode(500, JSON.stringify({ message: 'boom' }))).toBeUndefined();
  });
});
