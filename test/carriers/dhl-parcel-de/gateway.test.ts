/**
 * @module test/carriers/dhl-parcel-de/gateway
 *
 * Owns the proof that the `dhl-parcel-de` adapter (carriers/dhl-parcel-de: password grant,
 * client_secret_post, opaque tokens of at most 50 characters) works through a real embedded-mode
 * gateway against the DHL Parcel DE simulator: proxied `/hello` and Shipping calls succeed, each
 * token-endpoint fault gets its stable code, a prematurely dropped token is replaced (and a GET
 * retried once), a client's `dhl-api-key` never reaches DHL next to the Bearer token, and no
 * secret or token shows up in any response. A recording server stands in for a DHL that sends an
 * over-long token. Each scenario has its own account, so no token or cooldown leaks between them.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { DHL_PARCEL_DE_PATHS, startDhlParcelDeSimulator } from '../../../carriers/dhl-parcel-de/simulator.js';
import type { Gateway } from '../../../src/gateway.js';
import { manualClock, type SimulatorHandle } from '../../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { closeTestGateways, startTestGateway } from '../../support/test-gateway.js';
import { startRecordingServer, type RecordingServer } from '../../support/recording-server.js';

const CLIENT_KEY = `dhl-shop-key-${randomUUID()}`;
const CLIENT = { clientId: 'dhl-app-key-0001', clientSecret: `dhl-app-secret-${randomUUID()}` };
const USER = { username: 'gkp-shop-user', password: `gkp-pw-${randomUUID()}` };
const WRONG_PASSWORD = `gkp-wrong-pw-${randomUUID()}`;
const WRONG_SECRET = `dhl-wrong-secret-${randomUUID()}`;
const SECRETS = [CLIENT_KEY, CLIENT.clientSecret, USER.password, WRONG_PASSWORD, WRONG_SECRET];
registerSecrets(...SECRETS);

const HELLO = DHL_PARCEL_DE_PATHS.hello;
const ORDERS = DHL_PARCEL_DE_PATHS.orders;
const ORDER = JSON.stringify({
  profile: 'STANDARD_GRUPPENPROFIL',
  shipments: [{ product: 'V01PAK', refNo: 'Order No. 1234', details: { weight: { uom: 'g', value: 500 } } }],
});

interface Reply {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

describe('dhl-parcel-de adapter through the gateway', () => {
  const clock = manualClock();
  let sim: SimulatorHandle;
  /** Stands in for a DHL that issues a token of `/t<length>/` characters. */
  let misbehaving: RecordingServer;
  const recordedTokens: string[] = [];
  let gateway: Gateway;
  let base = '';

  const simAccount = (id: string, credentials: Record<string, string> = {}) => ({
    id,
    carrier: 'dhl-parcel-de',
    urls: { token: `${sim.url}${DHL_PARCEL_DE_PATHS.token}`, api: sim.url },
    credentials: { ...CLIENT, ...USER, ...credentials },
  });
  const longTokenAccount = (id: string, length: number) => ({
    id,
    carrier: 'dhl-parcel-de',
    urls: { token: `${misbehaving.url}/t${length}${DHL_PARCEL_DE_PATHS.token}`, api: misbehaving.url },
    credentials: { ...CLIENT, ...USER },
  });

  beforeAll(async () => {
    sim = await startDhlParcelDeSimulator({ clients: [CLIENT], users: [USER], clock });
    misbehaving = await startRecordingServer((req) => {
      const length = /^\/t(\d+)\//.exec(req.url)?.[1];
      if (length === undefined) return { status: 200, body: { ok: true } };
      const token = randomBytes(64).toString('hex').slice(0, Number(length));
      registerSecrets(token);
      recordedTokens.push(token);
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 1799 } };
    });
    const accounts = [
      simAccount('dhl'),
      simAccount('dhl-orders'),
      simAccount('dhl-key'),
      simAccount('dhl-bad-password', { password: WRONG_PASSWORD }),
      simAccount('dhl-bad-secret', { clientSecret: WRONG_SECRET }),
      simAccount('dhl-lie'),
      simAccount('dhl-429'),
      simAccount('dhl-429-storm'),
      simAccount('dhl-503'),
      simAccount('dhl-premature-get'),
      simAccount('dhl-premature-post'),
      longTokenAccount('dhl-token-50', 50),
      longTokenAccount('dhl-token-51', 51),
    ];
    ({ gateway, url: base } = await startTestGateway({
      name: 'dhl-parcel-de',
      clientKey: CLIENT_KEY,
      accounts,
      // Short waits keep the retry and cooldown scenarios fast; the attempt budget is the default 3.
      engine: {
        manager: {
          retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2_000 },
          cooldown: { baseMs: 1_000, maxMs: 5_000 },
        },
      },
    }));
  });

  afterEach(async () => {
    await sim.resetFaults();
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await closeTestGateways();
    await sim?.close();
    await misbehaving?.close();
  });

  /**
   * A shop's call through the proxy. Every answer, success or problem, is checked on the spot for
   * the configured secrets and for every token either DHL stand-in has issued so far.
   */
  async function proxied(account: string, path: string, init: RequestInit = {}): Promise<Reply> {
    const response = await fetch(`${base}/v1/carriers/${account}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${CLIENT_KEY}`, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    const wire = `${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n${text}`;
    for (const secret of [...SECRETS, ...sim.issuedTokens(), ...recordedTokens]) {
      expect(wire.includes(secret), `a secret or token in the answer to ${path}`).toBe(false);
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: JSON.parse(text) as Record<string, unknown>,
    };
  }
  const postOrder = (account: string, body = ORDER) =>
    proxied(account, ORDERS, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('GET /hello through the proxy: one password-grant token, and DHL sees its GKP user', async () => {
    const before = sim.stats();
    const reply = await proxied('dhl', HELLO);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      'accesstoken-info': { name_of_apiproduct: 'pp-account-auth-ropc' },
      'gkp-info': { gkp_user: USER.username },
    });
    const remaining = (reply.body['accesstoken-info'] as { expires_in_s: number }).expires_in_s;
    expect(remaining).toBeGreaterThan(1790);
    expect(remaining).toBeLessThanOrEqual(1799);

    const token = gateway.engine.manager('dhl').peek();
    expect(token?.accessToken).toMatch(/^[A-Za-z0-9]{28}$/);
    expect(sim.isAccessTokenValid(token!.accessToken)).toBe(true);
    expect((await proxied('dhl', HELLO)).status).toBe(200);
    const after = sim.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.tokenRequestsByClient[CLIENT.clientId]).toBeGreaterThanOrEqual(1);
    expect(after.apiRejections - before.apiRejections).toBe(0);
  });

  it('POST /parcel/de/shipping/v2/orders through the proxy: a shipment number and a PDF label', async () => {
    const reply = await postOrder('dhl-orders');
    expect(reply.status).toBe(200);
    const [item] = reply.body.items as { shipmentNo: string; label: { b64: string } }[];
    expect(item!.shipmentNo).toMatch(/^\d{18}$/);
    expect(Buffer.from(item!.label.b64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

    const refused = await postOrder('dhl-orders', JSON.stringify({ profile: 'STANDARD_GRUPPENPROFIL' }));
    expect(refused.status).toBe(400);
    expect(refused.contentType).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ status: { statusCode: 400 } });

    const version = await proxied('dhl-orders', '/parcel/de/shipping/v2/');
    expect(version).toMatchObject({ status: 200, body: { amp: { name: 'pp-parcel-shipping-native' } } });
  });

  it("a client's dhl-api-key is not forwarded next to the Bearer token (DHL would refuse the mix)", async () => {
    const before = sim.stats();
    const reply = await proxied('dhl-key', HELLO, { headers: { 'dhl-api-key': CLIENT.clientId } });
    expect(reply.status).toBe(200);
    expect(reply.body).toHaveProperty('accesstoken-info');
    const after = sim.stats();
    expect(after.apiRejections - before.apiRejections).toBe(0);
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect((await gateway.engine.manager('dhl-key').status()).prematureRejections).toBe(0);
  });

  it('a wrong GKP password is ERR_TOKEN_INVALID_GRANT, asked once, and nothing reaches the API', async () => {
    const before = sim.stats();
    const reply = await proxied('dhl-bad-password', HELLO);
    expect(reply.status).toBe(502);
    expect(reply.contentType).toBe('application/problem+json');
    expect(reply.body).toMatchObject({
      code: 'ERR_TOKEN_INVALID_GRANT',
      carrierCode: 'invalid_grant',
      upstreamStatus: 401,
      account: 'dhl-bad-password',
    });
    const after = sim.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.apiRequests - before.apiRequests).toBe(0);
  });

  /** A call through `account` answers 502 with this problem, after exactly one token request. */
  async function expectOneTokenCallThen502(account: string, problem: Record<string, unknown>): Promise<void> {
    const before = sim.stats().tokenRequests;
    const reply = await proxied(account, HELLO);
    expect(reply.status).toBe(502);
    expect(reply.body).toMatchObject(problem);
    expect(sim.stats().tokenRequests - before).toBe(1);
  }

  it('a wrong client secret is ERR_TOKEN_INVALID_CLIENT, asked once', async () => {
    await expectOneTokenCallThen502('dhl-bad-secret', {
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: 'invalid_client',
      upstreamStatus: 401,
    });
    const status = await gateway.engine.manager('dhl-bad-secret').status();
    expect(status.lastRefresh).toMatchObject({ outcome: 'failure', code: 'ERR_TOKEN_INVALID_CLIENT' });
  });

  it('HTTP 200 carrying an RFC 6749 error is ERR_TOKEN_ERROR_IN_SUCCESS_BODY, not retried', async () => {
    await sim.setFaults({ errorInSuccessBody: true });
    await expectOneTokenCallThen502('dhl-lie', {
      code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
      carrierCode: 'invalid_client',
    });
    expect(gateway.engine.manager('dhl-lie').peek()).toBeUndefined();
  });

  it('one 429 is retried after the Retry-After DHL sent, and the call succeeds', async () => {
    await sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 } });
    const before = sim.stats().tokenRequests;
    const started = Date.now();
    expect((await proxied('dhl-429', HELLO)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sim.stats().tokenRequests - before).toBe(2);
  });

  it('a 429 storm ends in ERR_TOKEN_ENDPOINT_THROTTLED after the attempt budget, then a cooldown', async () => {
    await sim.setFaults({ throttle: { count: 50 } });
    const before = sim.stats().tokenRequests;
    const reply = await proxied('dhl-429-storm', HELLO);
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED', upstreamStatus: 429 });
    // The problem+json 429 body names no RFC 6749 code: the status alone decides.
    expect(reply.body).not.toHaveProperty('carrierCode');
    expect(sim.stats().tokenRequests - before).toBe(3);
    expect((await proxied('dhl-429-storm', HELLO)).status).toBe(503);
    expect(sim.stats().tokenRequests - before).toBe(3);
  });

  it('a 503 from the token endpoint is retried', async () => {
    await sim.setFaults({ tokenServerErrors: 1 });
    const before = sim.stats().tokenRequests;
    expect((await proxied('dhl-503', HELLO)).status).toBe(200);
    expect(sim.stats().tokenRequests - before).toBe(2);
  });

  it('premature expiry: the GET is retried once with a fresh token, and the rejection is counted', async () => {
    await sim.setFaults({ prematureExpirySeconds: 60 });
    expect((await proxied('dhl-premature-get', HELLO)).status).toBe(200);
    const manager = gateway.engine.manager('dhl-premature-get');
    const first = manager.peek()!.accessToken;
    const before = sim.stats();

    clock.advance(61_000); // DHL drops the token, 1799 s were announced
    const reply = await proxied('dhl-premature-get', HELLO);
    expect(reply.status).toBe(200);
    expect(manager.peek()!.accessToken).not.toBe(first);
    const after = sim.stats();
    expect(after.apiRejections - before.apiRejections).toBe(1);
    expect(after.apiRequests - before.apiRequests).toBe(2);
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect((await manager.status()).prematureRejections).toBe(1);
  });

  it('premature expiry on a POST: not replayed; the client gets DHL 401 and the next call a fresh token', async () => {
    await sim.setFaults({ prematureExpirySeconds: 60 });
    expect((await postOrder('dhl-premature-post')).status).toBe(200);
    const manager = gateway.engine.manager('dhl-premature-post');
    const first = manager.peek()!.accessToken;
    const before = sim.stats();

    clock.advance(61_000);
    const refused = await postOrder('dhl-premature-post');
    expect(refused.status).toBe(401);
    expect(refused.contentType).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ status: 401, statusCode: 401, instance: ORDERS });
    await manager.whenIdle();
    expect((await postOrder('dhl-premature-post')).status).toBe(200);
    expect(manager.peek()!.accessToken).not.toBe(first);
    const after = sim.stats();
    expect(after.apiRequests - before.apiRequests).toBe(2);
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
  });

  it('a token of 51 characters is ERR_TOKEN_MALFORMED_RESPONSE; 50 is accepted', async () => {
    const accepted = await proxied('dhl-token-50', HELLO);
    expect(accepted).toMatchObject({ status: 200, body: { ok: true } });
    expect(gateway.engine.manager('dhl-token-50').peek()?.accessToken).toHaveLength(50);

    misbehaving.clear();
    const reply = await proxied('dhl-token-51', HELLO);
    expect(reply.status).toBe(502);
    expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_MALFORMED_RESPONSE', account: 'dhl-token-51' });
    expect(reply.body.detail).toMatch(/^access_token: /);
    // One token request, not retried, and no API call with the refused token.
    expect(misbehaving.requests.map((req) => req.url)).toEqual([`/t51${DHL_PARCEL_DE_PATHS.token}`]);
  });
});
