/**
 * @module test/carriers/colissimo/shipping
 * The Colissimo label adapter: the shipping-adapter conformance suite against the Colissimo
 * simulator (behind the account's apiKey, a label in the format asked, every shipment fault with
 * its status and Colissimo message id, `supports` keeping out what the SLS contract cannot carry
 * without customs data; no mocks), then what only Colissimo has: the settings, the mapping, and
 * the real multipart answer read back byte for byte.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  COLISSIMO_LABEL_PATH,
  colissimoDepositDate,
  colissimoLabelRequest,
  colissimoShipping,
  colissimoShippingSettingsSchema,
  colissimoUnsupportedReason,
  type ColissimoShippingSettings,
} from '../../../carriers/colissimo/shipping.js';
import { COLISSIMO_BASE, startColissimoSimulator } from '../../../carriers/colissimo/simulator.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { BRUSSELS, LYON as LYON_BASE, PARIS, shipmentWith } from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { describeShippingAdapter } from '../../support/shipping-adapter-suite.js';

const CONTRACT = { clientId: '800123', clientSecret: `colissimo-adapter-key-${randomUUID()}` };
registerSecrets(CONTRACT.clientSecret);
const DEFAULTS = colissimoShippingSettingsSchema.parse({});
const SHIPMENT_ID = 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA';

const LYON = { ...LYON_BASE, phone: '06 12 34 56 78' };
const GENEVA = { ...BRUSSELS, city: 'Genève', postalCode: '1204', countryCode: 'CH' };

const shipment = shipmentWith({
  shipper: PARIS,
  recipient: LYON,
  parcels: [{ weightKg: 1.234 }],
  reference: 'commande-2024-000042',
});

const draft = (request: ShipmentRequest, settings: ColissimoShippingSettings = DEFAULTS) => ({
  shipment: request,
  settings,
  carrierIdempotencyKey: randomUUID(),
  shipmentId: SHIPMENT_ID,
});
type Body = { outputFormat: Record<string, unknown>; letter: Record<string, Record<string, unknown>> };
const bodyOf = (call: ShippingCall) => JSON.parse(call.body) as Body;

const routes = [
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

describeShippingAdapter('Colissimo', {
  adapter: colissimoShipping,
  settings: DEFAULTS,
  shipment,
  shipmentId: () => SHIPMENT_ID,
  async start() {
    const sim = await startColissimoSimulator({ clients: [CONTRACT] });
    // What the core does: the call under the account's API base, plus the static apiKey header.
    return {
      sim,
      base: `${sim.url}${COLISSIMO_BASE}`,
      headers: (call) => ({ ...call.headers, apiKey: CONTRACT.clientSecret }),
    };
  },
  path: COLISSIMO_LABEL_PATH,
  labels: routes.flatMap(({ recipient, route }) =>
    formats.map(({ labelFormat, settings, printing, format, magic }) => ({
      name: `${route} (DOM), ${printing}: a ${format} label read back with its parcel number`,
      shipment: { recipient, labelFormat },
      settings: colissimoShippingSettingsSchema.parse(settings),
      call(call: ShippingCall) {
        expect(call.headers).toEqual({ 'Content-Type': 'application/json' });
        const body = bodyOf(call);
        expect(body.outputFormat).toEqual({ x: 0, y: 0, outputPrintingType: printing });
        expect(body.letter['service']).toMatchObject({ productCode: 'DOM' });
        expect(call.body).not.toMatch(/contractNumber|password/);
      },
      status: 200,
      trackingNumbers: (numbers: string[]) => expect(numbers).toEqual([expect.stringMatching(/^6A\d{11}$/)]),
      labels: { count: 1, format, magic },
      labelsCreated: 1,
    })),
  ),
  successStatus: 200,
  faults: {
    validation_error: {
      status: 400,
      code: 'SIM400',
      answer: { messages: [{ type: 'ERROR' }], labelV2Response: null },
    },
    forbidden: { status: 403, code: '30000' },
    server_error_after_create: { status: 500, code: 'SIM500' },
  },
  invalidBodies: [
    {
      what: 'no weight',
      change: (body: Body) => delete body.letter['parcel']!['weight'],
      status: 400,
      code: 'SIM400',
    },
    {
      what: 'no productCode',
      change: (body: Body) => delete body.letter['service']!['productCode'],
      status: 400,
    },
    { what: 'JSON cut short', change: '{"letter":', status: 422, code: 'SIM422' },
  ],
  unauthenticated: {
    what: 'a refused apiKey',
    headers: (call) => ({ ...call.headers, apiKey: 'not-the-key-0123456789' }),
    status: 403,
    code: '30000',
  },
  services: {
    standard: { domestic: 'DOM', international: 'DOM' },
    express: { domestic: '', international: '' },
  },
  refusals: {
    reasonOf: colissimoUnsupportedReason,
    buildError: /check supports\(\) first/,
    cases: [
      { shipment: { service: 'express' }, reason: /no express service/ },
      { shipment: { shipper: BRUSSELS }, reason: /ships from France/ },
      { shipment: { recipient: GENEVA }, reason: /customs declaration/ },
      {
        shipment: { recipient: { ...LYON, countryCode: 'GP', postalCode: '97110' } },
        reason: /customs declaration/,
      },
      { shipment: { parcels: [{ weightKg: 1 }, { weightKg: 2 }] }, reason: /one parcel/ },
      { shipment: { parcels: [{ weightKg: 30.5 }] }, reason: /30 kg/ },
    ],
    // From France to France or the EU, one parcel of 30 kg at most, standard only.
    supported: [{}, { recipient: BRUSSELS }],
  },
});

describe('Colissimo label adapter, pure parts', () => {
  it('has no idempotency header: the core must not retry a label blindly', () => {
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

  it("depositDate is today's plain date in Paris, also between midnight in Paris and midnight UTC", () => {
    // 23:32 UTC on 6 December is 00:32 on 7 December in Paris (UTC+1 in winter).
    expect(colissimoDepositDate(new Date('2026-12-06T23:32:42.807Z'))).toBe('2026-12-07');
    // 22:30 UTC on 1 July is 00:30 on 2 July in Paris (UTC+2 in summer).
    expect(colissimoDepositDate(new Date('2026-07-01T22:30:00Z'))).toBe('2026-07-02');
    expect(colissimoDepositDate(new Date('2026-07-01T21:59:59Z'))).toBe('2026-07-01');
    const body = colissimoLabelRequest(draft(shipment()), new Date('2026-12-06T23:32:42.807Z'));
    expect(body.letter.service.depositDate).toBe('2026-12-07');
  });

  it('maps addresses, the weight (kg, rounded up to 2 decimals), references and the deposit date', () => {
    const depositAt = new Date('2026-06-02T08:15:00.000Z');
    const body = JSON.parse(JSON.stringify(colissimoLabelRequest(draft(shipment()), depositAt))) as Body;
    expect(body.letter).toEqual({
      service: {
        productCode: 'DOM',
        depositDate: '2026-06-02',
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
