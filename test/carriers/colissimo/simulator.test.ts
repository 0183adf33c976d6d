/**
 * @module test/carriers/colissimo/simulator
 * The Colissimo simulator speaks SLS: `apiKey` header authentication (and the deprecated body
 * credentials), 403 for a refused key, 422 for JSON it cannot read, 400 functional errors for the
 * request schema's hard requirements, all in the spec's `messages` shape; a generated label as
 * multipart answer: a `jsonInfos` GenerateLabelV2Response with the parcel number, the label bytes
 * (binary PDF or ZPL) and, when asked for, the CN23.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  colissimoExampleLabelRequest,
  COLISSIMO_PATHS,
  startColissimoSimulator,
} from '../../../carriers/colissimo/simulator.js';
import type { SimulatorHandle } from '../../../src/sim/index.js';
import {
  call,
  callMultipart,
  connectionError,
  postJson,
  type MultipartAnswer,
  type Reply,
} from '../../support/sim-http.js';

const CONTRACT = { clientId: '800123', clientSecret: 'colissimo-api-key-0123456789' };

const LABEL_REQUEST = colissimoExampleLabelRequest(1.5);

describe('Colissimo simulator', () => {
  let sim: SimulatorHandle;

  beforeEach(async () => {
    sim = await startColissimoSimulator({ clients: [CONTRACT] });
  });
  afterEach(() => sim.close());

  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { apikey: CONTRACT.clientSecret },
  ) => call(`${sim.url}${path}`, postJson(body, headers));
  const postRaw = (path: string, body: string) =>
    call(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: CONTRACT.clientSecret },
      body,
    });

  function expectError(reply: Reply, status: number, id?: string): void {
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({
      messages: [{ id: id ?? expect.any(String), type: 'ERROR', messageContent: expect.any(String) }],
      labelXmlV2Reponse: null,
      labelV2Response: null,
    });
  }

  const generate = (body: unknown) =>
    callMultipart(
      `${sim.url}${COLISSIMO_PATHS.generateLabel}`,
      postJson(body, { apikey: CONTRACT.clientSecret }),
    );
  const infosOf = (parts: MultipartAnswer['parts']) =>
    JSON.parse(parts.get('jsonInfos')!.bytes.toString('utf8')) as {
      messages: unknown[];
      labelV2Response: { parcelNumber: string };
    };

  it('generateLabel with the apiKey header: multipart, a jsonInfos part with the parcel number and a binary label part', async () => {
    const reply = await generate(LABEL_REQUEST);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary="uuid:[0-9a-f-]{36}"/);
    expect([...reply.parts.keys()]).toEqual(['jsonInfos', 'label']);
    expect(reply.parts.get('jsonInfos')!.type).toBe('application/json;charset=UTF-8');
    const infos = infosOf(reply.parts);
    expect(infos.messages).toEqual([{ id: '0', type: 'INFOS', messageContent: expect.any(String) }]);
    expect(infos.labelV2Response).toEqual({ parcelNumber: expect.stringMatching(/^6A\d{11}$/) });
    const label = reply.parts.get('label')!;
    expect(label.type).toBe('application/octet-stream');
    expect(label.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Binary, as a real PDF: bytes above 0x7F that a text decoding would lose.
    expect(label.bytes.some((byte) => byte > 0x7f)).toBe(true);
    const second = infosOf((await generate(LABEL_REQUEST)).parts);
    expect(second.labelV2Response.parcelNumber).not.toBe(infos.labelV2Response.parcelNumber);
    expect(sim.stats()).toMatchObject({
      apiRequests: 2,
      tokenRequests: 0,
      tokensIssued: 0,
      labelsCreated: 2,
    });
  });

  it('generateLabel: a ZPL label part when ZPL is asked for, and a cn23 part when the CN23 is', async () => {
    const zpl = await generate({
      ...LABEL_REQUEST,
      outputFormat: { ...LABEL_REQUEST.outputFormat, outputPrintingType: 'ZPL_10x15_203dpi' },
    });
    expect(zpl.parts.get('label')!.bytes.toString('latin1')).toMatch(/^\^XA/);
    const withCn23 = await generate({
      ...LABEL_REQUEST,
      letter: {
        ...LABEL_REQUEST.letter,
        addressee: {
          address: { ...LABEL_REQUEST.letter.addressee.address, countryCode: 'CH', zipCode: '1204' },
        },
        customsDeclarations: {
          includeCustomsDeclarations: true,
          contents: {
            article: [
              {
                description: 'Livres',
                quantity: 1,
                weight: 0.5,
                value: 20,
                originCountry: 'FR',
                currency: 'EUR',
              },
            ],
            category: { value: 3 },
          },
        },
      },
    });
    expect(withCn23.status).toBe(200);
    expect([...withCn23.parts.keys()]).toEqual(['jsonInfos', 'label', 'cn23']);
    expect(withCn23.parts.get('cn23')!.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('checkGenerateLabel validates without a label; outputFormat is optional there', async () => {
    const withoutFormat: Record<string, unknown> = { ...LABEL_REQUEST };
    delete withoutFormat['outputFormat'];
    const reply = await post(COLISSIMO_PATHS.checkGenerateLabel, withoutFormat);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ messages: [{ id: '0', type: 'INFOS' }], labelV2Response: null });
    // generateLabel requires it.
    expectError(await post(COLISSIMO_PATHS.generateLabel, withoutFormat), 400);
  });

  it('refuses a missing or wrong apiKey with 403 in the messages shape', async () => {
    expectError(await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST, {}), 403, '30000');
    expectError(
      await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST, { apikey: 'wrong-key-0123456789' }),
      403,
      '30000',
    );
    // The contract number is not the key.
    expectError(
      await post(COLISSIMO_PATHS.checkGenerateLabel, LABEL_REQUEST, { apikey: CONTRACT.clientId }),
      403,
      '30000',
    );
    // A refused key is answered before the body is read: even unreadable JSON gets 403.
    const garbage = await call(`${sim.url}${COLISSIMO_PATHS.generateLabel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', apikey: 'wrong-key-0123456789' },
      body: '{',
    });
    expectError(garbage, 403, '30000');
  });

  it('still takes the deprecated contractNumber + password body credentials, but a sent apiKey decides', async () => {
    const legacy = { ...LABEL_REQUEST, contractNumber: CONTRACT.clientId, password: CONTRACT.clientSecret };
    expect((await post(COLISSIMO_PATHS.generateLabel, legacy, {})).status).toBe(200);
    expectError(
      await post(COLISSIMO_PATHS.generateLabel, { ...legacy, password: 'wrong' }, {}),
      403,
      '30000',
    );
    expectError(
      await post(COLISSIMO_PATHS.generateLabel, legacy, { apikey: 'wrong-key-0123456789' }),
      403,
      '30000',
    );
  });

  it('answers 422 to JSON it cannot read, and 400 to a request missing what the schema requires', async () => {
    expectError(await postRaw(COLISSIMO_PATHS.generateLabel, '{"letter":'), 422);
    expectError(await postRaw(COLISSIMO_PATHS.generateLabel, '[]'), 422);

    const variants: [string, unknown][] = [
      ['no letter', { outputFormat: LABEL_REQUEST.outputFormat }],
      [
        'no productCode',
        {
          ...LABEL_REQUEST,
          letter: { ...LABEL_REQUEST.letter, service: { depositDate: '2025-06-02T00:00:00.000Z' } },
        },
      ],
      ['weight 0', { ...LABEL_REQUEST, letter: { ...LABEL_REQUEST.letter, parcel: { weight: 0 } } }],
      ['weight 30.5', { ...LABEL_REQUEST, letter: { ...LABEL_REQUEST.letter, parcel: { weight: 30.5 } } }],
      [
        '3-letter country',
        {
          ...LABEL_REQUEST,
          letter: {
            ...LABEL_REQUEST.letter,
            addressee: { address: { countryCode: 'FRA', zipCode: '69002' } },
          },
        },
      ],
      [
        'no zipCode',
        {
          ...LABEL_REQUEST,
          letter: { ...LABEL_REQUEST.letter, addressee: { address: { countryCode: 'FR' } } },
        },
      ],
      [
        'a deposit date in the past',
        {
          ...LABEL_REQUEST,
          letter: { ...LABEL_REQUEST.letter, service: { productCode: 'DOM', depositDate: '2001-01-02' } },
        },
      ],
      [
        'a deposit date that is no date',
        {
          ...LABEL_REQUEST,
          letter: { ...LABEL_REQUEST.letter, service: { productCode: 'DOM', depositDate: 'garbage' } },
        },
      ],
      [
        'an unknown product',
        {
          ...LABEL_REQUEST,
          letter: { ...LABEL_REQUEST.letter, service: { productCode: 'NOPE', depositDate: '2099-06-02' } },
        },
      ],
      [
        'an addressee without lastName and line2',
        {
          ...LABEL_REQUEST,
          letter: {
            ...LABEL_REQUEST.letter,
            addressee: { address: { countryCode: 'FR', zipCode: '69002', city: 'Lyon' } },
          },
        },
      ],
      [
        'outputFormat without x',
        { ...LABEL_REQUEST, outputFormat: { y: 0, outputPrintingType: 'PDF_A4_300dpi' } },
      ],
    ];
    for (const [name, body] of variants) {
      const reply = await post(COLISSIMO_PATHS.generateLabel, body);
      expect(reply.status, name).toBe(400);
      expectError(reply, 400, 'SIM400');
    }
    // A plain date (the spec's example) is accepted as well as a date-time.
    const plainDate = {
      ...LABEL_REQUEST,
      letter: { ...LABEL_REQUEST.letter, service: { productCode: 'DOM', depositDate: '2099-06-02' } },
    };
    expect((await post(COLISSIMO_PATHS.generateLabel, plainDate)).status).toBe(200);
    // The bounds themselves are accepted (0.01 to 30.00 kg).
    for (const weight of [0.01, 30]) {
      const body = { ...LABEL_REQUEST, letter: { ...LABEL_REQUEST.letter, parcel: { weight } } };
      expect((await post(COLISSIMO_PATHS.generateLabel, body)).status).toBe(200);
    }
  });

  it('knows only POST on its two operations', async () => {
    expectError(await call(`${sim.url}${COLISSIMO_PATHS.generateLabel}`), 404);
    expectError(await post('/sls-ws/SlsServiceWSRest/2.0/generateToken', {}), 404);
  });

  it('follows key rotation and clients added through the control API', async () => {
    sim.rotateSecret(CONTRACT.clientId, 'colissimo-api-key-rotated-0123');
    expectError(await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST), 403);
    expect(
      (await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST, { apikey: 'colissimo-api-key-rotated-0123' }))
        .status,
    ).toBe(200);
    const added = await call(
      `${sim.url}/__sim/clients`,
      postJson({ clientId: '800999', clientSecret: 'colissimo-api-key-late-0123' }),
    );
    expect(added.status).toBe(201);
    expect(
      (await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST, { apikey: 'colissimo-api-key-late-0123' }))
        .status,
    ).toBe(200);
  });

  it('applies the kit faults that reach APIs: outage and the skewed Date header', async () => {
    await sim.setFaults({ skewSeconds: 3600 });
    const skewed = await post(COLISSIMO_PATHS.checkGenerateLabel, LABEL_REQUEST);
    const dateMs = Date.parse(skewed.headers.get('date') ?? '');
    expect(dateMs - Date.now()).toBeGreaterThan(3500_000);
    await sim.setFaults({ outage: 'reset' });
    expect(
      await connectionError(`${sim.url}${COLISSIMO_PATHS.generateLabel}`, postJson(LABEL_REQUEST)),
    ).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    await sim.resetFaults();
    expect((await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST)).status).toBe(200);
    expect(() => sim.issueRefreshToken(CONTRACT.clientId)).toThrow(/no refresh tokens/);
  });
});
