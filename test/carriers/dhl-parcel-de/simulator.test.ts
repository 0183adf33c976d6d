/**
 * @module test/carriers/dhl-parcel-de/simulator
 * The DHL Parcel DE simulator speaks Parcel DE: the ROPC password grant with everything in the
 * form body, short opaque tokens with an integer expires_in of 1799, `/hello` token info, the
 * Shipping API's problem+json RequestStatus errors, the old dhl-api-key + Basic scheme and the
 * refusal to mix it with a Bearer token, and the shared faults in DHL's shapes.
 */
import { describe, expect, it } from 'vitest';

import {
  DHL_PARCEL_DE_DEFAULT_FAULTS,
  DHL_PARCEL_DE_PATHS,
  DHL_PARCEL_DE_SANDBOX_USER,
  startDhlParcelDeSimulator,
} from '../../../carriers/dhl-parcel-de/simulator.js';
import {
  basic,
  call,
  connectionError,
  form,
  postJson,
  simulatorPerTest,
  type Reply,
} from '../../support/sim-http.js';

const CLIENT = { clientId: 'dhl-app-key', clientSecret: 'dhl-app-secret' };
const USER = DHL_PARCEL_DE_SANDBOX_USER;
const FIELDS = {
  grant_type: 'password',
  client_id: CLIENT.clientId,
  client_secret: CLIENT.clientSecret,
  username: USER.username,
  password: USER.password,
};
const PROBLEM = 'application/problem+json';
/** The smallest order the Shipping API's request schema accepts, plus a refNo to echo. */
const ORDER = {
  profile: 'STANDARD_GRUPPENPROFIL',
  shipments: [{ product: 'V01PAK', refNo: 'Order No. 1234', details: { weight: { uom: 'g', value: 500 } } }],
};

describe('DHL Parcel DE simulator', () => {
  const { sim: dhl, clock } = simulatorPerTest((clock) =>
    startDhlParcelDeSimulator({ clients: [CLIENT], clock }),
  );

  const tokenRequest = (fields: Record<string, string> = FIELDS, headers: Record<string, string> = {}) =>
    call(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, form(fields, headers));
  const accessToken = async () => ((await tokenRequest()).body as { access_token: string }).access_token;
  const hello = (headers: Record<string, string>) =>
    call(`${dhl.url}${DHL_PARCEL_DE_PATHS.hello}`, { headers });
  const order = (token: string, body: unknown = ORDER, query = '') =>
    call(
      `${dhl.url}${DHL_PARCEL_DE_PATHS.orders}${query}`,
      postJson(body, { authorization: `Bearer ${token}` }),
    );

  /** RequestStatus as problem+json (parcel-de-shipping-v2_2.yaml components.responses). */
  function expectRequestStatus(reply: Reply, status: number, instance: string): void {
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toBe(PROBLEM);
    expect(reply.body).toEqual({
      title: expect.any(String),
      status,
      statusCode: status,
      instance,
      detail: expect.any(String),
    });
    expect((reply.body as { detail: string }).detail.length).toBeLessThanOrEqual(80);
  }

  it('issues an opaque Bearer token of at most 50 characters with integer expires_in 1799', async () => {
    const reply = await tokenRequest();
    expect(reply.status).toBe(200);
    const body = reply.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 1799 });
    expect(body['access_token']).toMatch(/^[A-Za-z0-9]{28}$/);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(DHL_PARCEL_DE_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(1799);
    expect(dhl.isAccessTokenValid(body['access_token'] as string)).toBe(true);
    expect(await accessToken()).not.toBe(body['access_token']);
    expect(dhl.stats()).toMatchObject({
      tokenRequests: 2,
      tokensIssued: 2,
      tokenRequestsByClient: { [CLIENT.clientId]: 2 },
    });
  });

  it.each([
    ['a wrong client secret', { ...FIELDS, client_secret: 'nope' }, {}, 401, 'invalid_client'],
    ['an unknown client id', { ...FIELDS, client_id: 'nobody' }, {}, 401, 'invalid_client'],
    ['a wrong GKP password', { ...FIELDS, password: 'wrong' }, {}, 401, 'invalid_grant'],
    ['an unknown GKP user', { ...FIELDS, username: 'someone-else' }, {}, 401, 'invalid_grant'],
    [
      'grant_type client_credentials',
      { ...FIELDS, grant_type: 'client_credentials' },
      {},
      400,
      'unsupported_grant_type',
    ],
    ['no grant_type', { ...FIELDS, grant_type: '' }, {}, 400, 'invalid_request'],
    ['no GKP username', { ...FIELDS, username: '' }, {}, 400, 'invalid_request'],
    ['no client secret', { ...FIELDS, client_secret: '' }, {}, 400, 'invalid_request'],
    [
      'a Basic header on top of the body',
      FIELDS,
      { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      400,
      'invalid_request',
    ],
  ])('answers %s with an RFC 6749 body (%#)', async (_name, fields, headers, status, error) => {
    const reply = await tokenRequest(fields, headers);
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error, error_description: expect.any(String) });
    expect(dhl.stats().tokensIssued).toBe(0);
  });

  it('refuses a JSON body (the spec declares form encoding only) and anything but POST', async () => {
    const asJson = await call(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, postJson(FIELDS));
    expect(asJson.status).toBe(400);
    expect(asJson.body).toMatchObject({ error: 'invalid_request' });
    expectRequestStatus(await call(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`), 405, DHL_PARCEL_DE_PATHS.token);
  });

  it('knows only the configured GKP users; the sandbox example user by default', async () => {
    const custom = await startDhlParcelDeSimulator({
      clients: [CLIENT],
      users: [{ username: 'gkp-shop', password: 'gkp-shop-pw' }],
    });
    try {
      const url = `${custom.url}${DHL_PARCEL_DE_PATHS.token}`;
      expect((await call(url, form(FIELDS))).body).toMatchObject({ error: 'invalid_grant' });
      const own = await call(url, form({ ...FIELDS, username: 'gkp-shop', password: 'gkp-shop-pw' }));
      expect(own.status).toBe(200);
    } finally {
      await custom.close();
    }
    expect((await tokenRequest()).status).toBe(200);
  });

  it('the old secret is refused after rotateSecret, with invalid_client', async () => {
    dhl.rotateSecret(CLIENT.clientId, 'rotated-secret');
    expect((await tokenRequest()).body).toMatchObject({ error: 'invalid_client' });
    expect((await tokenRequest({ ...FIELDS, client_secret: 'rotated-secret' })).status).toBe(200);
  });

  it('/hello returns accesstoken-info for a valid token, never a password', async () => {
    const token = await accessToken();
    clock.advance(99_000);
    const reply = await hello({ authorization: `Bearer ${token}` });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      'accesstoken-info': {
        expires_in_s: 1700,
        id_of_app_developer: expect.stringMatching(/@@@/),
        name_of_registered_app: expect.any(String),
        name_of_apiproduct: 'pp-account-auth-ropc',
      },
      'gkp-info': { gkp_user: USER.username, gkp_ekp: expect.stringMatching(/^\d{10}$/) },
    });
    expect(JSON.stringify(reply.body)).not.toContain(USER.password);
  });

  it('/hello: 401 RequestStatus for no credentials, an unknown token and an expired one', async () => {
    const path = DHL_PARCEL_DE_PATHS.hello;
    expectRequestStatus(await hello({}), 401, path);
    expectRequestStatus(await hello({ authorization: 'Bearer UtN71yyK8y8tuargZzmttyx8Y7Lp' }), 401, path);
    const token = await accessToken();
    clock.advance(1799 * 1000);
    expectRequestStatus(await hello({ authorization: `Bearer ${token}` }), 401, path);
    expect(dhl.stats()).toMatchObject({ apiRequests: 3, apiRejections: 3 });
  });

  it('accepts the old dhl-api-key + Basic scheme, but not dhl-api-key next to a Bearer token', async () => {
    const legacy = await hello({
      'dhl-api-key': CLIENT.clientId,
      authorization: basic(USER.username, USER.password),
    });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual({ 'gkp-info': { gkp_user: USER.username, gkp_ekp: expect.any(String) } });
    const wrongPassword = await hello({
      'dhl-api-key': CLIENT.clientId,
      authorization: basic(USER.username, 'x'),
    });
    expectRequestStatus(wrongPassword, 401, DHL_PARCEL_DE_PATHS.hello);

    const token = await accessToken();
    const mixed = await hello({ 'dhl-api-key': CLIENT.clientId, authorization: `Bearer ${token}` });
    expectRequestStatus(mixed, 401, DHL_PARCEL_DE_PATHS.hello);
    expect((mixed.body as { detail: string }).detail).toMatch(/not both/);
    // The same on the Shipping API, and the token itself stays good.
    const mixedOrder = await call(
      `${dhl.url}${DHL_PARCEL_DE_PATHS.orders}`,
      postJson(ORDER, { 'dhl-api-key': CLIENT.clientId, authorization: `Bearer ${token}` }),
    );
    expectRequestStatus(mixedOrder, 401, DHL_PARCEL_DE_PATHS.orders);
    expect((await hello({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('serves both version resources without authentication', async () => {
    const auth = await call(`${dhl.url}${DHL_PARCEL_DE_PATHS.authVersion}`);
    expect(auth.status).toBe(200);
    const amp = (auth.body as { amp: { name: string; version: string } }).amp;
    expect(amp.name).toBe('pp-account-auth-ropc');
    // pp-account-auth-ropc_0.yaml GET / amp.version pattern.
    expect(amp.version).toMatch(/^v\d{1,2}\.\d{1,2}(\.\d{1,2}){0,1}$/);
    const shipping = await call(`${dhl.url}/parcel/de/shipping/v2`);
    expect(shipping.status).toBe(200);
    expect(shipping.body).toMatchObject({ amp: { name: 'pp-parcel-shipping-native' }, backend: {} });
  });

  it('POST /orders: a shipment number and a base64 PDF label per shipment; 207 for several', async () => {
    const token = await accessToken();
    const one = await order(token);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/json');
    const body = one.body as {
      status: { status: number; statusCode: number };
      items: {
        shipmentNo: string;
        shipmentRefNo: string;
        sstatus: unknown;
        label: { b64: string; fileFormat: string };
      }[];
    };
    expect(body.status).toMatchObject({ title: 'OK', status: 200, statusCode: 200 });
    expect(body.items).toHaveLength(1);
    const [item] = body.items;
    expect(item!.shipmentNo).toMatch(/^340434\d{12}$/);
    expect(item!.shipmentRefNo).toBe('Order No. 1234');
    expect(item!.sstatus).toEqual({ title: 'OK', status: 200, statusCode: 200 });
    expect(item!.label.fileFormat).toBe('PDF');
    expect(Buffer.from(item!.label.b64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

    const two = await order(token, { ...ORDER, shipments: [...ORDER.shipments, { product: 'V62KP' }] });
    expect(two.status).toBe(207);
    const numbers = (two.body as typeof body).items.map((i) => i.shipmentNo);
    expect(new Set(numbers).size).toBe(2);

    const dryRun = await order(token, ORDER, '?validate=true');
    expect(dryRun.status).toBe(200);
    expect((dryRun.body as { items: unknown[] }).items).toEqual([
      { sstatus: { title: 'OK', status: 200, statusCode: 200 }, validationMessages: [] },
    ]);
  });

  it('POST /orders: 400 LabelDataResponse for a body the schema refuses; 401 without a token; 404 elsewhere', async () => {
    const token = await accessToken();
    const bad = await order(token, {
      profile: 'STANDARD_GRUPPENPROFIL',
      shipments: [{ details: { weight: { uom: 'lb', value: 1 } } }],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe(PROBLEM);
    expect(bad.body).toMatchObject({
      status: { title: 'Bad Request', status: 400, statusCode: 400 },
      items: [
        { validationMessages: [{ property: 'shipments[0].details.weight', validationState: 'Error' }] },
      ],
    });
    const empty = await order(token, { profile: 'x', shipments: [] });
    expect(empty.body).toMatchObject({ items: [{ validationMessages: [{ property: 'shipments' }] }] });

    const noToken = await call(`${dhl.url}${DHL_PARCEL_DE_PATHS.orders}`, postJson(ORDER));
    expectRequestStatus(noToken, 401, DHL_PARCEL_DE_PATHS.orders);
    const elsewhere = await call(`${dhl.url}/parcel/de/shipping/v2/nothing`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expectRequestStatus(elsewhere, 404, '/parcel/de/shipping/v2/nothing');
  });

  it('POST /orders outside the EU: CustomsDetails required and checked, as the spec writes them', async () => {
    const token = await accessToken();
    const consignee = {
      name1: 'Joe Black',
      addressStreet: '10 Downing Street',
      city: 'London',
      country: 'GBR',
    };
    const customs = {
      exportType: 'COMMERCIAL_GOODS',
      postalCharges: { currency: 'EUR', value: 1 },
      items: [
        {
          itemDescription: 'Red T-Shirt',
          packagedQuantity: 1,
          hsCode: '123456',
          countryOfOrigin: 'FRA',
          itemValue: { currency: 'EUR', value: 10 },
          itemWeight: { uom: 'g', value: 400 },
        },
      ],
    };
    const withCustoms = (changed: Record<string, unknown> | undefined) => ({
      profile: 'STANDARD_GRUPPENPROFIL',
      shipments: [
        {
          product: 'V53WPAK',
          consignee,
          details: { weight: { uom: 'g', value: 500 } },
          ...(changed === undefined ? {} : { customs: changed }),
        },
      ],
    });
    // The spec's own DHLPaketInternationalWithCustoms values are accepted.
    expect((await order(token, withCustoms(customs))).status).toBe(200);
    const refused: [Record<string, unknown> | undefined, string][] = [
      [undefined, 'shipments[0].customs'],
      [{ ...customs, exportType: 'GIFT' }, 'shipments[0].customs.exportType'],
      [{ ...customs, exportType: 'OTHER' }, 'shipments[0].customs.exportDescription'],
      [{ ...customs, postalCharges: undefined }, 'shipments[0].customs.postalCharges'],
      [
        { ...customs, postalCharges: { currency: 'USD', value: 1 } },
        'shipments[0].customs.items[0].itemValue.currency',
      ],
      [{ ...customs, items: [] }, 'shipments[0].customs.items'],
      [
        { ...customs, items: [{ ...customs.items[0], itemWeight: undefined }] },
        'shipments[0].customs.items[0].itemWeight',
      ],
      [
        { ...customs, items: [{ ...customs.items[0], hsCode: '12345' }] },
        'shipments[0].customs.items[0].hsCode',
      ],
      [
        { ...customs, items: [{ ...customs.items[0], countryOfOrigin: 'FR' }] },
        'shipments[0].customs.items[0].countryOfOrigin',
      ],
    ];
    for (const [changed, property] of refused) {
      const reply = await order(token, withCustoms(changed));
      expect(reply.status, property).toBe(400);
      expect(reply.body, property).toMatchObject({ items: [{ validationMessages: [{ property }] }] });
    }
    // Inside the EU none are needed.
    const toVienna = withCustoms(undefined);
    toVienna.shipments[0]!.consignee = { ...consignee, city: 'Wien', country: 'AUT' };
    expect((await order(token, toVienna)).status).toBe(200);
    expect(dhl.stats().labelsCreated).toBe(2);
  });

  it('premature expiry: the API refuses a token long before its expires_in', async () => {
    await dhl.setFaults({ prematureExpirySeconds: 60 });
    const token = await accessToken();
    expect((await order(token)).status).toBe(200);
    clock.advance(60_000);
    expectRequestStatus(await order(token), 401, DHL_PARCEL_DE_PATHS.orders);
    expect(dhl.isAccessTokenValid(token)).toBe(false);
  });

  it('fault bodies: 429 and 5xx as RequestStatus problem+json, 200 with an RFC 6749 error', async () => {
    await dhl.setFaults({ throttle: { count: 2, retryAfterSeconds: 7 }, tokenServerErrors: 2 });
    const throttled = await tokenRequest();
    expectRequestStatus(throttled, 429, DHL_PARCEL_DE_PATHS.token);
    expect(throttled.headers.get('retry-after')).toBe('7');
    await dhl.setFaults({ throttle: { count: 1 } });
    expect((await tokenRequest()).headers.get('retry-after')).toBeNull();

    expectRequestStatus(await tokenRequest(), 503, DHL_PARCEL_DE_PATHS.token);
    await dhl.setFaults({ tokenServerErrorStatus: 500 });
    expectRequestStatus(await tokenRequest(), 500, DHL_PARCEL_DE_PATHS.token);

    await dhl.setFaults({ errorInSuccessBody: true });
    const lying = await tokenRequest();
    expect(lying.status).toBe(200);
    expect(lying.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(dhl.stats()).toMatchObject({ tokenRequests: 5, tokensIssued: 0 });
    await dhl.resetFaults();
    expect((await tokenRequest()).status).toBe(200);
  });

  it('lifetime, skew and latency faults apply to DHL tokens', async () => {
    await dhl.setFaults({ tokenLifetimeSeconds: 120, skewSeconds: 600, tokenLatencyMs: 60 });
    const started = Date.now();
    const reply = await tokenRequest();
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(reply.body).toMatchObject({ expires_in: 120 });
    expect(Date.parse(reply.headers.get('date') ?? '')).toBeGreaterThan(clock() + 590_000);
    const token = (reply.body as { access_token: string }).access_token;
    clock.advance(120_000);
    expect(dhl.isAccessTokenValid(token)).toBe(false);
  });

  it('outages: reset connections, then refused ones, and back on the same port', async () => {
    await dhl.setFaults({ outage: 'reset' });
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(
      await connectionError(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, form(FIELDS)),
    );
    await dhl.setFaults({ outage: 'refuse' });
    expect(await connectionError(`${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, form(FIELDS))).toBe(
      'ECONNREFUSED',
    );
    await dhl.setFaults({ outage: 'none' });
    expect((await tokenRequest()).status).toBe(200);
    expect(dhl.stats().connectionsReset).toBe(1);
  });

  it('is steered through /__sim/*, and has no refresh tokens to seed', async () => {
    const patch = await call(`${dhl.url}/__sim/faults`, postJson({ throttle: { count: 1 } }));
    expect(patch.status).toBe(200);
    expect((await tokenRequest()).status).toBe(429);
    const seed = await call(`${dhl.url}/__sim/refresh-tokens`, postJson({ clientId: CLIENT.clientId }));
    expect(seed.status).toBe(404);
    expect(() => dhl.issueRefreshToken(CLIENT.clientId)).toThrow(/no refresh tokens/);
  });
});
