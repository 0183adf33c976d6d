/**
 * @module test/carriers/colissimo/shipping
 * The Colissimo label adapter against the Colissimo simulator on loopback: what `build` makes is
 * accepted behind the account's apiKey and answered with a label in the format asked,
 * `readSuccess` reads it back (and the real multipart answer too), every shipment fault arrives
 * with its status and Colissimo message id, and `supports` keeps out what the SLS contract cannot
 * carry without customs data. No mocks.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  COLISSIMO_LABEL_PATH,
  colissimoLabelRequest,
  colissimoShipping,
  colissimoShippingSettingsSchema,
  colissimoUnsupportedReason,
  type ColissimoShippingSettings,
} from '../../../carriers/colissimo/shipping.js';
import { COLISSIMO_BASE, startColissimoSimulator } from '../../../carriers/colissimo/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { SimulatorHandle } from '../../../src/sim/index.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import { registerSecrets } from '../../support/log-capture.js';

const CONTRACT = { clientId: '800123', clientSecret: `colissimo-adapter-key-${randomUUID()}` };
registerSecrets(CONTRACT.clientSecret);
const DEFAULTS = colissimoShippingSettingsSchema.parse({});

const PARIS = {
  name: 'Marie Curie',
  company: 'Boutique Rivoli',
  street: ['1 rue de Rivoli', 'Bâtiment B', 'Escalier 2'],
  city: 'Paris',
  postalCode: '75001',
  countryCode: 'FR',
  phone: '+33 1 23 45 67 89',
  email: 'marie@example.fr',
};
const LYON = {
  name: 'Louis Pasteur',
  street: ['2 place Bellecour'],
  city: 'Lyon',
  postalCode: '69002',
  countryCode: 'FR',
  phone: '06 12 34 56 78',
};
const BRUSSELS = {
  name: 'Paul Otlet',
  street: ['Rue de la Loi 16'],
  city: 'Bruxelles',
  postalCode: '1000',
  countryCode: 'BE',
};
const GENEVA = { ...BRUSSELS, city: 'Genève', postalCode: '1204', countryCode: 'CH' };

function shipment(overrides: Record<string, unknown> = {}): ShipmentRequest {
  return shipmentRequestSchema.parse({
    service: 'standard',
    shipper: PARIS,
    recipient: LYON,
    parcels: [{ weightKg: 1.234 }],
    reference: 'commande-2024-000042',
    ...overrides,
  });
}

const draft = (request: ShipmentRequest, settings: ColissimoShippingSettings = DEFAULTS) => ({
  shipment: request,
  settings,
  carrierIdempotencyKey: randomUUID(),
  shipmentId: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA',
});
const build = (request: ShipmentRequest, settings?: ColissimoShippingSettings) =>
  colissimoShipping.build(draft(request, settings));
type Body = { outputFormat: Record<string, unknown>; letter: Record<string, Record<string, unknown>> };
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as Body;
const decoded = (data: string) => Buffer.from(data, 'base64').toString('latin1');

describe('Colissimo label adapter against the Colissimo simulator', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await startColissimoSimulator({ clients: [CONTRACT] });
  });
  afterAll(() => sim?.close());
  beforeEach(async () => {
    await sim.resetFaults();
    sim.resetStats();
  });

  /** What the core does: the call under the account's API base, plus the static apiKey header. */
  async function send(
    call: ShippingCall,
    signal?: AbortSignal,
    apiKey = CONTRACT.clientSecret,
  ): Promise<{ status: number; body: string }> {
    const response = await fetch(`${sim.url}${COLISSIMO_BASE}/${call.path}`, {
      method: call.method,
      headers: { ...call.headers, apiKey },
      body: call.body,
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, body: await response.text() };
  }

  const cases = [
    { recipient: LYON, route: 'domestic' },
    { recipient: BRUSSELS, route: 'EU' },
  ] as const;
  const formats = [
    { labelFormat: 'PDF', settings: {}, printing: 'PDF_10x15_300dpi', format: 'PDF', magic: '%PDF-' },
    { labelFormat: 'ZPL', settings: {}, printing: 'ZPL_10x15_203dpi', format: 'ZPL', magic: '^XA^PW800' },
    {
      labelFormat: 'ZPL',
      settings: { zplDpi: 300 },
      printing: 'ZPL_10x15_300dpi',
      format: 'ZPL',
      magic: '^XA^PW1200',
    },
  ] as const;

  describe.each(cases)('$route (DOM)', ({ recipient }) => {
    it.each(formats)(
      '$printing: a $format label read back with its parcel number',
      async ({ labelFormat, settings, printing, format, magic }) => {
        const call = build(
          shipment({ recipient, labelFormat }),
          colissimoShippingSettingsSchema.parse(settings),
        );
        expect(call).toMatchObject({ method: 'POST', path: COLISSIMO_LABEL_PATH });
        expect(call.headers).toEqual({ 'Content-Type': 'application/json' });
        const body = bodyOf(call);
        expect(body.outputFormat).toEqual({ x: 0, y: 0, outputPrintingType: printing });
        expect(body.letter['service']).toMatchObject({ productCode: 'DOM' });
        expect(call.body).not.toMatch(/contractNumber|password/);

        const reply = await send(call);
        expect(reply.status, reply.body).toBe(200);
        const answer = colissimoShipping.readSuccess(reply.status, reply.body);
        if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
        expect(answer.trackingNumbers).toEqual([expect.stringMatching(/^6A\d{11}$/)]);
        expect(answer.labels).toHaveLength(1);
        expect(answer.labels[0]!.format).toBe(format);
        expect(decoded(answer.labels[0]!.data).startsWith(magic)).toBe(true);
        expect(sim.stats().labelsCreated).toBe(1);
      },
    );
  });

  it('counts exactly the shipments made; a refused key makes none', async () => {
    for (let i = 0; i < 3; i++) expect((await send(build(shipment()))).status).toBe(200);
    const refused = await send(build(shipment()), undefined, 'not-the-key-0123456789');
    expect(refused.status).toBe(403);
    expect(colissimoShipping.errorCode(refused.status, refused.body)).toBe('30000');
    expect(sim.stats().labelsCreated).toBe(3);
  });

  it('validation_error: 400 with a Colissimo ERROR message, nothing created', async () => {
    await sim.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ messages: [{ type: 'ERROR' }], labelV2Response: null });
    expect(colissimoShipping.errorCode(reply.status, reply.body)).toBe('SIM400');
    expect(sim.stats().labelsCreated).toBe(0);
    // The fault was for one request only.
    expect((await send(build(shipment()))).status).toBe(200);
  });

  it('forbidden: 403 with id 30000, nothing created', async () => {
    await sim.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(403);
    expect(colissimoShipping.errorCode(reply.status, reply.body)).toBe('30000');
    expect(sim.stats().labelsCreated).toBe(0);
  });

  it('server_error_after_create: 500, and the label exists', async () => {
    await sim.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const reply = await send(build(shipment()));
    expect(reply.status).toBe(500);
    expect(colissimoShipping.errorCode(reply.status, reply.body)).toBe('SIM500');
    expect(sim.stats().labelsCreated).toBe(1);
  });

  it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
    await sim.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    await expect(send(build(shipment()), AbortSignal.timeout(300))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(sim.stats().labelsCreated).toBe(1);
  });

  it('a body missing a required field gets the Colissimo 400 and no label', async () => {
    const call = build(shipment());
    const withoutWeight = bodyOf(call);
    delete withoutWeight.letter['parcel']!['weight'];
    const first = await send({ ...call, body: JSON.stringify(withoutWeight) });
    expect(first.status).toBe(400);
    expect(colissimoShipping.errorCode(first.status, first.body)).toBe('SIM400');

    const withoutProduct = bodyOf(call);
    delete withoutProduct.letter['service']!['productCode'];
    const second = await send({ ...call, body: JSON.stringify(withoutProduct) });
    expect(second.status).toBe(400);
    const badJson = await send({ ...call, body: '{"letter":' });
    expect(badJson.status).toBe(422);
    expect(colissimoShipping.errorCode(badJson.status, badJson.body)).toBe('SIM422');
    expect(sim.stats().labelsCreated).toBe(0);
  });
});

describe('Colissimo label adapter, pure parts', () => {
  it('services: DOM home delivery, in France and abroad; no express product', () => {
    expect(colissimoShipping.services).toEqual({
      standard: { domestic: 'DOM', international: 'DOM' },
      express: { domestic: '', international: '' },
    });
    // No idempotency header is documented: the core must not retry a label blindly.
    expect(colissimoShipping.idempotencyHeader).toBeUndefined();
  });

  it('settings: {} takes the defaults; a commercial name fits 35; secrets and unknown keys are refused', () => {
    expect(colissimoShippingSettingsSchema.parse({})).toEqual({ zplDpi: 203 });
    expect(colissimoShippingSettingsSchema.parse({ zplDpi: 300, commercialName: ' Boutique ' })).toEqual({
      zplDpi: 300,
      commercialName: 'Boutique',
    });
    expect(colissimoShippingSettingsSchema.safeParse({ zplDpi: 150 }).success).toBe(false);
    expect(colissimoShippingSettingsSchema.safeParse({ commercialName: 'x'.repeat(36) }).success).toBe(false);
    // The deprecated body credentials have no place here: the apiKey is the account's credential.
    expect(
      colissimoShippingSettingsSchema.safeParse({ contractNumber: '800123', password: 'x' }).success,
    ).toBe(false);
  });

  it('supports: from France to France or the EU, one parcel of 30 kg at most, standard only', () => {
    expect(colissimoShipping.supports!(shipment())).toBe(true);
    expect(colissimoShipping.supports!(shipment({ recipient: BRUSSELS }))).toBe(true);
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ service: 'express' }, /no express service/],
      [{ shipper: BRUSSELS }, /ships from France/],
      [{ recipient: GENEVA }, /customs declaration/],
      [{ recipient: { ...LYON, countryCode: 'GP', postalCode: '97110' } }, /customs declaration/],
      [{ parcels: [{ weightKg: 1 }, { weightKg: 2 }] }, /one parcel/],
      [{ parcels: [{ weightKg: 30.5 }] }, /30 kg/],
    ];
    for (const [overrides, reason] of refused) {
      const request = shipment(overrides);
      expect(colissimoShipping.supports!(request)).toBe(false);
      expect(colissimoUnsupportedReason(request)).toMatch(reason);
      expect(() => build(request)).toThrow(/check supports\(\) first/);
    }
  });

  it('maps addresses, the weight (kg, rounded up to 2 decimals), references and the deposit date', () => {
    const depositAt = new Date('2026-06-02T08:15:00.000Z');
    const body = JSON.parse(JSON.stringify(colissimoLabelRequest(draft(shipment()), depositAt))) as Body;
    expect(body.letter).toEqual({
      service: {
        productCode: 'DOM',
        depositDate: '2026-06-02T08:15:00.000Z',
        orderNumber: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA',
        commercialName: 'Boutique Rivoli',
      },
      parcel: { weight: 1.24 },
      sender: {
        senderParcelRef: 'commande-2024-000', // AN1...17
        address: {
          companyName: 'Boutique Rivoli',
          lastName: 'Marie Curie',
          line1: 'Escalier 2',
          line2: '1 rue de Rivoli',
          line3: 'Bâtiment B',
          countryCode: 'FR',
          city: 'Paris',
          zipCode: '75001',
          phoneNumber: '+33123456789',
          email: 'marie@example.fr',
        },
      },
      addressee: {
        address: {
          lastName: 'Louis Pasteur',
          line2: '2 place Bellecour',
          countryCode: 'FR',
          city: 'Lyon',
          zipCode: '69002',
          phoneNumber: '0612345678',
        },
      },
    });
    const named = colissimoLabelRequest(
      {
        ...draft(shipment({ parcels: [{ weightKg: 0.001 }] }), {
          zplDpi: 203,
          commercialName: 'Ma Boutique',
        }),
      },
      depositAt,
    );
    expect(named.letter.service).toMatchObject({ commercialName: 'Ma Boutique' });
    expect(named.letter.parcel).toEqual({ weight: 0.01 });
  });

  it('readSuccess: the real multipart answer (jsonInfos + binary label part), kept byte for byte', () => {
    const pdf = '%PDF-1.3\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n';
    // karrio's recorded answer, in shape ([KAR-COL] test_shipment.py ShipmentResponse).
    const multipart =
      '--uuid:dee537d3\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Transfer-Encoding: binary\r\n' +
      'Content-ID: <jsonInfos>\r\n\r\n' +
      JSON.stringify({
        messages: [{ id: '0', type: 'INFOS', messageContent: 'La requête a été traitée avec succès' }],
        labelXmlV2Reponse: null,
        labelV2Response: {
          parcelNumber: '6A15984040331',
          parcelNumberPartner: '0075001116A1598404033801250L',
        },
      }) +
      '\r\n--uuid:dee537d3\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n' +
      `Content-ID: <label>\r\n\r\n${pdf}\r\n--uuid:dee537d3--\r\n`;
    // A body decoded as latin1 keeps every byte.
    expect(colissimoShipping.readSuccess(200, multipart)).toEqual({
      kind: 'created',
      trackingNumbers: ['6A15984040331'],
      labels: [{ format: 'PDF', data: Buffer.from(pdf, 'latin1').toString('base64') }],
    });
    // Decoded as UTF-8, the label's high bytes became U+FFFD: unreadable, never a corrupt label.
    const lossy = Buffer.from(multipart, 'latin1').toString('utf8');
    expect(colissimoShipping.readSuccess(200, lossy)).toEqual({ kind: 'unreadable' });
    expect(colissimoShipping.readSuccess(200, '<html>')).toEqual({ kind: 'unreadable' });
    expect(
      colissimoShipping.readSuccess(
        200,
        JSON.stringify({ messages: [], labelV2Response: { parcelNumber: '6A1' } }),
      ),
    ).toEqual({ kind: 'unreadable' });
  });

  it('readSuccess: a success status with an ERROR message and no label is a refusal, nothing made', () => {
    const body = JSON.stringify({
      messages: [{ id: '30000', type: 'ERROR', messageContent: 'Identifiant ou mot de passe incorrect' }],
      labelXmlV2Reponse: null,
      labelV2Response: null,
    });
    expect(colissimoShipping.readSuccess(200, body)).toEqual({ kind: 'rejected', carrierCode: '30000' });
  });

  it('errorCode: the ERROR message id, from plain JSON or multipart; nothing without one', () => {
    // [COL-CODE] a recorded plain-JSON 400.
    const plain = JSON.stringify({
      messages: [
        { id: '0', type: 'INFOS', messageContent: 'x' },
        { id: '30562', type: 'ERROR', messageContent: 'Le format du numéro EORI est invalide' },
      ],
      labelXmlV2Reponse: null,
      labelV2Response: null,
    });
    expect(colissimoShipping.errorCode(400, plain)).toBe('30562');
    // [KAR-COL] the recorded multipart error.
    const multipart =
      '--uuid:07a458a8\r\nContent-Type: application/json;charset=UTF-8\r\nContent-ID: <jsonInfos>\r\n\r\n' +
      '{"messages":[{"id":"30000","type":"ERROR","messageContent":"Identifiant ou mot de passe incorrect"}],' +
      '"labelXmlV2Reponse":null,"labelV2Response":null}\r\n--uuid:07a458a8--\r\n';
    expect(colissimoShipping.errorCode(400, multipart)).toBe('30000');
    // [COL-SPEC] declares 403 without a body.
    expect(colissimoShipping.errorCode(403, '')).toBeUndefined();
    expect(colissimoShipping.errorCode(502, '<html>Bad gateway</html>')).toBeUndefined();
  });
});
