/**
 * @module test/carriers/dhl-parcel-de/shipping
 * The DHL Parcel DE label adapter against the Parcel DE simulator on loopback: what `build` makes
 * is accepted and answered with one shipment number and label per parcel in the format asked,
 * `readSuccess` reads it back, every shipment fault arrives with its status and code, shipments
 * Parcel DE cannot carry are refused before anything is sent, and the settings schema names a bad
 * billing number. The simulator issues a real token from its own ROPC endpoint; no mocks.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

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
import type { SimulatorHandle } from '../../../src/sim/index.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import { registerSecrets } from '../../support/log-capture.js';

const CLIENT = { clientId: 'dhl-de-adapter-key', clientSecret: `dhl-de-adapter-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
// parcel-de-shipping-v2_2.yaml examples: 33333333330102 (V01PAK), 33333333335301 (V53WPAK).
const SETTINGS = dhlParcelDeShippingSettingsSchema.parse({
  billingNumbers: { V01PAK: '33333333330102', V53WPAK: '33333333335301' },
});

const BONN = {
  name: 'Max Mustermann',
  company: 'My Online Shop GmbH',
  street: ['Sträßchensweg 10'],
  city: 'Bonn',
  postalCode: '53113',
  countryCode: 'DE',
  phone: '+49 123456789',
  email: 'max@example.com',
};
const BERLIN = {
  name: 'Maria Musterfrau',
  street: ['Kurt-Schumacher-Str. 20'],
  city: 'Berlin',
  postalCode: '10115',
  countryCode: 'DE',
  phone: '+49 987654321',
};
const AMSTERDAM = {
  name: 'Jan Vermeer',
  company: 'Rijksmuseum',
  street: ['Museumstraat 1', '2. Floor', 'Entrance B'],
  city: 'Amsterdam',
  postalCode: '1071 XX',
  countryCode: 'NL',
  phone: '+31 888888888',
  email: 'jan@example.com',
};

function shipment(overrides: Record<string, unknown> = {}): ShipmentRequest {
  return shipmentRequestSchema.parse({
    service: 'standard',
    shipper: BONN,
    recipient: BERLIN,
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 9.5 }, { weightKg: 1.1 }],
    reference: 'order-1042-de',
    ...overrides,
  });
}

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

describe('DHL Parcel DE label adapter against the Parcel DE simulator', () => {
  let dhl: SimulatorHandle;
  let token: string;

  beforeAll(async () => {
    dhl = await startDhlParcelDeSimulator({ clients: [CLIENT] });
    const reply = await fetch(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        ...DHL_PARCEL_DE_SANDBOX_USER,
      }).toString(),
    });
    token = ((await reply.json()) as { access_token: string }).access_token;
    registerSecrets(token);
  });
  afterAll(() => dhl?.close());
  beforeEach(async () => {
    await dhl.resetFaults();
    dhl.resetStats();
  });

  /** What the core does: the call as built under the host root, plus the Bearer token and the carrier hook. */
  async function send(call: ShippingCall, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const headers = { ...call.headers, authorization: `Bearer ${token}` };
    decorateDhlParcelDeRequest({ method: call.method, path: `/${call.path}`, headers });
    const response = await fetch(`${dhl.url}/${call.path}`, {
      method: call.method,
      headers,
      body: call.body,
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: await response.text() };
  }

  const cases = [
    {
      route: 'domestic',
      recipient: BERLIN,
      service: 'standard',
      product: 'V01PAK',
      billing: '33333333330102',
    },
    {
      route: 'domestic',
      recipient: BERLIN,
      service: 'express',
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

  describe.each(cases)('$route $service ($product)', ({ route, recipient, service, product, billing }) => {
    it.each(formats)(
      '$labelFormat: one shipment and $format label per parcel, read back',
      async ({ labelFormat, docFormat, format, magic }) => {
        const call = build(shipment({ recipient, service, labelFormat }));
        expect(call.method).toBe('POST');
        expect(call.path).toBe(`parcel/de/shipping/v2/orders?includeDocs=include&docFormat=${docFormat}`);
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
          // Express abroad is the premium parcel; at home there is no faster product.
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

        const reply = await send(call);
        expect(reply.status, reply.body).toBe(207); // two shipments: multistatus
        const answer = dhlParcelDeShipping.readSuccess(reply.status, reply.body);
        if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
        expect(answer.trackingNumbers).toHaveLength(2);
        expect(new Set(answer.trackingNumbers).size).toBe(2);
        for (const number of answer.trackingNumbers) expect(number).toMatch(/^\d{18}$/);
        expect(answer.labels).toHaveLength(2);
        for (const label of answer.labels) {
          expect(label.format).toBe(format);
          expect(Buffer.from(label.data, 'base64').toString('latin1').startsWith(magic)).toBe(true);
        }
        expect(dhl.stats().labelsCreated).toBe(2);
      },
    );
  });

  it('counts exactly the shipments made: one per parcel', async () => {
    expect((await send(build(shipment({ parcels: [{ weightKg: 1 }] })))).status).toBe(200);
    expect((await send(build(shipment()))).status).toBe(207);
    expect(dhl.stats().labelsCreated).toBe(3);
  });

  const one = () => build(shipment({ parcels: [{ weightKg: 1 }] }));

  it('validation_error: 400 LabelDataResponse, code 400, nothing created', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const reply = await send(one());
    expect(reply.status).toBe(400);
    expect(dhlParcelDeShipping.errorCode(reply.status, reply.body)).toBe('400');
    expect(dhl.stats().labelsCreated).toBe(0);
    expect((await send(one())).status).toBe(200);
  });

  it('forbidden: 403 RequestStatus, code 403, nothing created', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
    const reply = await send(one());
    expect(reply.status).toBe(403);
    expect(dhlParcelDeShipping.errorCode(reply.status, reply.body)).toBe('403');
    expect(dhl.stats().labelsCreated).toBe(0);
  });

  it('server_error_after_create: 500 RequestStatus, code 500, and the label exists', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const reply = await send(one());
    expect(reply.status).toBe(500);
    expect(dhlParcelDeShipping.errorCode(reply.status, reply.body)).toBe('500');
    expect(dhl.stats().labelsCreated).toBe(1);
  });

  it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
    await dhl.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    await expect(send(one(), AbortSignal.timeout(300))).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(dhl.stats().labelsCreated).toBe(1);
  });

  it('a body missing a required field, or with an alpha-2 country, gets the Parcel DE 400 and no label', async () => {
    const call = one();
    const noCountry = bodyOf(call);
    delete (noCountry.shipments[0]!['consignee'] as Record<string, unknown>)['country'];
    const refused = await send({ ...call, body: JSON.stringify(noCountry) });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({
      items: [
        { validationMessages: [{ property: 'shipments[0].consignee.country', validationState: 'Error' }] },
      ],
    });
    expect(dhlParcelDeShipping.errorCode(refused.status, refused.body)).toBe('400');

    const alpha2 = bodyOf(call);
    (alpha2.shipments[0]!['consignee'] as Record<string, unknown>)['country'] = 'DE';
    expect((await send({ ...call, body: JSON.stringify(alpha2) })).status).toBe(400);
    const noProfile: Partial<OrderBody> = bodyOf(call);
    delete noProfile.profile;
    expect((await send({ ...call, body: JSON.stringify(noProfile) })).status).toBe(400);
    expect(dhl.stats().labelsCreated).toBe(0);
  });

  it('a 401 RequestStatus gives its status as the code', async () => {
    const call = one();
    const reply = await fetch(`${dhl.url}/${call.path}`, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
    });
    expect(reply.status).toBe(401);
    expect(dhlParcelDeShipping.errorCode(reply.status, await reply.text())).toBe('401');
  });
});

describe('DHL Parcel DE label adapter: mapping', () => {
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

  it('refuses what Parcel DE cannot carry, before anything is sent, and says why', () => {
    const refusals: [Record<string, unknown>, string][] = [
      [
        { shipper: { ...BONN, countryCode: 'AT' }, recipient: { ...BERLIN, countryCode: 'AT' } },
        'ships from Germany',
      ],
      [{ recipient: { ...AMSTERDAM, countryCode: 'US' } }, 'recipient country US is outside the EU'],
      [{ recipient: { ...AMSTERDAM, countryCode: 'CH' } }, 'customs data would be required'],
      [{ parcels: [{ weightKg: 31.6 }] }, 'more than 31.5 kg'],
      [{ recipient: { ...BERLIN, street: ['x'.repeat(51)] } }, 'recipient.street[0] is longer than 50'],
      [{ recipient: { ...BERLIN, city: 'y'.repeat(41) } }, 'recipient.city is longer than 40'],
      [{ recipient: { ...BERLIN, postalCode: '12#45' } }, 'recipient.postalCode'],
    ];
    for (const [overrides, reason] of refusals) {
      const request = shipment(overrides);
      expect(dhlParcelDeShipping.supports!(request)).toBe(false);
      expect(dhlParcelDeUnsupported(request)).toContain(reason);
      expect(() => build(request)).toThrow(reason);
    }
    expect(dhlParcelDeShipping.supports!(shipment({ recipient: AMSTERDAM }))).toBe(true);
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
