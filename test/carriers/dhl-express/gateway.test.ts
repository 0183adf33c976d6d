/**
 * @module test/carriers/dhl-express/gateway
 *
 * Owns the proof that the `dhl-express` adapter (carriers/dhl-express: static HTTP Basic with the
 * API key and secret, required `x-version`, a `Message-Reference` per request) works through a real
 * embedded-mode gateway against the MyDHL simulator: proxied address-validate, tracking and
 * shipment calls succeed and reach DHL with the right headers; after a secret rotation the client
 * gets DHL's 401 as it was sent, the call is not retried, and the account status says
 * `credentials_rejected`; the configuration refuses token-endpoint settings on such an account; and
 * no secret appears in any response or in the account status. Each scenario has its own account
 * (and, where it rotates, its own DHL API key), so rejections do not leak between them.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  DHL_EXPRESS_RESOURCES,
  DHL_EXPRESS_TEST_WAYBILLS,
  dhlExpressExampleShipment,
  startDhlExpressSimulator,
  type DhlExpressRequestRecord,
  type DhlExpressSimulatorHandle,
} from '../../../carriers/dhl-express/simulator.js';
import type { Gateway } from '../../../src/gateway.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { registerSecrets } from '../../support/log-capture.js';
import { closeTestGateways, startTestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `dhlx-shop-key-${randomUUID()}`;
const DHL = { clientId: 'dhlx-api-key-0001', clientSecret: `dhlx-api-secret-${randomUUID()}` };
/** A second DHL API key, only for the rotation scenario. */
const ROTATING = { clientId: 'dhlx-api-key-0002', clientSecret: `dhlx-api-secret-${randomUUID()}` };
const NEW_SECRET = `dhlx-rotated-secret-${randomUUID()}`;
const basicValue = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');
const SECRETS = [
  CLIENT_KEY,
  DHL.clientSecret,
  ROTATING.clientSecret,
  NEW_SECRET,
  basicValue(DHL.clientId, DHL.clientSecret),
  basicValue(ROTATING.clientId, ROTATING.clientSecret),
];
registerSecrets(...SECRETS);

const WAYBILL = DHL_EXPRESS_TEST_WAYBILLS[0]!;
const PROBE = `${DHL_EXPRESS_RESOURCES.addressValidate}?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague`;
const TRACK = DHL_EXPRESS_RESOURCES.tracking(WAYBILL);
/** RFC 9110 5.6.7 IMF-fixdate, what `Date#toUTCString` prints. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

function dhlAccount(id: string, api: string, credentials: { clientId: string; clientSecret: string } = DHL) {
  return { id, carrier: 'dhl-express', urls: { api }, credentials: { ...credentials } };
}

describe('dhl-express adapter through the gateway', () => {
  let sim: DhlExpressSimulatorHandle;
  let gateway: Gateway;
  let base = '';

  beforeAll(async () => {
    sim = await startDhlExpressSimulator({ clients: [DHL, ROTATING] });
    const production = `${sim.url}/mydhlapi`;
    const accounts = [
      dhlAccount('dhlx', production),
      dhlAccount('dhlx-test-env', `${sim.url}/mydhlapi/test`),
      dhlAccount('dhlx-ship', production),
      dhlAccount('dhlx-rotate', production, ROTATING),
      dhlAccount('dhlx-faults', production),
    ];
    ({ gateway, url: base } = await startTestGateway({
      name: 'dhl-express',
      clientKey: CLIENT_KEY,
      accounts,
    }));
  });

  afterEach(async () => {
    await sim.resetFaults();
  });

  afterAll(async () => {
    await closeTestGateways();
    await sim?.close();
  });

  /** Any text the gateway answered must hold none of the secrets nor a Basic value made from them. */
  function expectNoSecrets(wire: string, what: string): void {
    for (const secret of SECRETS) expect(wire.includes(secret), `a secret in ${what}`).toBe(false);
  }

  /** A shop's call through the proxy; every answer is checked for secrets on the spot. */
  async function proxied(account: string, path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await fetch(`${base}/v1/carriers/${account}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${CLIENT_KEY}`, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    expectNoSecrets(`${[...response.headers].map(([n, v]) => `${n}: ${v}`).join('\n')}\n\n${text}`, path);
    return {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text) as Record<string, unknown>,
    };
  }

  /** What the simulator recorded for the most recent call. */
  const lastSeen = (): DhlExpressRequestRecord => sim.requests().at(-1)!;

  it('GET /address-validate: Basic with the API key and secret, x-version 3.1.0, a fresh Message-Reference', async () => {
    const reply = await proxied('dhlx', PROBE);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      address: [{ countryCode: 'CZ', postalCode: '14800', cityName: 'PRAGUE' }],
    });
    const seen = lastSeen();
    // `authenticated` is the simulator's own check of the Basic password against the registered secret.
    expect(seen).toMatchObject({
      method: 'GET',
      environment: 'production',
      resource: '/address-validate',
      query: 'type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague',
      apiKey: DHL.clientId,
      authenticated: true,
      xVersion: '3.1.0',
      status: 200,
    });
    expect(seen.messageReference).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.messageReferenceDate).toMatch(HTTP_DATE);
    expect(Math.abs(Date.parse(seen.messageReferenceDate!) - Date.now())).toBeLessThan(60_000);
    // DHL's answer comes back with DHL's echo of the reference the gateway generated.
    expect(reply.headers.get('message-reference')).toBe(seen.messageReference);
    expect((await gateway.engine.manager('dhlx').status()).state).toBe('ok');
  });

  it('GET /shipments/{n}/tracking: each request gets its own Message-Reference', async () => {
    const first = await proxied('dhlx', TRACK);
    const firstSeen = lastSeen();
    const second = await proxied('dhlx', `${TRACK}?trackingView=last-checkpoint`);
    const secondSeen = lastSeen();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ shipments: [{ shipmentTrackingNumber: WAYBILL, status: 'Success' }] });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ shipments: [{ events: [{ typeCode: 'OK' }] }] });
    expect(firstSeen).toMatchObject({ resource: TRACK, authenticated: true, xVersion: '3.1.0' });
    expect(secondSeen).toMatchObject({ resource: TRACK, query: 'trackingView=last-checkpoint' });
    expect(firstSeen.messageReference).toMatch(/^[0-9a-f-]{36}$/);
    expect(secondSeen.messageReference).toMatch(/^[0-9a-f-]{36}$/);
    expect(secondSeen.messageReference).not.toBe(firstSeen.messageReference);
  });

  it("keeps the client's own Message-Reference (and date) and passes other MyDHL headers through", async () => {
    const reference = `shop-order-${randomUUID().slice(0, 8)}`;
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const reply = await proxied('dhlx', PROBE, {
      headers: {
        'Message-Reference': reference,
        'Message-Reference-Date': date,
        'Plugin-Name': 'shop-plugin',
      },
    });
    expect(reply.status).toBe(200);
    expect(lastSeen()).toMatchObject({
      messageReference: reference,
      messageReferenceDate: date,
      pluginName: 'shop-plugin',
      apiKey: DHL.clientId,
      authenticated: true,
    });
    expect(reply.headers.get('message-reference')).toBe(reference);
  });

  it('the test-environment base /mydhlapi/test works the same way', async () => {
    const reply = await proxied('dhlx-test-env', TRACK);
    expect(reply.status).toBe(200);
    expect(lastSeen()).toMatchObject({ environment: 'test', resource: TRACK, authenticated: true });
  });

  it('POST /shipments: 201 with Location, the shipment number and a base64 PDF label, then trackable', async () => {
    const reply = await proxied('dhlx-ship', DHL_EXPRESS_RESOURCES.shipments, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dhlExpressExampleShipment()),
    });
    expect(reply.status).toBe(201);
    const number = reply.body['shipmentTrackingNumber'] as string;
    expect(number).toMatch(/^\d{10}$/);
    expect(reply.headers.get('location')).toBe(`/shipments/${number}`);
    const [label] = reply.body['documents'] as { typeCode: string; content: string }[];
    expect(label!.typeCode).toBe('label');
    expect(Buffer.from(label!.content, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(lastSeen()).toMatchObject({
      method: 'POST',
      resource: '/shipments',
      authenticated: true,
      xVersion: '3.1.0',
    });

    const tracked = await proxied('dhlx-ship', DHL_EXPRESS_RESOURCES.tracking(number));
    expect(tracked.status).toBe(200);
    expect(tracked.body).toMatchObject({ shipments: [{ shipmentTrackingNumber: number }] });
  });

  it("after rotateSecret: DHL's 401 reaches the client as sent, once, and the status says credentials_rejected", async () => {
    expect((await proxied('dhlx-rotate', PROBE)).status).toBe(200);
    sim.rotateSecret(ROTATING.clientId, NEW_SECRET);
    const before = sim.stats();
    const requestsBefore = sim.requests().length;

    const reply = await proxied('dhlx-rotate', PROBE);
    expect(reply.status).toBe(401);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    // DHL's own body, passed through untouched (not a gateway problem document).
    expect(reply.body).toEqual({
      instance: '/expressapi/address_validate?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague',
      title: 'Unauthorized',
      message: 'Unauthorized',
      detail: expect.any(String),
      status: '401',
    });
    // Not retried: exactly one call reached DHL, and it was the one rejected.
    const after = sim.stats();
    expect(after.apiRequests - before.apiRequests).toBe(1);
    expect(after.apiRejections - before.apiRejections).toBe(1);
    expect(sim.requests().slice(requestsBefore)).toEqual([
      expect.objectContaining({ apiKey: ROTATING.clientId, authenticated: false, status: 401 }),
    ]);

    const status = await gateway.engine.manager('dhlx-rotate').status();
    expect(status).toMatchObject({
      account: 'dhlx-rotate',
      carrier: 'dhl-express',
      state: 'credentials_rejected',
      store: 'static',
      token: null,
      credentialRejections: 1,
    });
    expect(Date.parse(status.lastCredentialRejectionAt!)).not.toBeNaN();
    expectNoSecrets(JSON.stringify(status), 'the account status');

    // A POST is rejected and counted the same way, still with one call per request.
    const posted = await proxied('dhlx-rotate', DHL_EXPRESS_RESOURCES.shipments, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dhlExpressExampleShipment()),
    });
    expect(posted.status).toBe(401);
    expect(sim.stats().apiRequests - before.apiRequests).toBe(2);

    const accounts = await fetch(`${base}/v1/accounts`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    const text = await accounts.text();
    expect(accounts.status).toBe(200);
    expectNoSecrets(text, 'GET /v1/accounts');
    const listed = (JSON.parse(text) as { accounts: Record<string, unknown>[] }).accounts;
    expect(listed.find((account) => account['account'] === 'dhlx-rotate')).toMatchObject({
      state: 'credentials_rejected',
      credentialRejections: 2,
      token: null,
    });
    // The other accounts on the old, still valid key are untouched.
    expect(listed.find((account) => account['account'] === 'dhlx')).toMatchObject({
      state: 'ok',
      credentialRejections: 0,
    });
  });

  it('429 and 5xx from DHL pass through as they are and are not counted as credential rejections', async () => {
    await sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 7 } });
    const throttled = await proxied('dhlx-faults', PROBE);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body).toMatchObject({ status: '429', title: 'Too Many Requests' });

    await sim.setFaults({ tokenServerErrors: 1, tokenServerErrorStatus: 500 });
    const failed = await proxied('dhlx-faults', TRACK);
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ status: '500', title: 'Internal Server Error' });

    expect((await proxied('dhlx-faults', PROBE)).status).toBe(200);
    expect(await gateway.engine.manager('dhlx-faults').status()).toMatchObject({
      state: 'ok',
      credentialRejections: 0,
    });
  });

  it('DHL unreachable is ERR_CARRIER_UNREACHABLE, without any secret in the problem', async () => {
    await sim.setFaults({ outage: 'reset' });
    const reply = await proxied('dhlx-faults', PROBE);
    expect(reply.status).toBe(502);
    expect(reply.body).toMatchObject({ code: 'ERR_CARRIER_UNREACHABLE', account: 'dhlx-faults' });
  });
});

describe('dhl-express account configuration', () => {
  const api = 'http://127.0.0.1:9/mydhlapi';

  /** The error createGateway throws for one dhl-express account with `extra` merged in. */
  async function configError(extra: Record<string, unknown>): Promise<{ code: string; message: string }> {
    const account = { ...dhlAccount('dhlx-config', api), ...extra };
    try {
      const gw = await startTestGateway({
        name: 'dhl-express-config',
        clientKey: CLIENT_KEY,
        accounts: [account],
        listen: false,
      });
      await gw.close();
    } catch (error) {
      expect(isGatewayError(error)).toBe(true);
      const { code, message } = error as { code: string; message: string };
      expectNoSecret(message);
      return { code, message };
    }
    throw new Error(`expected ${JSON.stringify(Object.keys(extra))} to be refused`);
  }

  function expectNoSecret(text: string): void {
    for (const secret of SECRETS) expect(text.includes(secret)).toBe(false);
  }

  it('refuses urls.token, urls.refresh, grant, refresh and token blocks, naming the key', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ urls: { api, token: 'http://127.0.0.1:9/token' } }, /accounts\[0\]\.urls: .*no token endpoint/],
      [{ urls: { api, refresh: 'http://127.0.0.1:9/refresh' } }, /accounts\[0\]\.urls: .*no token endpoint/],
      [{ grant: 'client_credentials' }, /accounts\[0\]\.grant: DHL Express has no token endpoint/],
      [{ refresh: { marginSeconds: 60 } }, /accounts\[0\]\.refresh: DHL Express has no token endpoint/],
      [{ token: { clockToleranceSeconds: 5 } }, /accounts\[0\]\.token: DHL Express has no token endpoint/],
    ];
    for (const [extra, pattern] of cases) {
      const error = await configError(extra);
      expect(error.code).toBe('ERR_CONFIG_INVALID');
      expect(error.message).toMatch(pattern);
    }
  });

  it('requires the API secret and refuses an API key containing ":" (HTTP Basic)', async () => {
    const noSecret = await configError({ credentials: { clientId: DHL.clientId } });
    expect(noSecret.message).toMatch(/accounts\[0\]\.credentials\.clientSecret: required for DHL Express/);
    const colon = await configError({
      credentials: { clientId: 'key:part', clientSecret: DHL.clientSecret },
    });
    expect(colon.message).toMatch(/accounts\[0\]\.credentials\.clientId: must not contain ":"/);
  });

  it('defaults to the spec hosts: sandbox /mydhlapi/test, production /mydhlapi', async () => {
    const accounts = [
      { id: 'dhlx-sandbox', carrier: 'dhl-express', credentials: { ...DHL } },
      { id: 'dhlx-production', carrier: 'dhl-express', environment: 'production', credentials: { ...DHL } },
    ];
    const { gateway, close } = await startTestGateway({
      name: 'dhl-express-config',
      clientKey: CLIENT_KEY,
      accounts,
      listen: false,
    });
    try {
      const [sandbox, production] = gateway.accounts;
      expect(sandbox!.api.baseUrl.toString()).toBe('https://express.api.dhl.com/mydhlapi/test/');
      expect(production!.api.baseUrl.toString()).toBe('https://express.api.dhl.com/mydhlapi/');
      expect(sandbox!.kind).toBe('static');
      const status = await gateway.engine.manager('dhlx-sandbox').status();
      expect(status).toMatchObject({ state: 'ok', store: 'static', token: null, credentialRejections: 0 });
      expectNoSecret(JSON.stringify(status));
    } finally {
      await close();
    }
  });
});
