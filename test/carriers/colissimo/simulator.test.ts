/**
 * @module test/carriers/colissimo/simulator
 * The Colissimo simulator speaks SLS: `apiKey` header authentication (and the deprecated body
 * credentials), 403 for a refused key, 422 for JSON it cannot read, 400 functional errors for the
 * request schema's hard requirements, all in the spec's `messages` shape; a generated label as
 * GenerateLabelV2Response with a parcel number and (as JSON, not multipart) a base64 PDF.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  colissimoExampleLabelRequest,
  COLISSIMO_PATHS,
  startColissimoSimulator,
} from '../../../carriers/colissimo/simulator.js';
import type { SimulatorHandle } from '../../../src/sim/index.js';
import { call, connectionError, postJson, type Reply } from '../../support/sim-http.js';

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

  it('generateLabel with the apiKey header: INFOS message, a parcel number and a base64 PDF label', async () => {
    const reply = await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    const body = reply.body as {
      messages: unknown[];
      labelV2Response: { parcelNumber: string; label: string };
    };
    expect(body.messages).toEqual([{ id: '0', type: 'INFOS', messageContent: expect.any(String) }]);
    expect(body.labelV2Response.parcelNumber).toMatch(/^6A\d{11}$/);
    expect(Buffer.from(body.labelV2Response.label, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const second = (await post(COLISSIMO_PATHS.generateLabel, LABEL_REQUEST)).body as typeof body;
    expect(second.labelV2Response.parcelNumber).not.toBe(body.labelV2Response.parcelNumber);
    expect(sim.stats()).toMatchObject({ apiRequests: 2, tokenRequests: 0, tokensIssued: 0 });
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
