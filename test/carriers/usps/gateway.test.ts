/**
 * @module test/carriers/usps/gateway
 *
 * Owns the proof that the `usps` adapter (carriers/usps: client_secret_post in a form body,
 * client credentials and authorization code with rotating refresh tokens, issued_at in ms) works
 * against the USPS simulator through a real embedded-mode gateway: proxied Addresses calls, RS256
 * JWT access tokens verified with the SPKI public key, throttling with Retry-After, the USPS
 * token error bodies classified, refresh-token rotation without reuse, string-typed numbers, the
 * USPS API 401 answered with a fresh token, and no credential in anything a client receives.
 * A tap (a recording server that forwards to the simulator) shows what the gateway sent while
 * the real simulator still answers.
 */
import { randomUUID } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  USPS_ISSUER,
  USPS_PATHS,
  startUspsSimulator,
  type UspsSimulatorHandle,
} from '../../../carriers/usps/simulator.js';
import { manualClock } from '../../../src/sim/clock.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../../support/test-gateway.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { forcedRefreshes, observeToken as observe } from '../../support/stored-token.js';
import { startForwardingTap, type ForwardingTap } from '../../support/forwarding-tap.js';
import { formFields } from '../../support/sim-http.js';

const CLIENT_KEY = `usps-shop-key-${randomUUID()}`;
const CLIENT = { clientId: 'usps-consumer-key', clientSecret: `usps-secret-${randomUUID()}` };
const FORM = 'application/x-www-form-urlencoded';
const CITY_STATE = `${USPS_PATHS.cityState}?ZIPCode=10001`;
registerSecrets(CLIENT_KEY, CLIENT.clientSecret);

/** Every answer a client got from a gateway in this file (status line, headers and body), for the leak check. */
const received: string[] = [];
/** Every simulator started here, so their issued tokens can be looked for in `received`. */
const simulators: UspsSimulatorHandle[] = [];
/** Refresh tokens the tests invented (seeds that were never issued). */
const invented: string[] = [];

async function startSim(
  options: Parameters<typeof startUspsSimulator>[0] = {},
): Promise<UspsSimulatorHandle> {
  const sim = await startUspsSimulator({ clients: [CLIENT], ...options });
  simulators.push(sim);
  return sim;
}

/** The USPS answer headers the tests read through the tap. */
const USPS_FORWARDED = ['content-type', 'retry-after', 'www-authenticate', 'date'];
const startTap = (target: string) => startForwardingTap(target, USPS_FORWARDED);

/** An embedded-mode gateway with the given accounts, on an ephemeral loopback port. */
const startGateway = (...accounts: Record<string, unknown>[]): Promise<TestGateway> =>
  startTestGateway({ name: 'usps', clientKey: CLIENT_KEY, accounts });

afterEach(closeTestGateways);

/** A usps account whose token URL is `<tokenBase>/oauth2/v3/token` and whose API is the simulator. */
function account(
  id: string,
  sim: UspsSimulatorHandle,
  extra: Record<string, unknown> = {},
  tokenBase = sim.url,
): Record<string, unknown> {
  return {
    id,
    carrier: 'usps',
    urls: { token: `${tokenBase}${USPS_PATHS.token}`, api: sim.url },
    credentials: { ...CLIENT },
    ...extra,
  };
}

/** A client's call through the proxy; the whole answer is kept for the leak check. */
async function proxied(gw: TestGateway, accountId: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${gw.url}/v1/carriers/${accountId}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${CLIENT_KEY}`, ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  received.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
  };
}

/** The accounts route (token status per account), also kept for the leak check. */
async function accountsStatus(gw: TestGateway): Promise<unknown> {
  const response = await fetch(`${gw.url}/v1/accounts`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  const text = await response.text();
  received.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  expect(response.status).toBe(200);
  return JSON.parse(text) as unknown;
}

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Record<string, unknown>,
  );
}

describe('usps adapter against the USPS simulator', () => {
  let sim: UspsSimulatorHandle;
  let tap: ForwardingTap;

  beforeAll(async () => {
    sim = await startSim();
    tap = await startTap(sim.url);
  });
  afterAll(async () => {
    await tap?.close();
  });
  afterEach(async () => {
    tap.server.clear();
    tap.answers.length = 0;
    sim.resetStats();
    await sim.resetFaults();
  });

  it('proxies the city-state probe with an RS256 JWT obtained by a form body with client_id and client_secret', async () => {
    const gw = await startGateway(account('usps', sim, {}, tap.url));
    const sentAt = Date.now();
    const reply = await proxied(gw, 'usps', CITY_STATE);
    expect(reply).toMatchObject({ status: 200, body: { city: 'NEW YORK', state: 'NY', ZIPCode: '10001' } });

    const [sent] = tap.server.requests;
    expect(tap.server.requests).toHaveLength(1);
    expect(sent!.url).toBe(USPS_PATHS.token);
    expect(sent!.headers['content-type']).toBe(FORM);
    expect(sent!.headers.authorization).toBeUndefined();
    expect(formFields(sent!.body)).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });

    const token = observe(gw.gateway.engine.manager('usps').peek());
    expect(decodeProtectedHeader(token.accessToken)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(decodeJwt(token.accessToken)).toMatchObject({ iss: USPS_ISSUER, sub: CLIENT.clientId });
    // expires_in 28799 from the request's send time, never beyond the JWT's exp.
    expect(token.expiresAt).toBeLessThanOrEqual(decodeJwt(token.accessToken).exp! * 1000);
    expect(token.expiresAt).toBeGreaterThanOrEqual(sentAt + 28799 * 1000 - 1000);
    expect(token.refreshToken).toBeUndefined(); // client_credentials: none ([USPS-I40])

    expect((await proxied(gw, 'usps', CITY_STATE)).status).toBe(200);
    expect(sim.stats()).toMatchObject({ tokenRequests: 1, apiRequests: 2, apiRejections: 0 });
  });

  it('with token.publicKey set to the SPKI PEM, the signature is verified and the token used', async () => {
    const gw = await startGateway(
      account(
        'usps-signed',
        sim,
        { token: { publicKey: sim.publicKeyPem, expectedIssuer: USPS_ISSUER } },
        tap.url,
      ),
    );
    expect((await proxied(gw, 'usps-signed', CITY_STATE)).status).toBe(200);
    observe(gw.gateway.engine.manager('usps-signed').peek());
    // The configured PEM is what USPS sends base64-encoded as public_key next to the token.
    expect(Buffer.from(tap.answers[0]!['public_key'] as string, 'base64').toString('utf8')).toBe(
      sim.publicKeyPem,
    );
  });

  it.each([
    ['another key pair', 'other'],
    ['the public_key as the token response carries it (base64, not PEM)', 'base64'],
  ])(
    'with token.publicKey = %s → ERR_TOKEN_JWT_INVALID, no token kept, no API call',
    async (_name, which) => {
      const other = await generateKeyPair('RS256');
      const publicKey = which === 'other' ? await exportSPKI(other.publicKey) : sim.publicKeyBase64;
      const gw = await startGateway(account('usps-wrong-key', sim, { token: { publicKey } }));
      const manager = gw.gateway.engine.manager('usps-wrong-key');
      const error = await rejection(manager.getToken());
      expect(error).toMatchObject({ code: 'ERR_TOKEN_JWT_INVALID', account: 'usps-wrong-key' });
      expect(error['detail']).toMatch(
        which === 'other'
          ? /^verification failed \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)$/
          : /^verification failed/,
      );
      // USPS did issue a token: the refusal is the gateway's own check.
      expect(sim.stats().tokensIssued).toBe(1);
      expect(manager.peek()).toBeUndefined();

      const reply = await proxied(gw, 'usps-wrong-key', CITY_STATE);
      expect(reply.status).toBe(502);
      expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_JWT_INVALID' });
      expect(sim.stats().apiRequests).toBe(0);
    },
  );

  it('429 SpikeArrestViolation with Retry-After: the gateway waits that long, then gets the token', async () => {
    await sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 } });
    const gw = await startGateway(account('usps-throttled', sim, {}, tap.url));
    const started = performance.now();
    const reply = await proxied(gw, 'usps-throttled', CITY_STATE);
    const waited = performance.now() - started;
    expect(reply.status).toBe(200);
    // Retry-After 1 s is a floor: the retry did not come earlier.
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(tap.server.requests).toHaveLength(2);
    expect(tap.answers[0]).toMatchObject({ error: 'invalid_request' });
    expect(sim.stats()).toMatchObject({ tokenRequests: 2, tokensIssued: 1 });
    observe(gw.gateway.engine.manager('usps-throttled').peek());
  });

  it('a Retry-After beyond the retry budget (the spec example, 30 s) ends the refresh and becomes the cooldown', async () => {
    await sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 30 } });
    const gw = await startGateway(account('usps-spike', sim));
    const manager = gw.gateway.engine.manager('usps-spike');
    const error = await rejection(manager.getToken());
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_THROTTLED',
      carrierCode: 'invalid_request',
      upstreamStatus: 429,
      retryAfterMs: 30_000,
    });
    const status = await manager.status();
    expect(status.state).toBe('cooldown');
    expect(Date.parse(status.cooldownUntil!)).toBeGreaterThanOrEqual(Date.now() + 28_000);

    // During the cooldown clients get the carrier's wait, and USPS is not asked again.
    const reply = await proxied(gw, 'usps-spike', CITY_STATE);
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED' });
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sim.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 0, apiRequests: 0 });
  });

  it.each([
    ['a wrong secret ("Client authentication failed.")', { ...CLIENT, clientSecret: 'not-the-secret-0001' }],
    ['an unknown client ("InvalidApiKey: ...")', { clientId: 'unknown-app', clientSecret: 'whatever-0001' }],
  ])('invalid_client for %s → ERR_TOKEN_INVALID_CLIENT, not retried', async (_name, credentials) => {
    const gw = await startGateway(account('usps-bad-client', sim, { credentials }, tap.url));
    const manager = gw.gateway.engine.manager('usps-bad-client');
    await expect(manager.getToken()).rejects.toMatchObject({
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: 'invalid_client',
      upstreamStatus: 401,
    });
    expect(tap.answers).toEqual([expect.objectContaining({ error: 'invalid_client' })]);
    expect(sim.stats().tokenRequests).toBe(1);

    const reply = await proxied(gw, 'usps-bad-client', CITY_STATE);
    expect(reply.status).toBe(502);
    expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_INVALID_CLIENT', account: 'usps-bad-client' });
    expect(sim.stats()).toMatchObject({ tokenRequests: 1, apiRequests: 0 });
  });

  describe('authorization_code with a seed refresh token', () => {
    /** A gateway whose account `id` starts from the refresh token `seed` (registered with the log scan). */
    async function startSeeded(id: string, seed: string) {
      registerSecrets(seed);
      const credentials = { ...CLIENT, refreshToken: seed };
      const gw = await startGateway(account(id, sim, { grant: 'authorization_code', credentials }, tap.url));
      return { gw, manager: gw.gateway.engine.manager(id) };
    }

    it('forced refreshes each present the latest rotated refresh token, with the client credentials; no reuse', async () => {
      const seed = sim.issueRefreshToken(CLIENT.clientId);
      const { gw, manager } = await startSeeded('usps-code', seed);

      const FORCED = 3;
      const seen = await forcedRefreshes(manager, FORCED);

      const presented = tap.server.requests.map((req) => formFields(req.body));
      expect(presented).toHaveLength(FORCED + 1);
      // USPS's refresh request carries the client credentials too ([USPS-OAUTH] RefreshTokenCredentials).
      const credentials = { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
      expect(presented[0]).toEqual({ grant_type: 'refresh_token', refresh_token: seed, ...credentials });
      for (let i = 1; i <= FORCED; i += 1) {
        expect(presented[i]).toEqual({
          grant_type: 'refresh_token',
          refresh_token: tap.answers[i - 1]!['refresh_token'],
          ...credentials,
        });
        expect(seen[i - 1]!.refreshToken).toBe(tap.answers[i - 1]!['refresh_token']);
        expect(tap.answers[i - 1]!['refresh_count']).toBe(i);
      }
      expect(new Set([seed, ...seen.map((token) => token.refreshToken)]).size).toBe(FORCED + 2);
      expect(new Set(seen.map((token) => token.accessToken)).size).toBe(FORCED + 1);
      // refresh_token_expires_in 604799 is kept as the refresh token's lifetime.
      expect(seen.at(-1)!.refreshTokenExpiresAt).toBeGreaterThan(Date.now() + 604_000 * 1000);

      expect(sim.stats()).toMatchObject({
        refreshTokenReuses: 0,
        familiesRevoked: 0,
        tokenRequests: FORCED + 1,
      });
      expect((await proxied(gw, 'usps-code', CITY_STATE)).status).toBe(200);
      expect((await manager.status()).state).toBe('ok');
    });

    it('an invalid refresh token (USPS: 400 invalid_request "Invalid Refresh Token") → ERR_TOKEN_INVALID_GRANT, reauthorization_required', async () => {
      const unknownSeed = `never-issued-${randomUUID()}`;
      invented.push(unknownSeed);
      const { gw, manager } = await startSeeded('usps-code-bad', unknownSeed);
      await expect(manager.getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_GRANT',
        carrierCode: 'invalid_request',
        upstreamStatus: 400,
      });
      // USPS echoes the presented refresh token in its error body ([USPS-OAUTH] invalidRefreshTokenResponse).
      expect(tap.answers[0]).toMatchObject({ refresh_token: unknownSeed, refresh_token_status: 'Not Found' });

      const status = await manager.status();
      expect(status.state).toBe('reauthorization_required');
      expect(status.reauthorizationReason).toMatch(/invalid_request/);
      await expect(manager.getToken()).rejects.toMatchObject({ code: 'ERR_REAUTHORIZATION_REQUIRED' });

      const reply = await proxied(gw, 'usps-code-bad', CITY_STATE);
      expect(reply.status).toBe(503);
      expect(reply.body['code']).toBe('ERR_REAUTHORIZATION_REQUIRED');
      await accountsStatus(gw);
      expect(sim.stats()).toMatchObject({ tokenRequests: 1, refreshTokenReuses: 0, apiRequests: 0 });
    });
  });

  it('a USPS API 401 (Bearer realm challenge) drops the token; the GET is retried once with a fresh one', async () => {
    const clock = manualClock();
    // Tokens are refused 5 s after issue although expires_in says eight hours.
    const early = await startSim({ clock, faults: { prematureExpirySeconds: 5 } });
    const gw = await startGateway(account('usps-premature', early));
    expect((await proxied(gw, 'usps-premature', CITY_STATE)).status).toBe(200);
    const manager = gw.gateway.engine.manager('usps-premature');
    const before = observe(manager.peek());

    clock.advance(6_000); // within the gateway's 30 s JWT clock tolerance
    const reply = await proxied(gw, 'usps-premature', CITY_STATE);
    expect(reply).toMatchObject({ status: 200, body: { city: 'NEW YORK' } });
    expect(observe(manager.peek()).accessToken).not.toBe(before.accessToken);
    expect(early.stats()).toMatchObject({ apiRejections: 1, apiRequests: 3, tokenRequests: 2 });
    expect((await manager.status()).prematureRejections).toBe(1);
  });

  it('string-typed expires_in and issued_at (README examples) are accepted', async () => {
    const stringy = await startSim({ stringNumbers: true });
    const stringyTap = await startTap(stringy.url);
    try {
      const gw = await startGateway(account('usps-strings', stringy, {}, stringyTap.url));
      const sentAt = Date.now();
      expect((await proxied(gw, 'usps-strings', CITY_STATE)).status).toBe(200);
      expect(stringyTap.answers[0]).toMatchObject({
        expires_in: '28799',
        issued_at: expect.stringMatching(/^\d{13}$/),
      });
      const token = observe(gw.gateway.engine.manager('usps-strings').peek());
      expect(token.expiresAt).toBeGreaterThanOrEqual(sentAt + 28799 * 1000 - 1000);
      expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 28799 * 1000);
    } finally {
      await stringyTap.close();
    }
  });

  it('a carrier clock 8 h behind: issued_at (ms) and the JWT exp are corrected by the measured skew', async () => {
    // issued_at, the Date header and the JWT iat/exp all come from the carrier's clock. Taken at
    // face value, issued_at + 28799 s would already be over; corrected by the skew the Date header
    // shows, the token has its eight hours.
    const behind = await startSim({ faults: { skewSeconds: -8 * 3600 } });
    const gw = await startGateway(account('usps-skewed', behind));
    const token = observe(await gw.gateway.engine.manager('usps-skewed').getToken());
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 28_000 * 1000);
    expect((await gw.gateway.engine.manager('usps-skewed').status()).clockSkewMs).toBeLessThan(
      -7 * 3600 * 1000,
    );
  });

  it('no client secret, API key or issued token appears in any answer a client received in this file', async () => {
    registerIssuedTokens(...simulators);
    const secrets = [
      CLIENT_KEY,
      CLIENT.clientSecret,
      ...invented,
      ...simulators.flatMap((issued) => issued.issuedTokens()),
    ];
    expect(received.length).toBeGreaterThan(10);
    expect(secrets.length).toBeGreaterThan(10);
    for (const answer of received) {
      for (const secret of secrets)
        expect(answer.includes(secret), `leaked in: ${answer.slice(0, 200)}`).toBe(false);
    }
  });
});

afterAll(async () => {
  registerIssuedTokens(...simulators);
  await Promise.all(simulators.map((sim) => sim.close()));
});
