/**
 * @module test/carriers/dhl-express/simulator
 * The DHL Express (MyDHL API) simulator speaks MyDHL: HTTP Basic with API key and secret on every
 * call, the required `x-version`, `Message-Reference` limits, errors in the spec's
 * supermodelIoLogisticsExpressErrorResponse shape (`status` a string, problem+json), the three
 * simulated operations on the production and test bases, and the kit's faults applied to API calls
 * (there is no token endpoint).
 */
import { randomUUID } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  DHL_EXPRESS_BASE_PATHS,
  DHL_EXPRESS_DEFAULT_FAULTS,
  DHL_EXPRESS_RESOURCES,
  DHL_EXPRESS_TEST_WAYBILLS,
  dhlExpressExampleShipment,
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../../carriers/dhl-express/simulator.js';
import { registerSecrets } from '../../support/log-capture.js';
import { basic, call, connectionError, postJson, type Reply } from '../../support/sim-http.js';

const CLIENT = { clientId: 'dhl-express-api-key', clientSecret: `dhl-express-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);

const PROD = DHL_EXPRESS_BASE_PATHS.production;
const TEST = DHL_EXPRESS_BASE_PATHS.test;
const WAYBILL = DHL_EXPRESS_TEST_WAYBILLS[0]!;
const PROBE = `${DHL_EXPRESS_RESOURCES.addressValidate}?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague`;

/** Headers every MyDHL call needs: Basic API key/secret and `x-version: 3.1.0`. */
function dhlHeaders(
  secret = CLIENT.clientSecret,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { authorization: basic(CLIENT.clientId, secret), 'x-version': '3.1.0', ...extra };
}

/** The spec's error body: exactly these keys, `status` a string equal to the HTTP status. */
function expectDhlError(reply: Reply, status: number, fields: Record<string, unknown> = {}): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  const body = reply.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['detail', 'instance', 'message', 'status', 'title']);
  expect(body).toMatchObject({ status: String(status), ...fields });
  for (const key of ['detail', 'instance', 'message', 'title']) expect(typeof body[key]).toBe('string');
}

describe('DHL Express (MyDHL API) simulator', () => {
  let dhl: DhlExpressSimulatorHandle;

  beforeEach(async () => {
    dhl = await startDhlExpressSimulator({ clients: [CLIENT] });
  });
  afterEach(() => dhl.close());

  const get = (path: string, headers: Record<string, string> = dhlHeaders()) =>
    call(`${dhl.url}${path}`, { headers });
  const ship = (body: unknown, base: string = PROD, headers: Record<string, string> = dhlHeaders()) =>
    call(`${dhl.url}${base}${DHL_EXPRESS_RESOURCES.shipments}`, postJson(body, headers));

  it('validates an address with Basic API key/secret and x-version, in the spec response shape', async () => {
    const reply = await get(`${PROD}${PROBE}`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.body).toEqual({
      address: [
        {
          countryCode: 'CZ',
          postalCode: '14800',
          cityName: 'PRAGUE',
          serviceArea: { code: 'PRA', description: 'PRAGUE-CZ', GMTOffset: '+00:00' },
        },
      ],
    });
    // No token endpoint: nothing counts as a token request.
    expect(dhl.stats()).toMatchObject({
      apiRequests: 1,
      apiRejections: 0,
      tokenRequests: 0,
      tokensIssued: 0,
    });
    expect(dhl.requests()).toEqual([
      expect.objectContaining({
        method: 'GET',
        environment: 'production',
        resource: '/address-validate',
        apiKey: CLIENT.clientId,
        authenticated: true,
        xVersion: '3.1.0',
        status: 200,
      }),
    ]);
  });

  it('serves the test environment base /mydhlapi/test as well', async () => {
    expect((await get(`${TEST}${PROBE}`)).status).toBe(200);
    expect(dhl.requests()[0]).toMatchObject({ environment: 'test', resource: '/address-validate' });
  });

  it('echoes the Message-Reference it was sent, generates one otherwise, and sends an Invocation-Id', async () => {
    const reference = randomUUID();
    const sent = await get(`${PROD}${PROBE}`, dhlHeaders(undefined, { 'message-reference': reference }));
    expect(sent.headers.get('message-reference')).toBe(reference);
    const generated = await get(`${PROD}${PROBE}`);
    expect(generated.headers.get('message-reference')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('invocation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('invocation-id')).not.toBe(sent.headers.get('invocation-id'));
  });

  it('answers 401 in the spec error shape for a wrong secret, an unknown key, no Basic and a malformed one', async () => {
    const attempts: Record<string, string>[] = [
      dhlHeaders('not-the-secret'),
      { authorization: basic('someone-else', CLIENT.clientSecret), 'x-version': '3.1.0' },
      { 'x-version': '3.1.0' },
      { authorization: 'Basic !!!', 'x-version': '3.1.0' },
      { authorization: `Bearer ${CLIENT.clientSecret}`, 'x-version': '3.1.0' },
    ];
    for (const headers of attempts) {
      const reply = await get(`${PROD}${PROBE}`, headers);
      expectDhlError(reply, 401, {
        title: 'Unauthorized',
        instance:
          '/expressapi/address_validate?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague',
      });
      expect(reply.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(JSON.stringify(reply.body)).not.toContain(CLIENT.clientSecret);
    }
    expect(dhl.stats()).toMatchObject({ apiRequests: 5, apiRejections: 5 });
    expect(dhl.requests().map((r) => r.authenticated)).toEqual([false, false, false, false, false]);
  });

  it('after rotateSecret the old secret gets 401 and the new one works', async () => {
    dhl.rotateSecret(CLIENT.clientId, 'rotated-secret-0001');
    expectDhlError(await get(`${PROD}${PROBE}`), 401);
    expect((await get(`${PROD}${PROBE}`, dhlHeaders('rotated-secret-0001'))).status).toBe(200);
    expect(dhl.stats().apiRejections).toBe(1);
  });

  it('requires x-version: missing is 400 "Missing mandatory parameters", another value 400 too', async () => {
    const missing = await get(`${PROD}${PROBE}`, {
      authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
    });
    expectDhlError(missing, 400, {
      title: 'Missing parameters',
      message: 'Bad request',
      detail: 'Missing mandatory parameters: x-version',
    });
    const other = await get(`${PROD}${PROBE}`, dhlHeaders(undefined, { 'x-version': '2.0' }));
    expectDhlError(other, 400, { detail: 'Parameters not having correct format: x-version' });
    // Credentials are checked first: without them the answer is 401 whatever the headers.
    expectDhlError(await get(`${PROD}${PROBE}`, {}), 401);
  });

  it('takes a Message-Reference of 1 to 36 characters and refuses 37 or an empty one', async () => {
    expect(
      (await get(`${PROD}${PROBE}`, dhlHeaders(undefined, { 'message-reference': 'x'.repeat(36) }))).status,
    ).toBe(200);
    const long = await get(`${PROD}${PROBE}`, dhlHeaders(undefined, { 'message-reference': 'x'.repeat(37) }));
    expectDhlError(long, 400, { detail: expect.stringContaining('Message-Reference') });
    const empty = await get(`${PROD}${PROBE}`, dhlHeaders(undefined, { 'message-reference': '' }));
    expectDhlError(empty, 400, { detail: expect.stringContaining('Message-Reference') });
  });

  it('checks the address-validate query parameters against the spec', async () => {
    const base = `${PROD}${DHL_EXPRESS_RESOURCES.addressValidate}`;
    expectDhlError(await get(`${base}?countryCode=CZ`), 400, {
      detail: 'Missing mandatory parameters: type',
    });
    expectDhlError(await get(`${base}?type=pickup`), 400, {
      detail: 'Missing mandatory parameters: countryCode',
    });
    expectDhlError(await get(`${base}?type=billing&countryCode=CZ`), 400);
    expectDhlError(await get(`${base}?type=pickup&countryCode=CZE`), 400);
    expectDhlError(await get(`${base}?type=pickup&countryCode=CZ&cityName=${'a'.repeat(46)}`), 400, {
      detail: 'Parameters not having correct format: cityName (maxLength=45)',
      instance: expect.stringMatching(/^\/expressapi\/address_validate\?/),
    });
    expect((await get(`${base}?type=pickup&countryCode=CZ&cityName=${'a'.repeat(45)}`)).status).toBe(200);
  });

  it('tracks the test waybills on both bases, with the levels of detail and views the spec lists', async () => {
    for (const base of [PROD, TEST]) {
      const reply = await get(`${base}${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}`);
      expect(reply.status).toBe(200);
      const [shipment] = (reply.body as { shipments: Record<string, unknown>[] }).shipments;
      expect(shipment).toMatchObject({
        shipmentTrackingNumber: WAYBILL,
        status: 'Success',
        productCode: 'P',
      });
      expect((shipment!['events'] as { typeCode: string }[]).map((e) => e.typeCode)).toEqual([
        'PU',
        'DF',
        'OK',
      ]);
      expect(shipment).not.toHaveProperty('pieces');
    }
    const last = await get(
      `${PROD}${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}?trackingView=last-checkpoint&levelOfDetail=all`,
    );
    const [shipment] = (last.body as { shipments: { events: { typeCode: string }[]; pieces: unknown[] }[] })
      .shipments;
    expect(shipment!.events.map((e) => e.typeCode)).toEqual(['OK']);
    expect(shipment!.pieces).toEqual([
      expect.objectContaining({
        number: 1,
        shipmentTrackingNumber: WAYBILL,
        trackingNumber: expect.any(String),
      }),
    ]);
  });

  it('answers 404 "No data found" for an unknown waybill and 400 "Wrong format" for a bad trackingView', async () => {
    const unknown = await get(`${PROD}${DHL_EXPRESS_RESOURCES.tracking('1234567890')}`);
    expectDhlError(unknown, 404, {
      detail: 'No data found',
      instance: '/expressapi/shipments/1234567890/tracking',
    });
    const bad = await get(`${PROD}${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}?trackingView=shipment-details`);
    expectDhlError(bad, 400, {
      title: 'Wrong format',
      instance: `/expressapi/shipments/${WAYBILL}/tracking?trackingView=shipment-details`,
      detail: expect.stringContaining('trackingView (valid parameters for trackingView are ['),
    });
    expectDhlError(
      await get(`${PROD}${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}?levelOfDetail=everything`),
      400,
    );
  });

  it('creates a shipment: 201, Location, a 10-digit number, piece IDs and a base64 PDF label', async () => {
    const reply = await ship(dhlExpressExampleShipment());
    expect(reply.status).toBe(201);
    const body = reply.body as {
      shipmentTrackingNumber: string;
      url: string;
      trackingUrl: string;
      packages: { referenceNumber: number; trackingNumber: string }[];
      documents: { imageFormat: string; typeCode: string; content: string }[];
    };
    expect(body.shipmentTrackingNumber).toMatch(/^\d{10}$/);
    expect(reply.headers.get('location')).toBe(`/shipments/${body.shipmentTrackingNumber}`);
    expect(body.url).toBe(`${dhl.url}${PROD}/shipments`);
    expect(body.trackingUrl).toBe(`${dhl.url}${PROD}/shipments/${body.shipmentTrackingNumber}/tracking`);
    expect(body.packages).toEqual([
      expect.objectContaining({ referenceNumber: 1, trackingNumber: expect.stringMatching(/^JD\d{18}$/) }),
    ]);
    expect(body.documents).toHaveLength(1);
    expect(body.documents[0]).toMatchObject({ imageFormat: 'PDF', typeCode: 'label' });
    expect(Buffer.from(body.documents[0]!.content, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(dhl.createdShipments()).toEqual([body.shipmentTrackingNumber]);

    // Trackable on the production base, with the route and pieces it was created with.
    const tracked = await get(
      `${PROD}${DHL_EXPRESS_RESOURCES.tracking(body.shipmentTrackingNumber)}?levelOfDetail=piece`,
    );
    expect(tracked.status).toBe(200);
    expect(tracked.body).toMatchObject({
      shipments: [
        {
          shipmentTrackingNumber: body.shipmentTrackingNumber,
          description: 'Books',
          shipperDetails: { postalAddress: { countryCode: 'CZ' } },
          receiverDetails: { postalAddress: { countryCode: 'DE' } },
          totalWeight: 1.5,
          events: [{ typeCode: 'PU' }],
          pieces: [{ trackingNumber: body.packages[0]!.trackingNumber, weight: 1.5 }],
        },
      ],
    });
  });

  it('on the test base, created shipments are not trackable (spec: only the listed waybills are loaded)', async () => {
    const created = await ship(dhlExpressExampleShipment(), TEST);
    expect(created.status).toBe(201);
    const number = (created.body as { shipmentTrackingNumber: string }).shipmentTrackingNumber;
    expect((created.body as { url: string }).url).toBe(`${dhl.url}${TEST}/shipments`);
    expectDhlError(await get(`${TEST}${DHL_EXPRESS_RESOURCES.tracking(number)}`), 404);
    expectDhlError(await get(`${PROD}${DHL_EXPRESS_RESOURCES.tracking(number)}`), 404);
  });

  it('refuses shipments without the required keys (422), without packages (422) or that are not JSON (400)', async () => {
    const noProduct = dhlExpressExampleShipment();
    delete noProduct['productCode'];
    expectDhlError(await ship(noProduct), 422, {
      title: 'Validation error',
      message: 'Unprocessable Entity',
      detail: '#: required key [productCode] not found',
      instance: '/expressapi/shipments',
    });
    const example = dhlExpressExampleShipment();
    const noPackages = { ...example, content: { ...(example['content'] as object), packages: [] } };
    expectDhlError(await ship(noPackages), 422, { detail: expect.stringContaining('#/content/packages') });
    const noCountry = structuredClone(example) as {
      customerDetails: { receiverDetails: { postalAddress: Record<string, unknown> } };
    };
    delete noCountry.customerDetails.receiverDetails.postalAddress['countryCode'];
    expectDhlError(await ship(noCountry), 422, {
      detail: '#/customerDetails/receiverDetails: required key [countryCode] not found',
    });
    const notJson = await call(`${dhl.url}${PROD}/shipments`, {
      method: 'POST',
      headers: { ...dhlHeaders(), 'content-type': 'application/json' },
      body: '{not json',
    });
    expectDhlError(notJson, 400);
    expect(dhl.createdShipments()).toEqual([]);
  });

  it('refuses (422) a past, malformed or far planned date, an unknown product or account, and dutiable goods without an export declaration', async () => {
    const example = dhlExpressExampleShipment();
    const content = example['content'] as Record<string, unknown>;
    const cases: [string, Record<string, unknown>][] = [
      [
        '#/plannedShippingDateAndTime: the planned shipping date is in the past',
        { plannedShippingDateAndTime: '2001-01-02T10:00:00 GMT+01:00' },
      ],
      ['#/plannedShippingDateAndTime: not a valid', { plannedShippingDateAndTime: 'tomorrow' }],
      [
        '#/plannedShippingDateAndTime: more than 10 days ahead',
        { plannedShippingDateAndTime: '2099-01-02T10:00:00 GMT+01:00' },
      ],
      ['#/productCode: unknown product Q', { productCode: 'Q' }],
      ['#/accounts: no valid shipper account number', { accounts: [{ typeCode: 'shipper', number: 'x' }] }],
      [
        '#/content: a dutiable shipment (isCustomsDeclarable true) requires exportDeclaration',
        { content: { ...content, isCustomsDeclarable: true } },
      ],
    ];
    for (const [detail, change] of cases) {
      expectDhlError(await ship({ ...example, ...change }), 422, { detail: expect.stringContaining(detail) });
    }
    expect(dhl.createdShipments()).toEqual([]);
  });

  it('answers 405 for a wrong method on a known resource and 404 for unknown paths', async () => {
    const wrong = await get(`${PROD}/shipments`);
    expectDhlError(wrong, 405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expectDhlError(await get(`${PROD}/landed-cost`), 404, { instance: '/expressapi/landed-cost' });
    expectDhlError(await get('/somewhere-else'), 404);
  });

  it('applies throttle and 5xx faults to API calls (the kit has no token endpoint to apply them to)', async () => {
    await dhl.setFaults({ throttle: { count: 1, retryAfterSeconds: 3 } });
    const throttled = await get(`${PROD}${PROBE}`);
    expectDhlError(throttled, 429, { title: 'Too Many Requests' });
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await get(`${PROD}${PROBE}`)).status).toBe(200);

    await dhl.setFaults({ throttle: { count: 1 } });
    expect((await get(`${PROD}${PROBE}`)).headers.get('retry-after')).toBeNull();

    await dhl.setFaults({ tokenServerErrors: 2, tokenServerErrorStatus: 500 });
    expectDhlError(await get(`${PROD}${PROBE}`), 500, { title: 'Internal Server Error' });
    await dhl.setFaults({ tokenServerErrorStatus: 503 });
    expectDhlError(await get(`${PROD}${PROBE}`), 503, { title: 'Service Unavailable' });
    expect((await get(`${PROD}${PROBE}`)).status).toBe(200);
    expect(dhl.faults).toMatchObject({ throttle: { count: 0 }, tokenServerErrors: 0 });
    expect(dhl.stats().tokenRequests).toBe(0);
  });

  it('applies API latency and outages through the kit', async () => {
    await dhl.setFaults({ apiLatencyMs: 150 });
    const started = Date.now();
    expect((await get(`${PROD}${PROBE}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    await dhl.setFaults({ apiLatencyMs: 0, outage: 'refuse' });
    expect(await connectionError(`${dhl.url}${PROD}${PROBE}`, { headers: dhlHeaders() })).toBe(
      'ECONNREFUSED',
    );
    await dhl.setFaults({ outage: 'reset' });
    expect(await connectionError(`${dhl.url}${PROD}${PROBE}`, { headers: dhlHeaders() })).toMatch(
      /ECONNRESET|UND_ERR_SOCKET/,
    );
    expect(dhl.stats().connectionsReset).toBe(1);
    await dhl.resetFaults();
    expect((await get(`${PROD}${PROBE}`)).status).toBe(200);
  });

  it('has no tokens: issueRefreshToken throws, issuedTokens is empty, defaults carry no lifetime', () => {
    expect(() => dhl.issueRefreshToken(CLIENT.clientId)).toThrow(/no refresh tokens/);
    expect(dhl.issuedTokens()).toEqual([]);
    expect(DHL_EXPRESS_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(0);
    expect(Object.isFrozen(DHL_EXPRESS_DEFAULT_FAULTS)).toBe(true);
  });

  it('rotates a secret through the /__sim control API too', async () => {
    const rotated = await call(
      `${dhl.url}/__sim/rotate-secret`,
      postJson({ clientId: CLIENT.clientId, newSecret: 'via-control-0001' }),
    );
    expect(rotated.status).toBe(200);
    expectDhlError(await get(`${PROD}${PROBE}`), 401);
    expect((await get(`${PROD}${PROBE}`, dhlHeaders('via-control-0001'))).status).toBe(200);
    const refresh = await call(`${dhl.url}/__sim/refresh-tokens`, postJson({ clientId: CLIENT.clientId }));
    expect(refresh.status).toBe(404);
  });
});
